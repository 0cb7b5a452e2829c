//! uint8 kernels with asymmetric per-tensor quantisation, bit-exact with TensorFlow Lite's reference kernels (the
//! `BUILTIN_REF` op resolver). Split by op family so each file can be read against the one TFLite source it mirrors:
//! - [`fixedpoint`]: the gemmlowp fixed-point primitives (rounding high multiply, rounding shifts, exp, reciprocal);
//! - `requant`: `QuantizeMultiplier`, `MultiplyByQuantizedMultiplier`, activation ranges, [`ConvQuant`];
//! - `conv`, `depthwise`, `pool`, `softmax`: the scalar reference kernels.
//!
//! The kernels are scalar, allocation-free and never panic for consistent arguments (slice lengths matching the
//! [`Window2d`](crate::kernels::Window2d); checked with `debug_assert!`). Any faster variant must match them byte for
//! byte.

mod conv;
mod depthwise;
pub mod fixedpoint;
mod pool;
mod requant;
mod softmax;

pub use crate::kernels::Activation;
/// Short name used in the kernel API brief; the same type as [`crate::kernels::Activation`].
pub type Act = Activation;
pub use conv::conv2d_ref;
pub use depthwise::depthwise_conv2d_ref;
pub use fixedpoint::{rounding_divide_by_pot, saturating_rounding_doubling_high_mul};
pub use pool::average_pool_ref;
pub use requant::{
    activation_range, multiply_by_quantized_multiplier, multiply_by_quantized_multiplier_single_rounding, ConvQuant,
    Requantize,
};
pub use softmax::{softmax_ref, SoftmaxQuant};

#[cfg(test)]
mod tests;
