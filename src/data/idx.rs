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
    // The product of the non-zero sizes must fit too: a zero size makes the data empty, but
    // users of the array multiply the other sizes (e.g. an image's pixels).
    let nonzero = dims
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |a, &d| a.checked_mul(d));
    let count = nonzero.map(|n| if dims.contains(&0) { 0 } else { n });
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
    let width = images.dims[1..]
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d));
    let width = match width {
        Some(w) if w > 0 => w,
        _ => {
            return Err(DataError::Malformed {
                file: names.0.into(),
                position: "byte 8".into(),
                expected: "images of at least one pixel, whose count fits in memory".into(),
                found: format!("dimensions {:?}", images.dims),
            })
        }
    };
    if images.data.len() != images.dims[0].saturating_mul(width) {
        return Err(DataError::Malformed {
            file: names.0.into(),
            position: "byte 4".into(),
            expected: format!(
                "{} bytes for dimensions {:?}",
                images.dims[0].saturating_mul(width),
                images.dims
            ),
            found: format!("{} bytes", images.data.len()),
        });
    }
    if labels.data.len() != labels.dims[0] {
        return Err(DataError::Malformed {
            file: names.1.into(),
            position: "byte 8".into(),
            expected: format!("{} label bytes", labels.dims[0]),
            found: format!("{} bytes", labels.data.len()),
        });
    }
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

    #[test]
    fn sizes_that_overflow_or_leave_no_pixels_are_errors() {
        // Found by fuzzing: with a zero image count the other sizes were not checked, so
        // multiplying them into the image width overflowed.
        let huge = idx(&[0, u32::MAX, u32::MAX, u32::MAX], &[]);
        let e = parse_idx("t.idx", &huge).unwrap_err().to_string();
        assert!(e.contains("dimension sizes whose product fits"), "{e}");
        let e = images_and_labels(
            IdxArray {
                dims: vec![0, usize::MAX, 2],
                data: Vec::new(),
            },
            parse_idx("l", &idx(&[0], &[])).unwrap(),
            ("i", "l"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("i: byte 8: expected images of at least one pixel"),
            "{e}"
        );
        // Found by fuzzing: 2 images of 0 pixels made a data set of width 0.
        let images = parse_idx("i", &idx(&[2, 0], &[])).unwrap();
        let labels = parse_idx("l", &idx(&[2], &[0, 1])).unwrap();
        let e = images_and_labels(images, labels, ("i", "l"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least one pixel"), "{e}");
        // Arrays built by hand must hold as many bytes as their sizes say.
        let short = IdxArray {
            dims: vec![2, 2],
            data: vec![1, 2, 3],
        };
        let labels = parse_idx("l", &idx(&[2], &[0, 1])).unwrap();
        let e = images_and_labels(short, labels, ("i", "l"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected 4 bytes"), "{e}");
    }
}
