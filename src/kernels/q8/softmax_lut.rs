//! The uint8 softmax of [`softmax_ref`](super::softmax_ref) with its per-value work memoised, byte-identical to it.
//! In TFLite's reference every output depends on its input only through `diff = x - max ∈ -255..=0` and on the row's
//! sum of exponentials: the 256 possible exponentials are computed once at load ([`SoftmaxLut::new`]), and a run
//! computes the sum from them, the row's reciprocal once, the output of each of the 256 differences, and then
//! looks every output up. The reference recomputes a fixed-point exponential twice per value (~90 µs for 1001
//! classes in wasm; this takes a few µs).

use super::fixedpoint::{get_reciprocal, rescale, rounding_divide_by_pot, saturating_rounding_doubling_high_mul};
use super::softmax::ACCUMULATION_INTEGER_BITS;
use super::SoftmaxQuant;

/// Per difference `d = max - x` (0..=255): the exponential in Q0.31, or `None` below `diff_min` (contributes
/// nothing, outputs 0).
#[derive(Debug, Clone)]
pub struct SoftmaxLut {
    exp: [Option<i32>; 256],
}

impl SoftmaxLut {
    pub fn new(q: &SoftmaxQuant) -> SoftmaxLut {
        SoftmaxLut { exp: core::array::from_fn(|d| q.exp_of_diff(-(d as i32))) }
    }
}

/// uint8 softmax of one row (`input.len() == output.len()`) with a table built by [`SoftmaxLut::new`] from the same
/// parameters the reference would get. Empty rows are a no-op.
pub fn softmax_lut(lut: &SoftmaxLut, input: &[u8], output: &mut [u8]) {
    debug_assert_eq!(input.len(), output.len());
    let Some(&max_in_row) = input.iter().max() else { return };
    // Wrapping i32 sum, as the reference's (order does not matter for a wrapping sum).
    let mut sum_of_exps: i32 = 0;
    for &x in input {
        if let Some(e) = lut.exp[usize::from(max_in_row - x)] {
            sum_of_exps = sum_of_exps.wrapping_add(rescale(e, 0, ACCUMULATION_INTEGER_BITS));
        }
    }
    let (shifted_scale, num_bits_over_unit) = get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS);
    let exponent = num_bits_over_unit + 31 - 8;
    let by_diff: [u8; 256] = core::array::from_fn(|d| match lut.exp[d] {
        Some(e) => {
            rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted_scale, e), exponent).clamp(0, 255) as u8
        }
        None => 0,
    });
    for (out, &x) in output.iter_mut().zip(input) {
        *out = by_diff[usize::from(max_in_row - x)];
    }
}
