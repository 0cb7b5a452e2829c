//! One error type for the whole crate. Every failure a caller can cause (bad model bytes, bad frames, bad
//! arguments) is an [`Error`] with a stable machine-readable [`ErrorKind`] and a human message; nothing panics,
//! because a panic poisons the wasm instance for every later call.

use std::fmt;

/// Stable error categories. `code()` strings are part of the JS API (`err.code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The bytes end before a structure they describe (cut download, wrong file).
    Truncated,
    /// The bytes are not a TFLite flatbuffer (wrong file identifier / magic).
    NotTflite,
    /// A TFLite flatbuffer whose structure is inconsistent (offsets out of range, bad vtables, bad indices).
    Malformed,
    /// A valid TFLite model that is not a MobileNet V1 classifier this library can run.
    NotMobileNet,
    /// A valid model using a feature outside what we support (other tensor types, dilation, per-channel quant…).
    Unsupported,
    /// A declared size above the configured safety caps (tensor elements, image dimensions, …).
    TooLarge,
    /// A caller argument is wrong: frame size vs. buffer length, zero sizes, topK, …
    InvalidArgument,
    /// Encoded image bytes could not be decoded.
    Decode,
}

impl ErrorKind {
    /// The code exposed to JavaScript as `error.code`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Truncated => "MODEL_TRUNCATED",
            ErrorKind::NotTflite => "NOT_TFLITE",
            ErrorKind::Malformed => "MODEL_MALFORMED",
            ErrorKind::NotMobileNet => "NOT_MOBILENET",
            ErrorKind::Unsupported => "UNSUPPORTED",
            ErrorKind::TooLarge => "TOO_LARGE",
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            ErrorKind::Decode => "DECODE_FAILED",
        }
    }
}

/// A typed error with a message that says what is wrong and, where useful, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into() }
    }
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn truncated(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::Truncated, m)
    }
    pub fn malformed(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::Malformed, m)
    }
    pub fn not_mobilenet(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotMobileNet, m)
    }
    pub fn unsupported(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, m)
    }
    pub fn too_large(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::TooLarge, m)
    }
    pub fn invalid(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, m)
    }
    pub fn decode(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::Decode, m)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
