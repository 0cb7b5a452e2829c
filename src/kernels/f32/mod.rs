//! float32 kernels following TensorFlow Lite's reference float kernels' arithmetic order (the `BUILTIN_REF` op
//! resolver), so results match TFLite to the last bit wherever the C++ compiler also evaluates plainly in `f32`
//! (separate multiply and add, no FMA contraction, same `expf`). Split by op family, one file per TFLite source:
//! `conv` (reference/conv.h), `depthwise` (reference/depthwiseconv_float.h), `pool` (reference/pooling.h),
//! `softmax` (reference/softmax.h).
//!
//! Scalar, allocation-free, never panicking for consistent arguments (slice lengths matching the
//! [`Window2d`](crate::kernels::Window2d), checked with `debug_assert!`).

mod conv;
mod depthwise;
mod pool;
mod softmax;

pub use conv::conv2d_ref;
pub use depthwise::depthwise_conv2d_ref;
pub use pool::average_pool_ref;
pub use softmax::softmax_ref;

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
