//! Random per-sample image augmentation (flips, shifts, noise) applied to a training batch in
//! place, so a network sees a slightly different copy of each image every epoch.

use kiln_runtime::float::Float;
use kiln_runtime::rng::{normal, unit_f64, KilnRng};

use super::DataError;

/// Random transforms of images stored row-major `[C, H, W]` in each sample's features.
///
/// Each sample of a batch gets, in this order: a horizontal flip with probability `hflip`; a
/// translation by integers `dx`, `dy` drawn uniformly from `[-shift, shift]`, vacated pixels
/// set to `fill`; Gaussian noise of standard deviation `noise` added to every value. Disabled
/// transforms draw nothing from the generator, so a seed gives the same batch on every machine.
/// [`Fit::augment`](crate::train::Fit::augment) applies it to every training batch.
///
/// ```
/// use kiln::data::Augment;
/// use kiln::prelude::seeded;
///
/// # fn main() -> Result<(), kiln::data::DataError> {
/// // One 1x2x2 image, flipped left-right for certain.
/// let flip = Augment::new(1, 2, 2)?.hflip(1.0)?;
/// let mut batch = [1.0f32, 2.0, 3.0, 4.0];
/// flip.apply_batch(&mut batch, &mut seeded(0))?;
/// assert_eq!(batch, [2.0, 1.0, 4.0, 3.0]);
/// assert!(flip.apply_batch(&mut [0.0f32; 3], &mut seeded(0)).is_err()); // not whole images
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Augment {
    channels: usize,
    height: usize,
    width: usize,
    hflip: f32,
    shift: usize,
    fill: f32,
    noise: f32,
}

impl Augment {
    /// No transforms yet, for images of `channels x height x width`; errors unless that
    /// product is positive (and fits in `usize`).
    pub fn new(channels: usize, height: usize, width: usize) -> Result<Augment, DataError> {
        let size = channels
            .checked_mul(height)
            .and_then(|n| n.checked_mul(width));
        if size.is_none_or(|n| n == 0) {
            return Err(DataError::Invalid {
                what: "image shape",
                why: format!("{channels}x{height}x{width} holds no pixels"),
            });
        }
        Ok(Augment {
            channels,
            height,
            width,
            hflip: 0.0,
            shift: 0,
            fill: 0.0,
            noise: 0.0,
        })
    }

    /// Flips each image left-right with probability `p` (in `[0, 1]`).
    pub fn hflip(self, p: f32) -> Result<Augment, DataError> {
        if !(0.0..=1.0).contains(&p) {
            return Err(DataError::Invalid {
                what: "flip probability",
                why: format!("must be in [0, 1], got {p}"),
            });
        }
        Ok(Augment { hflip: p, ..self })
    }

    /// Translates each image by up to `max_pixels` in x and in y; must be smaller than both the
    /// height and the width (a larger shift could move the whole image out of frame).
    pub fn shift(self, max_pixels: usize) -> Result<Augment, DataError> {
        if max_pixels >= self.height || max_pixels >= self.width {
            return Err(DataError::Invalid {
                what: "shift",
                why: format!(
                    "{max_pixels} pixels must be less than the image's height {} and width {}",
                    self.height, self.width
                ),
            });
        }
        Ok(Augment {
            shift: max_pixels,
            ..self
        })
    }

    /// The value of pixels vacated by a shift (default 0); must be finite.
    pub fn fill(self, value: f32) -> Result<Augment, DataError> {
        if !value.is_finite() {
            return Err(DataError::Invalid {
                what: "fill value",
                why: format!("must be finite, got {value}"),
            });
        }
        Ok(Augment {
            fill: value,
            ..self
        })
    }

    /// Adds Gaussian noise of standard deviation `std` (finite, `>= 0`) to every value.
    pub fn noise(self, std: f32) -> Result<Augment, DataError> {
        if !(std.is_finite() && std >= 0.0) {
            return Err(DataError::Invalid {
                what: "noise standard deviation",
                why: format!("must be finite and >= 0, got {std}"),
            });
        }
        Ok(Augment { noise: std, ..self })
    }

    /// Values per image, `C * H * W`.
    pub fn sample_width(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Errors unless a data set with `width` features per sample holds images of this shape;
    /// for a trainer to call before the first epoch.
    pub fn check_width(&self, width: usize) -> Result<(), DataError> {
        if width != self.sample_width() {
            return Err(DataError::Invalid {
                what: "sample width",
                why: format!(
                    "the augmentation takes {}x{}x{} = {} features per sample, the data set has {width}",
                    self.channels,
                    self.height,
                    self.width,
                    self.sample_width()
                ),
            });
        }
        Ok(())
    }

    /// Transforms every sample of `features` (whole images, back to back) in place, drawing
    /// from `rng`. Errors, leaving `features` unchanged, if its length is not a multiple of
    /// `C * H * W`. Allocates nothing.
    pub fn apply_batch<V: Float>(
        &self,
        features: &mut [V],
        rng: &mut KilnRng,
    ) -> Result<(), DataError> {
        let size = self.sample_width();
        if !features.len().is_multiple_of(size) {
            return Err(DataError::Invalid {
                what: "batch length",
                why: format!(
                    "{} values are not whole images of {}x{}x{} = {size}",
                    features.len(),
                    self.channels,
                    self.height,
                    self.width
                ),
            });
        }
        let (h, w) = (self.height, self.width);
        for image in features.chunks_exact_mut(size) {
            if self.hflip > 0.0 && unit_f64(rng) < self.hflip as f64 {
                for row in image.chunks_exact_mut(w) {
                    row.reverse();
                }
            }
            if self.shift > 0 {
                let dx = draw_offset(rng, self.shift);
                let dy = draw_offset(rng, self.shift);
                let fill = V::from_f64(self.fill as f64);
                for plane in image.chunks_exact_mut(h * w) {
                    shift_plane(plane, h, w, dx, dy, fill);
                }
            }
            if self.noise > 0.0 {
                for x in image.iter_mut() {
                    *x += V::from_f64(normal(rng, 0.0f32, self.noise) as f64);
                }
            }
        }
        Ok(())
    }
}

/// A uniform integer in `[-max, max]`; one draw.
fn draw_offset(rng: &mut KilnRng, max: usize) -> isize {
    let n = 2 * max + 1;
    let k = ((unit_f64(rng) * n as f64) as usize).min(n - 1);
    k as isize - max as isize
}

/// Moves the `h x w` plane by `dx` columns right and `dy` rows down, in place: pixel `(y, x)`
/// takes the old `(y - dy, x - dx)`, or `fill` where that lies outside.
fn shift_plane<V: Float>(plane: &mut [V], h: usize, w: usize, dx: isize, dy: isize, fill: V) {
    let (hi, wi) = (h as isize, w as isize);
    // Columns of a destination row that have a source, and where that source starts.
    let x0 = dx.clamp(0, wi);
    let x1 = (wi + dx).clamp(x0, wi);
    let src_x0 = x0 - dx;
    let mut move_row = |y: isize| {
        let dst = (y * wi) as usize;
        let row = dst..dst + w;
        let sy = y - dy;
        if !(0..hi).contains(&sy) || x1 == x0 {
            plane[row].fill(fill);
            return;
        }
        let src = (sy * wi + src_x0) as usize;
        plane.copy_within(src..src + (x1 - x0) as usize, dst + x0 as usize);
        plane[dst..dst + x0 as usize].fill(fill);
        plane[dst + x1 as usize..dst + w].fill(fill);
    };
    // Write rows away from the direction of travel so every source row is read before it is
    // overwritten (within a row `copy_within` handles the overlap).
    if dy > 0 {
        (0..hi).rev().for_each(&mut move_row);
    } else {
        (0..hi).for_each(&mut move_row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_runtime::rng::seeded;

    #[test]
    fn flip_mirrors_each_row_of_each_channel() {
        let mut rng = seeded(1);
        let img = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut x = img;
        Augment::new(1, 2, 3)
            .and_then(|a| a.hflip(1.0))
            .unwrap()
            .apply_batch(&mut x, &mut rng)
            .unwrap();
        assert_eq!(x, [3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
        let mut x = img;
        let never = Augment::new(1, 2, 3).and_then(|a| a.hflip(0.0)).unwrap();
        for _ in 0..20 {
            never.apply_batch(&mut x, &mut rng).unwrap();
        }
        assert_eq!(x, img);
        // Two images of two 1x2 channels.
        let mut x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        Augment::new(2, 1, 2)
            .and_then(|a| a.hflip(1.0))
            .unwrap()
            .apply_batch(&mut x, &mut rng)
            .unwrap();
        assert_eq!(x, [2.0, 1.0, 4.0, 3.0, 6.0, 5.0, 8.0, 7.0]);
    }

    #[test]
    fn flip_with_half_probability_flips_about_half() {
        let a = Augment::new(1, 1, 2).and_then(|a| a.hflip(0.5)).unwrap();
        let mut x: Vec<f32> = [0.0, 1.0].repeat(4000);
        a.apply_batch(&mut x, &mut seeded(5)).unwrap();
        let flipped = x.chunks(2).filter(|p| p == &[1.0, 0.0]).count();
        // Binomial(4000, 0.5): standard deviation ~32.
        assert!((flipped as i64 - 2000).abs() < 160, "{flipped}");
    }

    #[test]
    fn shift_plane_moves_pixels_and_fills() {
        let img: Vec<f32> = (1..=12).map(|v| v as f32).collect(); // 3 rows x 4 columns
        let shifted = |dx, dy| {
            let mut p = img.clone();
            shift_plane(&mut p, 3, 4, dx, dy, -1.0);
            p
        };
        #[rustfmt::skip]
        let right_down: [f32; 12] = [
            -1.0, -1.0, -1.0, -1.0,
            -1.0,  1.0,  2.0,  3.0,
            -1.0,  5.0,  6.0,  7.0,
        ];
        assert_eq!(shifted(1, 1), right_down);
        #[rustfmt::skip]
        let left_up: [f32; 12] = [
             7.0,  8.0, -1.0, -1.0,
            11.0, 12.0, -1.0, -1.0,
            -1.0, -1.0, -1.0, -1.0,
        ];
        assert_eq!(shifted(-2, -1), left_up);
        assert_eq!(shifted(0, 0), img);
        assert_eq!(shifted(4, 0), [-1.0; 12]);
        assert_eq!(shifted(0, -3), [-1.0; 12]);
    }

    /// `img` (`h x w`) moved by `(dx, dy)` with fill 0, written out by definition.
    fn reference_shift(img: &[f32], h: usize, w: usize, dx: isize, dy: isize) -> Vec<f32> {
        let mut out = vec![0.0; h * w];
        for y in 0..h as isize {
            for x in 0..w as isize {
                let (sy, sx) = (y - dy, x - dx);
                if (0..h as isize).contains(&sy) && (0..w as isize).contains(&sx) {
                    out[(y * w as isize + x) as usize] = img[(sy * w as isize + sx) as usize];
                }
            }
        }
        out
    }

    #[test]
    fn random_shifts_are_translations_within_the_bound_and_cover_it() {
        let (h, w) = (4, 5);
        let img: Vec<f32> = (1..=h * w).map(|v| v as f32).collect();
        let a = Augment::new(1, h, w).and_then(|a| a.shift(2)).unwrap();
        let n = 500;
        let mut batch = img.repeat(n);
        a.apply_batch(&mut batch, &mut seeded(9)).unwrap();
        let mut seen = std::collections::HashSet::new();
        for out in batch.chunks(h * w) {
            let found: Vec<(isize, isize)> = (-2..=2)
                .flat_map(|dx| (-2..=2).map(move |dy| (dx, dy)))
                .filter(|&(dx, dy)| reference_shift(&img, h, w, dx, dy) == out)
                .collect();
            assert_eq!(found.len(), 1, "{out:?}");
            seen.insert(found[0]);
        }
        assert_eq!(seen.len(), 25);
    }

    #[test]
    fn shift_uses_the_fill_value_in_every_channel() {
        // Constant 5 images: after any shift, every value is 5 or the fill, and one offset
        // applies to both channels.
        let a = Augment::new(2, 3, 3)
            .and_then(|a| a.shift(1))
            .and_then(|a| a.fill(-7.0))
            .unwrap();
        let mut x = vec![5.0f32; 18 * 50];
        a.apply_batch(&mut x, &mut seeded(2)).unwrap();
        assert!(x.iter().all(|&v| v == 5.0 || v == -7.0));
        assert!(x.iter().any(|&v| v == -7.0));
        for img in x.chunks(18) {
            assert_eq!(img[..9], img[9..]);
        }
    }

    #[test]
    fn noise_has_zero_mean_and_the_requested_std() {
        let a = Augment::new(1, 100, 100)
            .and_then(|a| a.noise(0.5))
            .unwrap();
        let mut x = vec![2.0f32; 4 * 100 * 100];
        a.apply_batch(&mut x, &mut seeded(3)).unwrap();
        let n = x.len() as f64;
        let mean = x.iter().map(|&v| v as f64 - 2.0).sum::<f64>() / n;
        let var = x
            .iter()
            .map(|&v| (v as f64 - 2.0 - mean).powi(2))
            .sum::<f64>()
            / n;
        // 40,000 draws: the mean's standard error is 0.0025, the std's about 0.0018.
        assert!(mean.abs() < 0.0125, "mean {mean}");
        assert!((var.sqrt() - 0.5).abs() < 0.01, "std {}", var.sqrt());
    }

    #[test]
    fn same_seed_same_batch_other_seed_other_batch() {
        let a = Augment::new(3, 4, 4)
            .and_then(|a| a.hflip(0.5))
            .and_then(|a| a.shift(1))
            .and_then(|a| a.noise(0.1))
            .unwrap();
        let base: Vec<f32> = (0..48 * 8).map(|v| v as f32).collect();
        let run = |seed| {
            let mut x = base.clone();
            a.apply_batch(&mut x, &mut seeded(seed)).unwrap();
            x
        };
        assert_eq!(run(4), run(4));
        assert_ne!(run(4), run(5));
        assert_ne!(run(4), base);
    }

    #[test]
    fn invalid_arguments_are_errors() {
        assert!(Augment::new(0, 28, 28).is_err());
        assert!(Augment::new(usize::MAX, 2, 2).is_err());
        let a = Augment::new(1, 2, 3).unwrap();
        for p in [-0.1, 1.5, f32::NAN] {
            assert!(a.clone().hflip(p).is_err(), "{p}");
        }
        assert!(a.clone().shift(2).is_err()); // height is 2
        assert!(a.clone().shift(1).is_ok());
        assert!(a.clone().fill(f32::INFINITY).is_err());
        for s in [-1.0, f32::NAN, f32::INFINITY] {
            assert!(a.clone().noise(s).is_err(), "{s}");
        }
        let mut x = [1.0; 7];
        let e = a
            .clone()
            .hflip(1.0)
            .unwrap()
            .apply_batch(&mut x, &mut seeded(0))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "invalid batch length: 7 values are not whole images of 1x2x3 = 6"
        );
        assert_eq!(x, [1.0; 7]);
        assert!(a.check_width(6).is_ok());
        let e = a.check_width(5).unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid sample width: the augmentation takes 1x2x3 = 6 features per sample, the data set has 5"
        );
    }
}
