//! Weight-decay settings shared by the optimisers: the amount, L2 or decoupled, and which
//! parameter kinds it applies to.

use crate::error::{check_hyper, Result};
use crate::float::Float;
use crate::param::ParamKind;

/// A set of [`ParamKind`]s, used to restrict weight decay (`.decay_only(ParamKind::Weight)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KindSet(u8);

impl KindSet {
    /// Every kind: PyTorch's behaviour, where decay applies to all parameters of a group.
    pub const ALL: KindSet = KindSet(0b1_1111);
    /// No kind at all.
    pub const NONE: KindSet = KindSet(0);

    fn bit(kind: ParamKind) -> u8 {
        match kind {
            ParamKind::Weight => 1,
            ParamKind::Bias => 2,
            ParamKind::Scale => 4,
            ParamKind::Shift => 8,
            ParamKind::Slope => 16,
        }
    }

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: ParamKind) -> bool {
        self.0 & Self::bit(kind) != 0
    }

    /// The set with `kind` added.
    pub fn with(self, kind: ParamKind) -> KindSet {
        KindSet(self.0 | Self::bit(kind))
    }
}

impl From<ParamKind> for KindSet {
    fn from(kind: ParamKind) -> Self {
        KindSet::NONE.with(kind)
    }
}

impl From<&[ParamKind]> for KindSet {
    fn from(kinds: &[ParamKind]) -> Self {
        kinds.iter().fold(KindSet::NONE, |s, &k| s.with(k))
    }
}

impl<const N: usize> From<[ParamKind; N]> for KindSet {
    fn from(kinds: [ParamKind; N]) -> Self {
        KindSet::from(&kinds[..])
    }
}

/// How an optimiser applies weight decay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Decay {
    /// PyTorch's `weight_decay`.
    pub amount: f64,
    /// AdamW-style `p *= 1 - lr * wd` instead of `g += wd * p`.
    pub decoupled: bool,
    /// Kinds the decay applies to.
    pub only: KindSet,
}

impl Decay {
    pub const NONE: Decay = Decay {
        amount: 0.0,
        decoupled: false,
        only: KindSet::ALL,
    };

    /// Validated setter for the amount.
    pub fn with_amount(self, wd: f64) -> Result<Decay> {
        check_hyper("weight decay", wd, wd >= 0.0, "must be finite and >= 0")?;
        Ok(Decay { amount: wd, ..self })
    }

    /// The L2 coefficient to add `wd * p` to this kind's gradient, if any.
    #[inline]
    pub fn l2<T: Float>(&self, kind: ParamKind) -> Option<T> {
        (!self.decoupled && self.amount != 0.0 && self.only.contains(kind))
            .then(|| T::from_f64(self.amount))
    }

    /// Applies decoupled decay `p *= 1 - lr * wd` to `value` if it applies to this kind.
    #[inline]
    pub fn apply_decoupled<T: Float>(&self, lr: f64, kind: ParamKind, value: &mut [T]) {
        if self.decoupled && self.amount != 0.0 && self.only.contains(kind) {
            let f = T::from_f64(1.0 - lr * self.amount);
            value.iter_mut().for_each(|p| *p *= f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_sets() {
        let w = KindSet::from(ParamKind::Weight);
        assert!(w.contains(ParamKind::Weight) && !w.contains(ParamKind::Bias));
        let ws = KindSet::from([ParamKind::Weight, ParamKind::Slope]);
        assert!(ws.contains(ParamKind::Slope) && !ws.contains(ParamKind::Scale));
        for k in [
            ParamKind::Weight,
            ParamKind::Bias,
            ParamKind::Scale,
            ParamKind::Shift,
            ParamKind::Slope,
        ] {
            assert!(KindSet::ALL.contains(k));
            assert!(!KindSet::NONE.contains(k));
        }
    }

    #[test]
    fn decay_modes() {
        let d = Decay::NONE.with_amount(0.5).unwrap();
        assert_eq!(d.l2::<f64>(ParamKind::Bias), Some(0.5));
        let mut v = [2.0f64];
        d.apply_decoupled(0.1, ParamKind::Weight, &mut v);
        assert_eq!(v, [2.0]);
        let d = Decay {
            decoupled: true,
            only: ParamKind::Weight.into(),
            ..d
        };
        assert_eq!(d.l2::<f64>(ParamKind::Weight), None);
        d.apply_decoupled(0.1, ParamKind::Weight, &mut v);
        assert_eq!(v, [2.0 * 0.95]);
        d.apply_decoupled(0.1, ParamKind::Bias, &mut v);
        assert_eq!(v, [2.0 * 0.95]);
        assert!(Decay::NONE.with_amount(-1.0).is_err());
        assert!(Decay::NONE.with_amount(f64::NAN).is_err());
    }
}
