//! Data sets for training: labelled samples in memory, loaders for the file formats kiln
//! reads, seeded shuffling and splitting, the data sets bundled with the repository, feature
//! scaling fitted on the training split and random image augmentation.

mod augment;
mod bundled;
mod csv;
mod dataset;
mod error;
mod gzip;
mod idx;
mod scale;
mod text;

pub use augment::Augment;
pub use bundled::{digits, mnist_t10k, tiny_shakespeare};
pub use csv::{load_csv, parse_csv};
pub use dataset::Dataset;
pub use error::DataError;
pub use idx::{images_and_labels, load_idx, parse_idx, IdxArray};
pub use scale::{MinMaxScaler, Standardizer};
pub use text::{load_text, Vocab};
