//! What a loader may allocate and what it checks while reading: the bound on the memory of
//! the data it builds (so a small compressed file cannot inflate into gigabytes), and the
//! class count labels must fit.

use super::DataError;

/// Options of every file loader (`load_*_with`); the plain `load_*` functions use
/// [`LoadOptions::default`].
///
/// ```
/// use kiln::data::{load_csv_with, DataError, LoadOptions};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let path = std::env::temp_dir().join(format!("kiln-doc-options-{}.csv", std::process::id()));
/// std::fs::write(&path, "0.5,1.0,0\n0.25,0.75,1\n")?; // two features, then the label
/// let data = load_csv_with(&path, -1, &LoadOptions::default().with_classes(2))?;
/// assert_eq!((data.len(), data.width), (2, 2));
/// // Labels must be below the class count...
/// let err = load_csv_with(&path, -1, &LoadOptions::default().with_classes(1)).unwrap_err();
/// assert!(matches!(err, DataError::Malformed { .. }));
/// // ...and the data must fit the memory bound.
/// let err = load_csv_with(&path, -1, &LoadOptions::max_bytes(8)).unwrap_err();
/// assert!(matches!(err, DataError::TooLarge { .. }));
/// # std::fs::remove_file(&path)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// The most memory, in bytes, the loaded data may take (the vectors the loader returns,
    /// at their final element types, e.g. 4 bytes per pixel once pixels are `f32`). A file
    /// whose header declares more is refused before anything is allocated; a file that
    /// grows past it while streaming is refused when it does. Default 1 GiB.
    pub max_bytes: u64,
    /// Class labels must be below this (reported by their line or byte in the file), for
    /// loaders of labelled data; `None` (default) accepts any label.
    pub classes: Option<usize>,
}

/// The default [`LoadOptions::max_bytes`]: far above any data set the examples load whole
/// (MNIST's training images take 188 MB as `f32`).
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_bytes: DEFAULT_MAX_BYTES,
            classes: None,
        }
    }
}

impl LoadOptions {
    /// The default options with another memory bound.
    pub fn max_bytes(max_bytes: u64) -> LoadOptions {
        LoadOptions {
            max_bytes,
            ..LoadOptions::default()
        }
    }

    /// These options, also checking labels against `classes`.
    pub fn with_classes(mut self, classes: usize) -> LoadOptions {
        self.classes = Some(classes);
        self
    }

    /// Errors if `label` (found at `position` of `file`) is not below the class count.
    pub(super) fn check_label(
        &self,
        file: &str,
        position: impl FnOnce() -> String,
        label: usize,
    ) -> Result<(), DataError> {
        match self.classes {
            Some(classes) if label >= classes => Err(DataError::Malformed {
                file: file.to_string(),
                position: position(),
                expected: format!("a class label below {classes} (the model's classes)"),
                found: label.to_string(),
            }),
            _ => Ok(()),
        }
    }
}

/// The memory a loader has filled, against its bound: vectors grow through
/// [`Budget::push`] / [`Budget::extend`] / [`Budget::reserve`], which refuse an element that
/// would take the data past the bound. Growth is by a quarter (amortised O(1) appends; large
/// blocks are remapped, not copied), so allocations stay within 1.25x the bound.
pub(super) struct Budget<'a> {
    file: &'a str,
    max: u64,
    /// Bytes of elements appended or reserved so far.
    used: u64,
}

impl<'a> Budget<'a> {
    pub fn new(file: &'a str, options: &LoadOptions) -> Budget<'a> {
        Budget {
            file,
            max: options.max_bytes,
            used: 0,
        }
    }

    /// Counts `n` elements of `T` against the bound, or errors with what they would need.
    #[inline]
    fn take<T>(&mut self, n: usize) -> Result<(), DataError> {
        let total = self
            .used
            .saturating_add((n as u64).saturating_mul(size_of::<T>() as u64));
        if total > self.max {
            return Err(DataError::TooLarge {
                file: self.file.to_string(),
                needed: total,
                max_bytes: self.max,
            });
        }
        self.used = total;
        Ok(())
    }

    /// Counts `n` elements of `T` (a size a header declares) against the bound without
    /// allocating; fill them with [`grow_toward`] and plain appends as the data arrives.
    pub fn claim<T>(&mut self, n: usize) -> Result<(), DataError> {
        self.take::<T>(n)
    }

    /// Reserves exactly `n` more elements (a size the data itself has shown), counted
    /// against the bound first; fill them with plain appends.
    pub fn reserve<T>(&mut self, v: &mut Vec<T>, n: usize) -> Result<(), DataError> {
        self.take::<T>(n)?;
        v.reserve_exact(n);
        Ok(())
    }

    /// Appends `x` within the bound.
    #[inline]
    pub fn push<T>(&mut self, v: &mut Vec<T>, x: T) -> Result<(), DataError> {
        self.take::<T>(1)?;
        if v.len() == v.capacity() {
            grow(v, 1);
        }
        v.push(x);
        Ok(())
    }

    /// Appends `xs` within the bound.
    pub fn extend<T: Copy>(&mut self, v: &mut Vec<T>, xs: &[T]) -> Result<(), DataError> {
        self.take::<T>(xs.len())?;
        if v.capacity() - v.len() < xs.len() {
            grow(v, xs.len());
        }
        v.extend_from_slice(xs);
        Ok(())
    }
}

/// Makes room for `n` more elements of a vector that will end at `total` elements: growing
/// by a quarter (at least 64 KiB) but never past `total`, so a header's size is allocated
/// only as its data arrives (a short file cannot make the loader allocate what it claims).
pub(super) fn grow_toward<T>(v: &mut Vec<T>, n: usize, total: usize) {
    if v.capacity() - v.len() < n {
        let step = (v.len() / 4).max(65536 / size_of::<T>().max(1)).max(n);
        let target = (v.len() + step).min(total.max(v.len() + n));
        v.reserve_exact(target - v.len());
    }
}

/// Makes room for `n` more elements and a quarter of the length (at least 4 KiB) besides.
#[cold]
fn grow<T>(v: &mut Vec<T>, n: usize) {
    let extra = (v.len() / 4).max(4096 / size_of::<T>().max(1));
    v.reserve_exact(n + extra);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities_never_pass_the_bound_and_data_that_fits_loads() {
        let opts = LoadOptions::max_bytes(4000);
        let mut b = Budget::new("f", &opts);
        let (mut a, mut c) = (Vec::<f32>::new(), Vec::<u64>::new());
        for i in 0..500 {
            b.push(&mut a, i as f32).unwrap();
        }
        for i in 0..250 {
            b.push(&mut c, i).unwrap();
        }
        // 500 * 4 + 250 * 8 = 4000 bytes: exactly the bound, and it loads.
        assert_eq!((a.len(), c.len()), (500, 250));
        let e = b.push(&mut c, 0).unwrap_err().to_string();
        assert_eq!(
            e,
            "f: the data needs at least 4008 bytes of memory, more than the loader's limit of 4000 (LoadOptions::max_bytes)"
        );
        let mut b = Budget::new("f", &opts);
        let mut d = Vec::<f32>::new();
        assert!(b.reserve(&mut d, 1001).is_err());
        assert!(b.claim::<f32>(1001).is_err());
        assert_eq!(d.capacity(), 0, "refused before allocating");
        b.extend(&mut d, &[1.0; 1000]).unwrap();
        assert!(b.extend(&mut d, &[1.0]).is_err());
        assert!(LoadOptions::default()
            .with_classes(10)
            .check_label("f", || "line 3".into(), 10)
            .is_err());
    }

    #[test]
    fn growth_toward_a_declared_size_follows_the_data_and_ends_exact() {
        let mut v = Vec::<u8>::new();
        grow_toward(&mut v, 10, 1 << 30);
        assert!(v.capacity() < 1 << 20, "only what arrived, and a step");
        let total = 300_000;
        while v.len() < total {
            let n = 7000.min(total - v.len());
            grow_toward(&mut v, n, total);
            v.extend(std::iter::repeat_n(1, n));
        }
        assert_eq!(v.capacity(), total);
    }
}
