//! IDX files (the MNIST format), plain or gzip: big-endian magic `0x0000_08_NN` (unsigned bytes,
//! NN dimensions), the dimension sizes, then the data. Read as a stream: the sizes in the
//! header are checked against the loader's memory bound before anything is allocated, and the
//! bytes go straight into the array (or the data set's `f32` pixels) they end up in.

use std::path::Path;

use super::load_options::{grow_toward, Budget};
use super::source::Source;
use super::{DataError, Dataset, LoadOptions};

/// An IDX array of unsigned bytes with its dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    /// The size of each dimension, outermost first (e.g. `[60000, 28, 28]` for MNIST images).
    pub dims: Vec<usize>,
    /// The elements in row-major order; its length is the product of `dims`.
    pub data: Vec<u8>,
}

/// Bytes moved from the stream per chunk.
const CHUNK: usize = 64 * 1024;

/// An IDX header: its dimensions, its element count and its length in bytes.
struct Header {
    dims: Vec<usize>,
    count: usize,
    len: usize,
}

fn malformed(name: &str, position: String, expected: String, found: String) -> DataError {
    DataError::Malformed {
        file: name.to_string(),
        position,
        expected,
        found,
    }
}

/// Reads and checks the magic number and the dimension sizes.
fn read_header(src: &mut Source) -> Result<Header, DataError> {
    let name = src.name.clone();
    let mut magic = [0u8; 4];
    let got = src.read_full(&mut magic)?;
    if got < 4 {
        return Err(malformed(
            &name,
            "byte 0".into(),
            "a 4-byte IDX magic number".into(),
            format!("{got} bytes"),
        ));
    }
    if magic[..3] != [0, 0, 0x08] {
        return Err(malformed(
            &name,
            "byte 0".into(),
            "the IDX magic 0x0000_08_NN (unsigned bytes)".into(),
            format!(
                "0x{:02x}{:02x}{:02x}{:02x}",
                magic[0], magic[1], magic[2], magic[3]
            ),
        ));
    }
    let ndim = magic[3] as usize;
    if ndim == 0 {
        return Err(malformed(
            &name,
            "byte 3".into(),
            "at least one dimension".into(),
            "0".into(),
        ));
    }
    let len = 4 + 4 * ndim;
    let mut sizes = vec![0u8; 4 * ndim];
    let got = src.read_full(&mut sizes)?;
    if got < sizes.len() {
        return Err(malformed(
            &name,
            format!("byte {}", 4 + got),
            format!("{ndim} dimension sizes (a {len}-byte header)"),
            "end of file".into(),
        ));
    }
    let dims: Vec<usize> = sizes
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    // The product of the non-zero sizes must fit too: a zero size makes the data empty, but
    // users of the array multiply the other sizes (e.g. an image's pixels).
    let nonzero = dims
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |a, &d| a.checked_mul(d));
    let Some(nonzero) = nonzero else {
        return Err(malformed(
            &name,
            "byte 4".into(),
            "dimension sizes whose product fits in memory".into(),
            format!("{dims:?}"),
        ));
    };
    let count = if dims.contains(&0) { 0 } else { nonzero };
    Ok(Header { dims, count, len })
}

/// Streams the header's `count` data bytes to `f` in chunks; errors if the stream holds
/// fewer or more.
fn read_data(
    src: &mut Source,
    h: &Header,
    mut f: impl FnMut(&[u8]) -> Result<(), DataError>,
) -> Result<(), DataError> {
    let mut buf = vec![0u8; CHUNK.min(h.count)];
    let mut left = h.count;
    while left > 0 {
        let want = left.min(CHUNK);
        let got = src.read_full(&mut buf[..want])?;
        f(&buf[..got])?;
        left -= got;
        if got < want {
            return Err(too_few_or_many(src, h, format!("{} bytes", h.count - left)));
        }
    }
    if !src.at_end()? {
        return Err(too_few_or_many(src, h, "more bytes".into()));
    }
    Ok(())
}

fn too_few_or_many(src: &Source, h: &Header, found: String) -> DataError {
    malformed(
        &src.name,
        format!("byte {}", h.len),
        format!("{} data bytes for dimensions {:?}", h.count, h.dims),
        found,
    )
}

/// An IDX array from a stream, within the bound of `options`.
fn idx_array(mut src: Source, options: &LoadOptions) -> Result<IdxArray, DataError> {
    let h = read_header(&mut src)?;
    let name = src.name.clone();
    Budget::new(&name, options).claim::<u8>(h.count)?;
    let mut data = Vec::new();
    read_data(&mut src, &h, |chunk| {
        grow_toward(&mut data, chunk.len(), h.count);
        data.extend_from_slice(chunk);
        Ok(())
    })?;
    Ok(IdxArray { dims: h.dims, data })
}

/// Parses IDX bytes (optionally gzip); `name` is used in error messages.
pub fn parse_idx(name: &str, raw: &[u8]) -> Result<IdxArray, DataError> {
    idx_array(Source::bytes(name, raw), &LoadOptions::default())
}

/// Loads an IDX file (plain or gzip).
pub fn load_idx(path: impl AsRef<Path>) -> Result<IdxArray, DataError> {
    load_idx_with(path, &LoadOptions::default())
}

/// [`load_idx`] within the memory bound of `options`.
pub fn load_idx_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<IdxArray, DataError> {
    idx_array(Source::file(path.as_ref())?, options)
}

/// Loads an image IDX file and its label IDX file (each plain or gzip, e.g. MNIST's
/// `t10k-images-idx3-ubyte.gz` and `t10k-labels-idx1-ubyte.gz`) as a data set with pixels
/// scaled to [0, 1].
pub fn load_images_and_labels(
    images: impl AsRef<Path>,
    labels: impl AsRef<Path>,
) -> Result<Dataset, DataError> {
    load_images_and_labels_with(images, labels, &LoadOptions::default())
}

/// [`load_images_and_labels`] within the memory bound of `options` (the data set's `f32`
/// pixels and labels together), checking labels against its class count. Each file is read
/// once, straight into the data set.
pub fn load_images_and_labels_with(
    images: impl AsRef<Path>,
    labels: impl AsRef<Path>,
    options: &LoadOptions,
) -> Result<Dataset, DataError> {
    let images = Source::file(images.as_ref())?;
    let labels = Source::file(labels.as_ref())?;
    dataset_from_idx(images, labels, options)
}

/// Streams an image IDX and a label IDX into a data set.
pub(super) fn dataset_from_idx(
    mut images: Source,
    mut labels: Source,
    options: &LoadOptions,
) -> Result<Dataset, DataError> {
    let ih = read_header(&mut images)?;
    let lh = read_header(&mut labels)?;
    let width = check_pair(&ih.dims, &lh.dims, (&images.name, &labels.name))?;
    let name = images.name.clone();
    let mut budget = Budget::new(&name, options);
    budget.claim::<usize>(lh.count)?;
    budget.claim::<f32>(ih.count)?;
    let (mut ids, mut features) = (Vec::new(), Vec::new());
    let label_file = labels.name.clone();
    read_data(&mut labels, &lh, |chunk| {
        grow_toward(&mut ids, chunk.len(), lh.count);
        for &l in chunk {
            let at = ids.len();
            options.check_label(&label_file, || format!("byte {}", lh.len + at), l as usize)?;
            ids.push(l as usize);
        }
        Ok(())
    })?;
    read_data(&mut images, &ih, |chunk| {
        grow_toward(&mut features, chunk.len(), ih.count);
        features.extend(chunk.iter().map(|&p| p as f32 / 255.0));
        Ok(())
    })?;
    Ok(Dataset {
        features,
        labels: ids,
        width,
    })
}

/// Checks that `images` are `[count, rows, ...]` with one label per image; returns the pixels
/// per image.
fn check_pair(images: &[usize], labels: &[usize], names: (&str, &str)) -> Result<usize, DataError> {
    if images.len() < 2 {
        return Err(malformed(
            names.0,
            "byte 3".into(),
            "an image array [count, rows, ...]".into(),
            format!("{} dimension(s)", images.len()),
        ));
    }
    if labels.len() != 1 || labels[0] != images[0] {
        return Err(malformed(
            names.1,
            "byte 4".into(),
            format!("one label for each of the {} images", images[0]),
            format!("dimensions {labels:?}"),
        ));
    }
    let width = images[1..]
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d));
    match width {
        Some(w) if w > 0 => Ok(w),
        _ => Err(malformed(
            names.0,
            "byte 8".into(),
            "images of at least one pixel, whose count fits in memory".into(),
            format!("dimensions {images:?}"),
        )),
    }
}

/// An image IDX array and a label IDX array as a data set with pixels scaled to [0, 1].
pub fn images_and_labels(
    images: IdxArray,
    labels: IdxArray,
    names: (&str, &str),
) -> Result<Dataset, DataError> {
    let width = check_pair(&images.dims, &labels.dims, names)?;
    if images.data.len() != images.dims[0].saturating_mul(width) {
        return Err(malformed(
            names.0,
            "byte 4".into(),
            format!(
                "{} bytes for dimensions {:?}",
                images.dims[0].saturating_mul(width),
                images.dims
            ),
            format!("{} bytes", images.data.len()),
        ));
    }
    if labels.data.len() != labels.dims[0] {
        return Err(malformed(
            names.1,
            "byte 8".into(),
            format!("{} label bytes", labels.dims[0]),
            format!("{} bytes", labels.data.len()),
        ));
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
