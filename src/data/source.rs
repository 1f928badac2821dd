//! Where a loader reads from: a file or bytes in memory, gzip inflated transparently (any
//! input starting with the gzip magic bytes) as a stream, so `x.csv` and `x.csv.gz` load
//! through the same call and nothing is held whole except what the loader builds.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

use super::DataError;

/// Bytes read from the underlying stream per refill.
const BUFFER: usize = 64 * 1024;

/// A stream of (inflated) bytes with its name and position, for error messages.
pub(super) struct Source<'a> {
    pub name: String,
    reader: Box<dyn BufRead + 'a>,
    gzip: bool,
    /// Inflated bytes consumed so far.
    pub position: u64,
}

impl<'a> Source<'a> {
    /// `raw`, inflated if it is gzip.
    pub fn bytes(name: &str, raw: &'a [u8]) -> Source<'a> {
        Source::new(name.to_string(), Box::new(raw))
    }

    /// The file at `path`, inflated if it is gzip.
    pub fn file(path: &Path) -> Result<Source<'static>, DataError> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| DataError::Io {
            file: name.clone(),
            source,
        })?;
        let mut source = Source::new(name, Box::new(BufReader::with_capacity(BUFFER, file)));
        // Reading the magic bytes is the first read: report its failure as I/O.
        source.peek_error()?;
        Ok(source)
    }

    fn new(name: String, mut inner: Box<dyn BufRead + 'a>) -> Source<'a> {
        let gzip = matches!(inner.fill_buf(), Ok(b) if b.starts_with(&[0x1f, 0x8b]));
        let reader: Box<dyn BufRead + 'a> = if gzip {
            Box::new(BufReader::with_capacity(BUFFER, MultiGzDecoder::new(inner)))
        } else {
            inner
        };
        Source {
            name,
            reader,
            gzip,
            position: 0,
        }
    }

    /// Surfaces an error of the first read, if any.
    fn peek_error(&mut self) -> Result<(), DataError> {
        match self.reader.fill_buf() {
            Ok(_) => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }

    /// An I/O error of the stream: a damaged gzip stream is malformed content.
    fn error(&self, e: std::io::Error) -> DataError {
        if self.gzip {
            DataError::Malformed {
                file: self.name.clone(),
                position: format!(
                    "compressed stream (after {} decompressed bytes)",
                    self.position
                ),
                expected: "a complete gzip stream".into(),
                found: e.to_string(),
            }
        } else {
            DataError::Io {
                file: self.name.clone(),
                source: e,
            }
        }
    }

    /// Fills `buf` as far as the stream goes; returns the bytes read (fewer only at its end).
    pub fn read_full(&mut self, buf: &mut [u8]) -> Result<usize, DataError> {
        let mut n = 0;
        while n < buf.len() {
            match self.reader.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => {
                    n += k;
                    self.position += k as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.error(e)),
            }
        }
        Ok(n)
    }

    /// Whether the stream has no bytes left.
    pub fn at_end(&mut self) -> Result<bool, DataError> {
        match self.reader.fill_buf() {
            Ok(b) => Ok(b.is_empty()),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Replaces `line` with the next line's bytes (without `\n`, `\r\n`); `false` at the end.
    /// A line longer than `max` bytes is an error (it would be held whole).
    pub fn read_line(&mut self, line: &mut Vec<u8>, max: u64) -> Result<bool, DataError> {
        line.clear();
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) => return Err(self.error(e)),
            };
            if buf.is_empty() {
                return Ok(!line.is_empty());
            }
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            if (line.len() + take) as u64 > max {
                return Err(DataError::TooLarge {
                    file: self.name.clone(),
                    needed: (line.len() + take) as u64,
                    max_bytes: max,
                });
            }
            line.extend_from_slice(&buf[..take]);
            self.reader.consume(take);
            self.position += take as u64;
            if done {
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(true);
            }
        }
    }
}

/// `bytes` as UTF-8 text, or an error naming `name`, where the bytes are (`what`) and the
/// first invalid byte.
pub(super) fn utf8<'b>(name: &str, what: &str, bytes: &'b [u8]) -> Result<&'b str, DataError> {
    std::str::from_utf8(bytes).map_err(|e| DataError::Malformed {
        file: name.to_string(),
        position: format!("{what}byte {}", e.valid_up_to()),
        expected: "UTF-8 text".into(),
        found: "invalid UTF-8".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn reads_plain_and_gzip_alike_and_locates_damage() {
        let text = b"a,b\r\nc\n\nlast";
        for raw in [text.to_vec(), gz(text)] {
            let mut s = Source::bytes("t", &raw);
            let mut line = Vec::new();
            let mut lines = Vec::new();
            while s.read_line(&mut line, 100).unwrap() {
                lines.push(String::from_utf8(line.clone()).unwrap());
            }
            assert_eq!(lines, ["a,b", "c", "", "last"]);
            assert!(s.at_end().unwrap());
        }
        // Two gzip members (`cat a.gz b.gz`) are one stream.
        let two = [gz(b"ab"), gz(b"cd")].concat();
        let mut buf = [0u8; 8];
        assert_eq!(Source::bytes("t", &two).read_full(&mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"abcd");
        let mut cut = gz(&[7u8; 10_000]);
        cut.truncate(cut.len() - 12);
        let e = Source::bytes("t.gz", &cut)
            .read_full(&mut [0u8; 20_000])
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected a complete gzip stream"), "{e}");
        let e = Source::bytes("t", b"0123456789")
            .read_line(&mut Vec::new(), 4)
            .unwrap_err()
            .to_string();
        assert!(e.contains("limit of 4"), "{e}");
    }
}
