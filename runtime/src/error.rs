//! The one error type of the runtime: everything a user, a hyper-parameter or a file can get
//! wrong is reported as a [`KilnError`], never as a panic.

use core::fmt;

/// Shorthand for results of kiln's runtime.
pub type Result<T, E = KilnError> = core::result::Result<T, E>;

/// What went wrong, with enough detail to fix it.
///
/// Every fallible constructor, builder and kernel of the runtime returns this type; its
/// `Display` text is a full sentence meant for the end user.
///
/// ```
/// use kiln_runtime::optim::Sgd;
/// use kiln_runtime::KilnError;
///
/// // A negative learning rate is rejected when the optimiser is built, not at the first step.
/// let err = Sgd::<f32>::new(-0.1).unwrap_err();
/// match &err {
///     KilnError::InvalidHyperParameter { what, value, .. } => {
///         assert_eq!(*what, "learning rate");
///         assert_eq!(*value, -0.1);
///     }
///     other => panic!("unexpected error: {other}"),
/// }
/// assert!(err.to_string().starts_with("invalid learning rate = -0.1"));
/// assert!(!err.is_non_finite());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum KilnError {
    /// A hyper-parameter is outside its valid range (`what` names it, `why` gives the range).
    InvalidHyperParameter {
        /// Name of the hyper-parameter, e.g. `"learning rate"` or `"momentum"`.
        what: &'static str,
        /// The rejected value, as given.
        value: f64,
        /// The valid range or rule the value breaks, e.g. `"must be in [0, 1)"`.
        why: &'static str,
    },
    /// A buffer's length disagrees with the shape it must have.
    LengthMismatch {
        /// Name of the buffer, e.g. `"input"` or `"gradient of layers.0.weight"`.
        what: &'static str,
        /// Number of elements its shape requires.
        expected: usize,
        /// Number of elements it has.
        actual: usize,
    },
    /// A shape has a zero-sized dimension where none is allowed.
    EmptyShape {
        /// Name of the shape or dimension that is zero.
        what: &'static str,
    },
    /// A class label is not below the number of classes.
    LabelOutOfRange {
        /// Position of the offending sample in the batch (0-based).
        index: usize,
        /// The label it carries.
        label: usize,
        /// Number of classes; valid labels are `0..classes`.
        classes: usize,
    },
    /// An input row of a token layer is not a token id below the vocabulary size.
    TokenOutOfRange {
        /// Position of the offending input row (0-based).
        index: usize,
        /// The value found there (not a whole number, negative, or too large).
        value: f64,
        /// Vocabulary size; valid token ids are `0..vocab`.
        vocab: usize,
    },
    /// A value that must be finite is NaN or infinite.
    NonFinite {
        /// Name of the buffer or value checked.
        what: &'static str,
        /// Position of the first NaN or infinite element (0-based).
        index: usize,
    },
    /// An embedded network has no tensor of the name asked for (its `TENSORS` lists them).
    UnknownTensor,
    /// A training step's loss was NaN or infinite; nothing was updated.
    NonFiniteLoss {
        /// Number of the training step that failed, counting from 1.
        step: u64,
        /// The loss value computed (NaN or infinite).
        loss: f64,
    },
    /// A training step's gradient was NaN or infinite; `tensor` is the first one the backward
    /// pass made non-finite (the deepest layer's). Nothing was updated.
    NonFiniteGradient {
        /// Number of the training step that failed, counting from 1.
        step: u64,
        /// Dotted name of the parameter tensor whose gradient is not finite.
        tensor: &'static str,
        /// Position of its first NaN or infinite element (0-based, flattened).
        index: usize,
    },
    /// A training step's update made a parameter NaN or infinite (the gradients were
    /// finite): `tensor` is the first such parameter. `train_step` and `Fit` have put the
    /// network and the optimiser back as they were before the step.
    NonFiniteParameter {
        /// Number of the training step that failed, counting from 1.
        step: u64,
        /// Dotted name of the parameter tensor the update made non-finite.
        tensor: &'static str,
        /// Position of its first NaN or infinite element (0-based, flattened).
        index: usize,
    },
    /// A loss was needed from a network declared with `loss: none`.
    NoLoss,
    /// A sequence's length in a padded batch is 0 or more than the batch's steps.
    SequenceLength {
        /// Position of the sequence in the batch (0-based).
        index: usize,
        /// The length given for it.
        length: usize,
        /// Number of time steps of the padded batch; lengths must lie in `1..=steps`.
        steps: usize,
    },
    /// A loss without a masked form was asked to skip the padding steps of a padded batch.
    NoMaskedLoss,
    /// A loss that does not say what it averages over was trained data-parallel.
    NoMeanOver,
    /// Another process of a data-parallel run failed this step (its own error is reported
    /// by that process); every process stops the step unchanged.
    ProcessFailed {
        /// The first process (by rank) that failed.
        rank: usize,
    },
    /// `freeze` was given a name that is no parameter tensor and no layer holding one.
    #[cfg(feature = "std")]
    NoSuchParameter {
        /// The name asked for.
        name: std::string::String,
        /// The layers that do hold parameters, listed for the message.
        known: std::string::String,
    },
    /// The set of parameters given to a stateful optimiser changed between steps.
    ParameterSetChanged {
        /// Visit-order position of the parameter that no longer matches (0-based).
        index: usize,
        /// Element count the optimiser's state was built for.
        expected_len: usize,
        /// Element count the parameter has now.
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
            KilnError::NoMeanOver => write!(
                f,
                "this loss cannot be split across replicas: implement `Loss::mean_over` (what its mean divides by) to train it data-parallel"
            ),
            KilnError::ProcessFailed { rank } => write!(
                f,
                "process {rank} of the data-parallel run failed this step (its output gives the reason); no process updated its weights"
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
