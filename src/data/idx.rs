//! IDX files (the MNIST format), plain or gzip: big-endian magic `0x0000_08_NN` (unsigned bytes,
//! NN dimensions), the dimension sizes, then the data.

use std::path::Path;

use super::gzip::{maybe_gunzip, read_file};
use super::{DataError, Dataset};

/// An IDX array of unsigned bytes with its dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// Parses IDX bytes (optionally gzip); `name` is used in error messages.
pub fn parse_idx(name: &str, raw: &[u8]) -> Result<IdxArray, DataError> {
    let bytes = maybe_gunzip(name, raw)?;
    let bad = |position: String, expected: String, found: String| DataError::Malformed {
        file: name.to_string(),
        position,
        expected,
        found,
    };
    if bytes.len() < 4 {
        return Err(bad(
            "byte 0".into(),
            "a 4-byte IDX magic number".into(),
            format!("{} bytes", bytes.len()),
        ));
    }
    if bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08 {
        return Err(bad(
            "byte 0".into(),
            "the IDX magic 0x0000_08_NN (unsigned bytes)".into(),
            format!(
                "0x{:02x}{:02x}{:02x}{:02x}",
                bytes[0], bytes[1], bytes[2], bytes[3]
            ),
        ));
    }
    let ndim = bytes[3] as usize;
    if ndim == 0 {
        return Err(bad(
            "byte 3".into(),
            "at least one dimension".into(),
            "0".into(),
        ));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(bad(
            format!("byte {}", bytes.len()),
            format!("{ndim} dimension sizes (a {header}-byte header)"),
            "end of file".into(),
        ));
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|d| {
            u32::from_be_bytes([
                bytes[4 + 4 * d],
                bytes[5 + 4 * d],
                bytes[6 + 4 * d],
                bytes[7 + 4 * d],
            ]) as usize
        })
        .collect();
    let count = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let Some(count) = count else {
        return Err(bad(
            "byte 4".into(),
            "dimension sizes whose product fits in memory".into(),
            format!("{dims:?}"),
        ));
    };
    let have = bytes.len() - header;
    if have != count {
        return Err(bad(
            format!("byte {header}"),
            format!("{count} data bytes for dimensions {dims:?}"),
            format!("{have} bytes"),
        ));
    }
    Ok(IdxArray {
        dims,
        data: bytes[header..].to_vec(),
    })
}

/// Loads an IDX file (plain or gzip).
pub fn load_idx(path: impl AsRef<Path>) -> Result<IdxArray, DataError> {
    let path = path.as_ref();
    let raw = read_file(path)?;
    parse_idx(&path.display().to_string(), &raw)
}

/// Loads an image IDX file and its label IDX file (each plain or gzip, e.g. MNIST's
/// `t10k-images-idx3-ubyte.gz` and `t10k-labels-idx1-ubyte.gz`) as a data set with pixels
/// scaled to [0, 1].
pub fn load_images_and_labels(
    images: impl AsRef<Path>,
    labels: impl AsRef<Path>,
) -> Result<Dataset, DataError> {
    let (i, l) = (images.as_ref(), labels.as_ref());
    images_and_labels(
        load_idx(i)?,
        load_idx(l)?,
        (&i.display().to_string(), &l.display().to_string()),
    )
}

/// An image IDX file and a label IDX file as a data set with pixels scaled to [0, 1].
pub fn images_and_labels(
    images: IdxArray,
    labels: IdxArray,
    names: (&str, &str),
) -> Result<Dataset, DataError> {
    if images.dims.len() < 2 {
        return Err(DataError::Malformed {
            file: names.0.into(),
            position: "byte 3".into(),
            expected: "an image array [count, rows, ...]".into(),
            found: format!("{} dimension(s)", images.dims.len()),
        });
    }
    if labels.dims.len() != 1 || labels.dims[0] != images.dims[0] {
        return Err(DataError::Malformed {
            file: names.1.into(),
            position: "byte 4".into(),
            expected: format!("one label for each of the {} images", images.dims[0]),
            found: format!("dimensions {:?}", labels.dims),
        });
    }
    let width = images.dims[1..].iter().product();
    Ok(Dataset {
        features: images.data.iter().map(|&p| p as f32 / 255.0).collect(),
        labels: labels.data.iter().map(|&l| l as usize).collect(),
        width,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn parses_and_locates_errors() {
        let a = parse_idx("a", &idx(&[2, 3], &[1, 2, 3, 4, 5, 6])).unwrap();
        assert_eq!(
            (a.dims.clone(), a.data.clone()),
            (vec![2, 3], vec![1, 2, 3, 4, 5, 6])
        );
        let e = parse_idx("t.idx", &idx(&[2, 3], &[1, 2, 3]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "t.idx: byte 12: expected 6 data bytes for dimensions [2, 3], found 3 bytes"
        );
        let e = parse_idx("t.idx", &[0, 0, 9, 1, 0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected the IDX magic"), "{e}");
        let e = parse_idx("t.idx", &[0, 0, 8, 2, 0, 0, 0, 1])
            .unwrap_err()
            .to_string();
        assert!(e.contains("2 dimension sizes"), "{e}");
        let labels = parse_idx("l", &idx(&[3], &[0, 1, 2])).unwrap();
        let e = images_and_labels(a, labels, ("i", "l"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("one label for each of the 2 images"), "{e}");
    }
}
