//! Text corpora for character-level models: a character vocabulary (sorted, so the same text
//! gives the same ids on every machine), encoding and decoding with errors for unknown
//! characters or ids.

use std::collections::BTreeMap;
use std::path::Path;

use super::DataError;

/// The distinct characters of a corpus, each with an id (its rank in sorted order).
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
            return Err(DataError::Invalid {
                what: "text corpus",
                why: "it is empty, so it has no characters to learn".into(),
            });
        }
        let ids = chars.iter().enumerate().map(|(i, &c)| (c, i)).collect();
        Ok(Vocab { chars, ids })
    }

    /// Number of distinct characters.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The ids of `text`; a character outside the vocabulary is an error naming it and its offset.
    pub fn encode(&self, text: &str) -> Result<Vec<usize>, DataError> {
        text.char_indices()
            .map(|(at, c)| {
                self.ids.get(&c).copied().ok_or_else(|| DataError::Invalid {
                    what: "character",
                    why: format!(
                        "{c:?} at byte {at} is not in the vocabulary of {} characters",
                        self.len()
                    ),
                })
            })
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

/// Reads a UTF-8 text file.
pub fn load_text(path: impl AsRef<Path>) -> Result<String, DataError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    super::gzip::utf8(&name, super::gzip::read_file(path)?)
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
}
