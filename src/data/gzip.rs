//! Transparent gzip: files that start with the gzip magic bytes are inflated, others are used
//! as they are, so `x.csv` and `x.csv.gz` load through the same call.

use std::io::Read;

use super::DataError;

/// The most a gzip file may inflate to: far above any data set kiln loads whole (MNIST's
/// training images are 47 MB), and a bound on what a small malicious file can make it
/// allocate (deflate reaches about 1000:1).
pub const MAX_INFLATED: u64 = 1 << 30;

/// `bytes` as UTF-8 text, or an error naming `name` and the first invalid byte.
pub fn utf8(name: &str, bytes: Vec<u8>) -> Result<String, DataError> {
    String::from_utf8(bytes).map_err(|e| DataError::Malformed {
        file: name.to_string(),
        position: format!("byte {}", e.utf8_error().valid_up_to()),
        expected: "UTF-8 text".into(),
        found: "invalid UTF-8".into(),
    })
}

/// The bytes of `raw`, inflated if they are gzip.
pub fn maybe_gunzip(name: &str, raw: &[u8]) -> Result<Vec<u8>, DataError> {
    maybe_gunzip_limited(name, raw, MAX_INFLATED)
}

/// [`maybe_gunzip`] with an explicit bound on the inflated size.
fn maybe_gunzip_limited(name: &str, raw: &[u8], limit: u64) -> Result<Vec<u8>, DataError> {
    if raw.len() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
        let mut out = Vec::new();
        let mut reader = flate2::read::GzDecoder::new(raw).take(limit + 1);
        reader
            .read_to_end(&mut out)
            .map_err(|e| DataError::Malformed {
                file: name.to_string(),
                position: format!("compressed stream (after {} decompressed bytes)", out.len()),
                expected: "a complete gzip stream".into(),
                found: e.to_string(),
            })?;
        if out.len() as u64 > limit {
            return Err(DataError::Malformed {
                file: name.to_string(),
                position: "compressed stream".into(),
                expected: format!("at most {limit} bytes once inflated"),
                found: "more".into(),
            });
        }
        Ok(out)
    } else {
        Ok(raw.to_vec())
    }
}

/// Reads a whole file, inflating it if it is gzip.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, DataError> {
    let name = path.display().to_string();
    let raw = std::fs::read(path).map_err(|source| DataError::Io {
        file: name.clone(),
        source,
    })?;
    maybe_gunzip(&name, &raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn inflation_is_bounded() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![0u8; 100_000]).unwrap();
        let raw = gz.finish().unwrap();
        assert!(raw.len() < 1000, "a small file");
        assert_eq!(
            maybe_gunzip_limited("z.gz", &raw, 100_000).unwrap().len(),
            100_000
        );
        let e = maybe_gunzip_limited("z.gz", &raw, 99_999)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "z.gz: compressed stream: expected at most 99999 bytes once inflated, found more"
        );
    }
}
