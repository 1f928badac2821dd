//! The one error type of the runtime: everything a user, a hyper-parameter or a file can get
//! wrong is reported as a [`KilnError`], never as a panic.

use core::fmt;

/// Shorthand for results of kiln's runtime.
pub type Result<T, E = KilnError> = core::result::Result<T, E>;

/// What went wrong, with enough detail to fix it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum KilnError {
    /// A hyper-parameter is outside its valid range (`what` names it, `why` gives the range).
    InvalidHyperParameter {
        what: &'static str,
        value: f64,
        why: &'static str,
    },
    /// A buffer's length disagrees with the shape it must have.
    LengthMismatch {
        what: &'static str,
        expected: usize,
        actual: usize,
    },
    /// A shape has a zero-sized dimension where none is allowed.
    EmptyShape { what: &'static str },
    /// A class label is not below the number of classes.
    LabelOutOfRange {
        index: usize,
        label: usize,
        classes: usize,
    },
    /// An input row of a token layer is not a token id below the vocabulary size.
    TokenOutOfRange {
        index: usize,
        value: f64,
        vocab: usize,
    },
    /// A value that must be finite is NaN or infinite.
    NonFinite { what: &'static str, index: usize },
    /// An embedded network has no tensor of the name asked for (its `TENSORS` lists them).
    UnknownTensor,
    /// A training step's loss was NaN or infinite; nothing was updated.
    NonFiniteLoss { step: u64, loss: f64 },
    /// A training step's gradient was NaN or infinite; `tensor` is the first one the backward
    /// pass made non-finite (the deepest layer's). Nothing was updated.
    NonFiniteGradient {
        step: u64,
        tensor: &'static str,
        index: usize,
    },
    /// A training step's update made a parameter NaN or infinite (the gradients were
    /// finite): `tensor` is the first such parameter. `train_step` and `Fit` have put the
    /// network and the optimiser back as they were before the step.
    NonFiniteParameter {
        step: u64,
        tensor: &'static str,
        index: usize,
    },
    /// A loss was needed from a network declared with `loss: none`.
    NoLoss,
    /// A sequence's length in a padded batch is 0 or more than the batch's steps.
    SequenceLength {
        index: usize,
        length: usize,
        steps: usize,
    },
    /// A loss without a masked form was asked to skip the padding steps of a padded batch.
    NoMaskedLoss,
    /// `freeze` was given a name that is no parameter tensor and no layer holding one.
    #[cfg(feature = "std")]
    NoSuchParameter {
        name: std::string::String,
        known: std::string::String,
    },
    /// The set of parameters given to a stateful optimiser changed between steps.
    ParameterSetChanged {
        index: usize,
        expected_len: usize,
        actual_len: usize,
    },
}

impl fmt::Display for KilnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KilnError::InvalidHyperParameter { what, value, why } => {
                write!(f, "invalid {what} = {value}: {why}")
            }
            KilnError::LengthMismatch {
                what,
                expected,
                actual,
            } => write!(
                f,
                "{what} has length {actual}, but its shape needs {expected}"
            ),
            KilnError::EmptyShape { what } => write!(f, "{what} has a zero-sized dimension"),
            KilnError::LabelOutOfRange {
                index,
                label,
                classes,
            } => write!(
                f,
                "label {label} of sample {index} is out of range for {classes} classes (valid: 0..{classes})"
            ),
            KilnError::TokenOutOfRange { index, value, vocab } => write!(
                f,
                "input row {index} holds {value}, which is not a token id of the vocabulary (0..{vocab})"
            ),
            KilnError::NonFinite { what, index } => {
                write!(f, "{what} is not finite at index {index}")
            }
            #[cfg(feature = "std")]
            KilnError::NoSuchParameter { name, known } => write!(
                f,
                "no parameter tensor is named `{name}` or lies under it; the layers with parameters are {known}"
            ),
            KilnError::NonFiniteParameter { step, tensor, index } => write!(
                f,
                "training step {step}: the update made `{tensor}` non-finite at index {index} (a learning rate or gradient too large for the float type); the parameters are no longer usable, reload the last checkpoint"
            ),
            KilnError::UnknownTensor => write!(
                f,
                "the network has no tensor of that name (its TENSORS const lists them)"
            ),
            KilnError::NonFiniteLoss { step, loss } => write!(
                f,
                "training step {step}: the loss is {loss}; the step was not applied (try a smaller learning rate, gradient clipping, or check the inputs for NaN)"
            ),
            KilnError::NonFiniteGradient {
                step,
                tensor,
                index,
            } => write!(
                f,
                "training step {step}: the gradient of `{tensor}` is not finite at element {index} (the first tensor to go non-finite in the backward pass); the step was not applied"
            ),
            KilnError::SequenceLength { index, length, steps } => write!(
                f,
                "sequence {index} has length {length}, but lengths in a padded batch lie in 1..={steps} (the batch's steps)"
            ),
            KilnError::NoMaskedLoss => write!(
                f,
                "this loss cannot skip padding steps: implement `Loss::loss_and_grad_masked` for it to train per-step outputs on sequences of different lengths"
            ),
            KilnError::NoLoss => write!(
                f,
                "this network was declared with `loss: none` (inference only); declare a loss to train or gradcheck it"
            ),
            KilnError::ParameterSetChanged {
                index,
                expected_len,
                actual_len,
            } => write!(
                f,
                "parameter #{index} has {actual_len} elements but the optimiser's state was built for {expected_len}: use one optimiser per model"
            ),
        }
    }
}

impl core::error::Error for KilnError {}

impl KilnError {
    /// Whether this is the training guard finding a NaN or infinity (in the loss, a gradient
    /// or an updated parameter): the run has diverged.
    pub fn is_non_finite(&self) -> bool {
        matches!(
            self,
            KilnError::NonFiniteLoss { .. }
                | KilnError::NonFiniteGradient { .. }
                | KilnError::NonFiniteParameter { .. }
        )
    }
}

/// Checks that a hyper-parameter is finite and satisfies `ok`, or returns the error naming it.
pub(crate) fn check_hyper(
    what: &'static str,
    value: f64,
    ok: bool,
    why: &'static str,
) -> Result<()> {
    if value.is_finite() && ok {
        Ok(())
    } else {
        Err(KilnError::InvalidHyperParameter { what, value, why })
    }
}

/// Checks a buffer length against the length its shape requires.
pub(crate) fn check_len(what: &'static str, expected: usize, actual: usize) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(KilnError::LengthMismatch {
            what,
            expected,
            actual,
        })
    }
}
