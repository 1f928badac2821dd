//! Data sets for training: labelled samples in memory, loaders for the file formats kiln
//! reads, seeded shuffling and splitting, and the data sets bundled with the repository.

mod bundled;
mod csv;
mod dataset;
mod error;
mod gzip;

pub use bundled::digits;
pub use csv::{load_csv, parse_csv};
pub use dataset::Dataset;
pub use error::DataError;
