//! Text corpora for character-level models: a character vocabulary (sorted, so the same text
//! gives the same ids on every machine), encoding and decoding with errors for unknown
//! characters or ids.

use std::collections::BTreeMap;
use std::path::Path;

use super::load_options::Budget;
use super::source::Source;
use super::{DataError, LoadOptions};

/// Bytes decoded per chunk.
const CHUNK: usize = 64 * 1024;

/// The distinct characters of a corpus, each with an id (its rank in sorted order).
///
/// ```
/// use kiln::data::Vocab;
///
/// # fn main() -> Result<(), kiln::data::DataError> {
/// let vocab = Vocab::from_text("abracadabra")?;
/// assert_eq!(vocab.len(), 5); // a b c d r
/// let ids = vocab.encode("cab")?;
/// assert_eq!(ids, [2, 0, 1]);
/// assert_eq!(vocab.decode(&ids)?, "cab");
/// assert!(vocab.encode("z").is_err()); // not in the corpus
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Vocab {
    chars: Vec<char>,
    ids: BTreeMap<char, usize>,
}

impl Vocab {
    /// The vocabulary of `text`; an empty text is an error.
    pub fn from_text(text: &str) -> Result<Vocab, DataError> {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        if chars.is_empty() {
            return Err(empty_corpus());
        }
        Ok(Vocab::from_chars(chars))
    }

    /// The vocabulary of these distinct characters, in sorted order.
    fn from_chars(chars: Vec<char>) -> Vocab {
        let ids = chars.iter().enumerate().map(|(i, &c)| (c, i)).collect();
        Vocab { chars, ids }
    }

    /// Number of distinct characters.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Whether the vocabulary has no characters (never, for one built from a text).
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The ids of `text`; a character outside the vocabulary is an error naming it and its offset.
    pub fn encode(&self, text: &str) -> Result<Vec<usize>, DataError> {
        text.char_indices()
            .map(|(at, c)| self.id(c, at as u64))
            .collect()
    }

    /// The text of `ids`; an id outside the vocabulary is an error.
    pub fn decode(&self, ids: &[usize]) -> Result<String, DataError> {
        ids.iter()
            .map(|&i| {
                self.chars
                    .get(i)
                    .copied()
                    .ok_or_else(|| DataError::Invalid {
                        what: "character id",
                        why: format!("{i} is outside the vocabulary of {} characters", self.len()),
                    })
            })
            .collect()
    }
}

/// Reads a UTF-8 text file (plain or gzip).
pub fn load_text(path: impl AsRef<Path>) -> Result<String, DataError> {
    load_text_with(path, &LoadOptions::default())
}

/// [`load_text`] within the memory bound of `options` (the text's bytes). To train on a large
/// corpus, [`load_corpus`] keeps only the ids.
pub fn load_text_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<String, DataError> {
    let mut src = Source::file(path.as_ref())?;
    let name = src.name.clone();
    let mut budget = Budget::new(&name, options);
    let (mut bytes, mut buf) = (Vec::new(), vec![0u8; CHUNK]);
    loop {
        let got = src.read_full(&mut buf)?;
        budget.extend(&mut bytes, &buf[..got])?;
        if got < buf.len() {
            break;
        }
    }
    String::from_utf8(bytes).map_err(|e| DataError::Malformed {
        file: name,
        position: format!("byte {}", e.utf8_error().valid_up_to()),
        expected: "UTF-8 text".into(),
        found: "invalid UTF-8".into(),
    })
}

/// A text file (plain or gzip) as its character vocabulary and the ids of its characters,
/// for a character-level model. The file is streamed twice (once for the vocabulary and
/// the length, once to encode), so only the ids are held: the bound of `options` is on them
/// (8 bytes per character) and is checked before they are allocated.
pub fn load_corpus(
    path: impl AsRef<Path>,
    options: &LoadOptions,
) -> Result<(Vocab, Vec<usize>), DataError> {
    let path = path.as_ref();
    let (mut seen, mut count) = (BTreeMap::new(), 0usize);
    for_each_char(Source::file(path)?, |c, _| {
        seen.insert(c, ());
        count += 1;
        Ok(())
    })?;
    if seen.is_empty() {
        return Err(empty_corpus());
    }
    let vocab = Vocab::from_chars(seen.into_keys().collect());
    let ids = vocab.ids_of_file(path, count, options)?;
    Ok((vocab, ids))
}

impl Vocab {
    /// The ids of a text file's characters (plain or gzip), streamed twice (to count, then to
    /// encode) so only the ids are held, within the bound of `options` (8 bytes a character,
    /// checked before they are allocated). A character outside the vocabulary is an error
    /// naming it and its byte.
    pub fn encode_file(
        &self,
        path: impl AsRef<Path>,
        options: &LoadOptions,
    ) -> Result<Vec<usize>, DataError> {
        let path = path.as_ref();
        let mut count = 0usize;
        for_each_char(Source::file(path)?, |c, at| {
            self.id(c, at)?;
            count += 1;
            Ok(())
        })?;
        self.ids_of_file(path, count, options)
    }

    /// The id of `c` (found at byte `at`), or the error naming both.
    fn id(&self, c: char, at: u64) -> Result<usize, DataError> {
        self.ids.get(&c).copied().ok_or_else(|| DataError::Invalid {
            what: "character",
            why: format!(
                "{c:?} at byte {at} is not in the vocabulary of {} characters",
                self.len()
            ),
        })
    }

    /// Encodes a file known to hold `count` characters of this vocabulary.
    fn ids_of_file(
        &self,
        path: &Path,
        count: usize,
        options: &LoadOptions,
    ) -> Result<Vec<usize>, DataError> {
        let name = path.display().to_string();
        let mut ids = Vec::new();
        Budget::new(&name, options).reserve(&mut ids, count)?;
        let changed = || DataError::Invalid {
            what: "text corpus",
            why: format!("{name} changed while it was read"),
        };
        // ASCII through a table: most corpora are mostly ASCII.
        let ascii: Vec<Option<usize>> = (0..128u8)
            .map(|b| self.ids.get(&(b as char)).copied())
            .collect();
        for_each_char(Source::file(path)?, |c, at| {
            let id = match ascii.get(c as usize) {
                Some(&Some(id)) => id,
                _ => self.id(c, at)?,
            };
            if ids.len() == count {
                return Err(changed());
            }
            ids.push(id);
            Ok(())
        })?;
        if ids.len() != count {
            return Err(changed());
        }
        Ok(ids)
    }
}

/// Calls `f` with every character of a UTF-8 stream and its byte offset, decoding a chunk at
/// a time; stops at `f`'s first error.
fn for_each_char(
    mut src: Source,
    mut f: impl FnMut(char, u64) -> Result<(), DataError>,
) -> Result<(), DataError> {
    let mut buf = vec![0u8; CHUNK];
    let (mut kept, mut offset) = (0, 0u64);
    loop {
        let got = src.read_full(&mut buf[kept..])?;
        let end = kept + got;
        let (text, rest) = match std::str::from_utf8(&buf[..end]) {
            Ok(t) => (t, end),
            // A character cut by the chunk's end is completed by the next chunk.
            Err(e) if e.error_len().is_none() && got > 0 => {
                let ok = e.valid_up_to();
                (std::str::from_utf8(&buf[..ok]).unwrap_or(""), ok)
            }
            Err(e) => {
                return Err(DataError::Malformed {
                    file: src.name.clone(),
                    position: format!("byte {}", offset + e.valid_up_to() as u64),
                    expected: "UTF-8 text".into(),
                    found: "invalid UTF-8".into(),
                })
            }
        };
        for (i, c) in text.char_indices() {
            f(c, offset + i as u64)?;
        }
        offset += rest as u64;
        buf.copy_within(rest..end, 0);
        kept = end - rest;
        if got == 0 {
            return Ok(());
        }
    }
}

fn empty_corpus() -> DataError {
    DataError::Invalid {
        what: "text corpus",
        why: "it is empty, so it has no characters to learn".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_strangers() {
        let v = Vocab::from_text("hello world").unwrap();
        assert_eq!(v.len(), 8);
        let ids = v.encode("low").unwrap();
        assert_eq!(ids, [4, 5, 7]);
        assert_eq!(v.decode(&ids).unwrap(), "low");
        assert!(v
            .encode("hex")
            .unwrap_err()
            .to_string()
            .contains("'x' at byte 2"));
        assert!(v.decode(&[8]).is_err());
        assert!(Vocab::from_text("").is_err());
    }

    #[test]
    fn files_stream_in_chunks_that_cut_characters() {
        let dir = std::env::temp_dir().join(format!("kiln-text-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.txt");
        // One ASCII byte first, so the 64 KiB chunks end inside two-byte characters.
        let text = format!("a{}b€", "é".repeat(70_000));
        std::fs::write(&path, &text).unwrap();
        let (vocab, ids) = load_corpus(&path, &LoadOptions::default()).unwrap();
        assert_eq!(vocab, Vocab::from_text(&text).unwrap());
        assert_eq!(ids, vocab.encode(&text).unwrap());
        assert_eq!(load_text(&path).unwrap(), text);
        let e = Vocab::from_text("abé")
            .unwrap()
            .encode_file(&path, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("'€' at byte 140002 is not in the vocabulary"),
            "{e}"
        );
        std::fs::write(&path, b"ab\xffcd").unwrap();
        let e = load_corpus(&path, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("byte 2: expected UTF-8 text, found invalid UTF-8"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
