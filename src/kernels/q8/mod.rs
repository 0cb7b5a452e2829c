//! uint8 kernels with asymmetric per-tensor quantisation, bit-exact with TensorFlow Lite's reference kernels (the
//! `BUILTIN_REF` op resolver). Split by op family so each file can be read against the one TFLite source it mirrors:
//! - [`fixedpoint`]: the gemmlowp fixed-point primitives (rounding high multiply, rounding shifts, exp, reciprocal);
//! - `requant`: `QuantizeMultiplier`, `MultiplyByQuantizedMultiplier`, activation ranges, [`ConvQuant`];
//! - `conv`, `depthwise`, `pool`, `softmax`: the scalar reference kernels.
//!
//! The kernels are scalar, allocation-free and never panic for consistent arguments (slice lengths matching the
//! [`Window2d`](crate::kernels::Window2d); checked with `debug_assert!`). Any faster variant must match them byte for
//! byte.
//!
//! The fast path (what `model::q8` runs) works on weights packed once at load, with the zero-point corrections
//! folded into the bias, and is byte-identical to the references above:
//! - `gemm`: every convolution as a GEMM ([`PackedConv`], [`conv2d_packed`]): 1×1 convolutions read pixels in
//!   place, others (the stem) gather them; Winograd's inner product halves the multiplies;
//! - `depthwise3x3`: 3×3 depthwise, any stride and padding ([`PackedDepthwise3x3`], [`depthwise3x3_packed`]);
//! - `output_stage`: the requantisation parameters those kernels accept ([`OutputStage`]);
//! - `softmax_lut`: the softmax with its 256 possible exponentials computed at load ([`SoftmaxLut`]).
//!
//! On wasm32 their inner steps are SIMD128 (`gemm_simd128`, `depthwise3x3_simd128`, `requant_simd128`); native
//! builds run the same algorithms in scalar code over the same layouts, so the packing is tested everywhere.

mod conv;
mod depthwise;
mod depthwise3x3;
pub mod fixedpoint;
mod gemm;
mod output_stage;
mod pool;
mod requant;
mod softmax;
mod softmax_lut;

#[cfg(target_arch = "wasm32")]
mod depthwise3x3_simd128;
#[cfg(target_arch = "wasm32")]
mod gemm_simd128;
#[cfg(target_arch = "wasm32")]
mod requant_simd128;

pub use crate::kernels::Activation;
/// Short name used in the kernel API brief; the same type as [`crate::kernels::Activation`].
pub type Act = Activation;
pub use conv::conv2d_ref;
pub use depthwise::depthwise_conv2d_ref;
pub use depthwise3x3::{depthwise3x3_packed, PackedDepthwise3x3};
pub use gemm::{conv2d_packed, conv2d_packed_channel_tiles, PackedConv, GEMM_MR, GEMM_NR, MAX_GEMM_K};
pub use output_stage::OutputStage;
pub use fixedpoint::{rounding_divide_by_pot, saturating_rounding_doubling_high_mul};
pub use pool::average_pool_ref;
pub use requant::{
    activation_range, multiply_by_quantized_multiplier, multiply_by_quantized_multiplier_single_rounding, ConvQuant,
    Requantize,
};
pub use softmax::{softmax_ref, SoftmaxQuant};
pub use softmax_lut::{softmax_lut, SoftmaxLut};

#[cfg(test)]
mod tests;
