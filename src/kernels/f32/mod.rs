//! float32 kernels following TensorFlow Lite's reference float kernels' arithmetic order (the `BUILTIN_REF` op
//! resolver), so results match TFLite to the last bit wherever the C++ compiler also evaluates plainly in `f32`
//! (separate multiply and add, no FMA contraction, same `expf`). Split by op family, one file per TFLite source:
//! `conv` (reference/conv.h), `depthwise` (reference/depthwiseconv_float.h), `pool` (reference/pooling.h),
//! `softmax` (reference/softmax.h).
//!
//! Scalar, allocation-free, never panicking for consistent arguments (slice lengths matching the
//! [`Window2d`](crate::kernels::Window2d), checked with `debug_assert!`).
//!
//! On wasm32 the convolutions also have SIMD128 variants (the reference stays as their oracle; `model::f32` picks
//! which runs): `gemm_simd128` (the GEMM micro-kernel and the pointwise convolution), `conv_simd128` (any
//! other small convolution, i.e. the stem, on the same GEMM), `depthwise_simd128`. Their weights are repacked at load time by `packing`.
//! Built with `+relaxed-simd` they fuse multiply-adds (see `simd`); otherwise they keep the reference's
//! arithmetic order and match it bit for bit.

mod conv;
mod depthwise;
mod packing;
mod pool;
mod softmax;

#[cfg(target_arch = "wasm32")]
mod conv_simd128;
#[cfg(target_arch = "wasm32")]
mod depthwise_simd128;
#[cfg(target_arch = "wasm32")]
mod gemm_simd128;
#[cfg(target_arch = "wasm32")]
mod simd;

pub use conv::conv2d_ref;
pub use depthwise::depthwise_conv2d_ref;
pub use packing::{PackedGemm, PANEL_WIDTH};
pub use pool::average_pool_ref;
pub use softmax::softmax_ref;

#[cfg(target_arch = "wasm32")]
pub use conv_simd128::{conv2d_simd128, conv2d_simd128_supported};
#[cfg(target_arch = "wasm32")]
pub use depthwise_simd128::depthwise_conv2d_simd128;
#[cfg(target_arch = "wasm32")]
pub use gemm_simd128::{gemm_simd128, is_pointwise, pointwise_channel_units_simd128, pointwise_conv2d_simd128};

/// TFLite `ActivationFunctionWithMinMax`: `std::min(std::max(x, min), max)`, i.e. `x < min ? min : x`, then
/// `max < y ? max : y`. Differs from `f32::clamp` only for NaN, which passes through (as in C++) instead of panicking
/// or being replaced.
#[inline]
pub(crate) fn activation_with_min_max(x: f32, min: f32, max: f32) -> f32 {
    let y = if x < min { min } else { x };
    if max < y {
        max
    } else {
        y
    }
}

#[cfg(test)]
mod tests;
