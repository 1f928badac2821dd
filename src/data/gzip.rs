//! Transparent gzip: files that start with the gzip magic bytes are inflated, others are used
//! as they are, so `x.csv` and `x.csv.gz` load through the same call.

use std::io::Read;

use super::DataError;

/// The bytes of `raw`, inflated if they are gzip.
pub fn maybe_gunzip(name: &str, raw: &[u8]) -> Result<Vec<u8>, DataError> {
    if raw.len() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw)
            .read_to_end(&mut out)
            .map_err(|e| DataError::Malformed {
                file: name.to_string(),
                position: format!("compressed stream (after {} decompressed bytes)", out.len()),
                expected: "a complete gzip stream".into(),
                found: e.to_string(),
            })?;
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
