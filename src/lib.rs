//! # mobilenet-wasm
//!
//! MobileNet V1 image classification from real `.tflite` files, in Rust compiled to WebAssembly. Frames never leave
//! the device; uint8 models reproduce TensorFlow Lite's reference kernels bit for bit.
//!
//! ## How one frame flows
//! ```text
//! RGBA frame ─▶ preprocess (centre crop, Pillow-exact bilinear resize, mirror?) ─▶ model input (u8 or f32)
//!   ─▶ model::Executor: the plan's layers over two ping-pong buffers (no allocation per frame)
//!       ─▶ kernels (f32 / q8): conv 3×3 s2 · depthwise 3×3 · pointwise 1×1 · average pool · softmax
//!   ─▶ top-k with labels / embedding ─▶ JS
//! ```
//! A model arrives once: bytes ─▶ [`tflite::parse`] (flatbuffer → validated graph) ─▶ [`model::recognise`]
//! (is it MobileNet V1? α, ρ, classes, dtype) ─▶ [`model::Plan`] (weights packed, requantisation precomputed,
//! buffers sized).
//!
//! ## Module map
//! - [`tflite`]: flatbuffer reading only.
//! - [`model`]: MobileNet V1 recognition, the plan, the executor.
//! - [`kernels`]: compute kernels (`f32`, `q8`), scalar references beside SIMD variants.
//! - [`preprocess`]: decode, crop, resize, normalise.
//! - [`parallel`]: splitting a layer into row/pixel blocks across the thread pool (threaded build).
//! - [`limits`]: caps on what a model or an image may make us allocate, checked before allocating.
//! - [`classifier`]: the Rust-level API (labels, top-k, embedding) that the wasm API wraps.
//! - `api` (wasm32 only): the `#[wasm_bindgen]` surface: argument checks, JS types, error mapping; no maths.

pub mod classifier;
pub mod error;
pub mod kernels;
pub mod limits;
pub mod model;
pub mod parallel;
pub mod preprocess;
pub mod tflite;

#[cfg(target_arch = "wasm32")]
pub mod api;

pub use classifier::{Classifier, Prediction};
pub use error::{Error, ErrorKind, Result};
pub use limits::Limits;
