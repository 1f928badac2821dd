//! Data sets for training: labelled samples in memory, loaders for the file formats kiln
//! reads, seeded shuffling and splitting, the data sets bundled with the repository, feature
//! scaling fitted on the training split, random image augmentation, and the `Samples` the
//! trainer draws batches from.

mod augment;
mod bundled;
mod csv;
mod dataset;
mod error;
mod idx;
mod load_options;
mod samples;
mod scale;
mod scaler;
mod sequences;
mod source;
mod table;
mod table_csv;
mod text;
mod windows;

pub use augment::Augment;
pub use bundled::{diabetes, digits, mnist_t10k, tiny_shakespeare};
pub use csv::{load_csv, load_csv_with, parse_csv};
pub use dataset::{permutation, Dataset};
pub use error::DataError;
pub use idx::{
    images_and_labels, load_idx, load_idx_with, load_images_and_labels,
    load_images_and_labels_with, parse_idx, IdxArray,
};
pub use load_options::{LoadOptions, DEFAULT_MAX_BYTES};
pub use samples::{Samples, Task};
pub use scale::{MinMaxScaler, Standardizer};
pub use scaler::{Scaler, Scaling};
pub use sequences::Sequences;
pub use table::Table;
pub use table_csv::{load_table, load_table_with, parse_table};
pub use text::{load_corpus, load_text, load_text_with, Vocab};
pub use windows::{TextWindows, TokenRows};
