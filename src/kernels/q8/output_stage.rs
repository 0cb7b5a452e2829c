//! The output stage of the fast uint8 kernels: the tail of [`ConvQuant::finish`] (requantise, add the output zero
//! point, clamp) for an accumulator that already holds the bias, with its parameters checked once at plan time so
//! the vector form (`requant_simd128`) can be exact without per-value special cases.

use super::{multiply_by_quantized_multiplier, ConvQuant, Requantize};

/// Validated requantisation parameters. Everything [`ConvQuant::new`] produces is accepted; hand-built values the
/// vector code could not reproduce bit for bit (a multiplier of `i32::MIN`, whose rounding high multiply saturates;
/// shifts beyond ±31; a clamp range not inside `0..=255` or inverted) are refused, and the plan keeps the
/// reference kernels for such layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputStage {
    pub multiplier: i32,
    /// `max(shift, 0)`: the left shift applied before the high multiply (0..=31).
    pub left_shift: u32,
    /// `max(-shift, 0)`: the rounding right shift applied after it (0..=31).
    pub right_shift: u32,
    pub output_zero_point: i32,
    pub act_min: u8,
    pub act_max: u8,
}

impl OutputStage {
    pub fn new(q: &ConvQuant) -> Option<OutputStage> {
        let Requantize { multiplier, shift } = q.requant;
        let range_ok = 0 <= q.act_min && q.act_min <= q.act_max && q.act_max <= 255;
        if multiplier == i32::MIN || !(-31..=31).contains(&shift) || !range_ok {
            return None;
        }
        Some(OutputStage {
            multiplier,
            left_shift: shift.max(0) as u32,
            right_shift: (-shift).max(0) as u32,
            output_zero_point: q.output_zero_point,
            act_min: q.act_min as u8,
            act_max: q.act_max as u8,
        })
    }

    /// Scalar form, identical to `ConvQuant::finish(acc, 0)`.
    #[inline]
    pub fn apply(&self, acc: i32) -> u8 {
        let shift = self.left_shift as i32 - self.right_shift as i32;
        let r = multiply_by_quantized_multiplier(acc, Requantize { multiplier: self.multiplier, shift });
        r.wrapping_add(self.output_zero_point).clamp(i32::from(self.act_min), i32::from(self.act_max)) as u8
    }
}
