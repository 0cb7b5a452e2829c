//! Resource caps: how much memory a model file or an image may make the library allocate. A few kilobytes of
//! hostile `.tflite` can declare a 2048×2048 input and hundreds of megabytes of activations, and a 100-byte PNG
//! header can declare 100 000 × 100 000 pixels; in wasm the linear memory then never shrinks, and a failed
//! allocation aborts the instance. Every cap here is checked against the *declared* sizes before anything is
//! allocated, and a refusal is an `ErrorKind::TooLarge` error.
//!
//! The defaults fit every published MobileNet V1 (the largest, 1.0/224 float, needs 5.6 MB of activations) and
//! phone photos up to 64 Mpx with a wide margin; lower them with [`crate::Classifier::with_limits`] or
//! [`crate::Classifier::set_max_image_pixels`] where memory is tight. Structural caps that bound work rather than
//! memory (tensor counts, rank, class count, the 2048 input ceiling) stay fixed in the reader and recogniser.

use crate::error::{Error, Result};

/// Default [`Limits::max_activation_bytes`]: 128 MiB, 24× what the largest published model needs.
pub const DEFAULT_MAX_ACTIVATION_BYTES: u64 = 128 * 1024 * 1024;
/// Default [`Limits::max_input_size`]: 1024 (published models use 128–224; the recogniser's ceiling is 2048).
pub const DEFAULT_MAX_INPUT_SIZE: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest model input resolution ρ accepted (the model's input is ρ×ρ×3).
    pub max_input_size: usize,
    /// Most bytes the executor's activation buffers (and the float model's staging frame) may take.
    pub max_activation_bytes: u64,
    /// Most pixels of a camera frame or of a decoded image (checked from the header, before decoding). The decode
    /// budget is 8 bytes per allowed pixel, at least 16 MiB.
    pub max_image_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_size: DEFAULT_MAX_INPUT_SIZE,
            max_activation_bytes: DEFAULT_MAX_ACTIVATION_BYTES,
            max_image_pixels: crate::preprocess::DEFAULT_MAX_IMAGE_PIXELS,
        }
    }
}

impl Limits {
    /// Every cap must be at least 1 (a zero cap would refuse everything, which is never what a caller means).
    pub fn validate(&self) -> Result<()> {
        let zero = [
            ("max_input_size", self.max_input_size == 0),
            ("max_activation_bytes", self.max_activation_bytes == 0),
            ("max_image_pixels", self.max_image_pixels == 0),
        ];
        match zero.iter().find(|(_, z)| *z) {
            Some((name, _)) => Err(Error::invalid(format!("limit {name} is 0; it must be at least 1"))),
            None => Ok(()),
        }
    }
}
