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
    /// Whether the vector form may round once instead of twice (see `requant_simd128`): no left shift, a right
    /// shift of at least 1, a non-negative multiplier, and accumulators bounded (by
    /// [`OutputStage::with_accumulator_bound`]) so that no intermediate leaves its lane. False until a bound is given.
    pub single_rounding: bool,
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
            single_rounding: false,
        })
    }

    /// This stage for accumulators (bias included) of magnitude at most `max_abs`, as a packer can bound them from
    /// its weights and bias (`|bias| + 255·Σ|w - zw|`). Enables the single rounding when the rounded high product
    /// plus half the right shift's divisor plus the output zero point times that divisor (the vector form adds the
    /// zero point before its final shift) stays inside `i32` (so the 64-bit sums behind it cannot overflow either).
    pub fn with_accumulator_bound(mut self, max_abs: u64) -> OutputStage {
        let e = self.right_shift;
        let high = (u128::from(max_abs) * self.multiplier.unsigned_abs() as u128 + (1 << 30)) >> 31;
        let zero_point = u128::from(self.output_zero_point.unsigned_abs()) << e;
        let headroom = high + 1 + zero_point + if e > 0 { 1u128 << (e - 1) } else { 0 };
        self.single_rounding = self.left_shift == 0 && e >= 1 && self.multiplier >= 0 && headroom < (1u128 << 31);
        self
    }

    /// The largest `|bias + Σ_k b(k, n)·(x - zx)|` over `n` output channels of `k` taps each (`|x - zx| ≤ 255`),
    /// `b(k, n) = w - zw` as the packer computes it: the bound [`OutputStage::with_accumulator_bound`] takes.
    pub fn accumulator_bound(bias: &[i32], n: usize, k: usize, b: impl Fn(usize, usize) -> i32) -> u64 {
        (0..n)
            .map(|nn| {
                let taps: u64 = (0..k).map(|kk| u64::from(b(kk, nn).unsigned_abs())).sum();
                u64::from(bias.get(nn).copied().unwrap_or(0).unsigned_abs()) + 255 * taps
            })
            .max()
            .unwrap_or(0)
    }

    /// Scalar form, identical to `ConvQuant::finish(acc, 0)`.
    #[inline]
    pub fn apply(&self, acc: i32) -> u8 {
        let shift = self.left_shift as i32 - self.right_shift as i32;
        let r = multiply_by_quantized_multiplier(acc, Requantize { multiplier: self.multiplier, shift });
        r.wrapping_add(self.output_zero_point).clamp(i32::from(self.act_min), i32::from(self.act_max)) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::q8::Activation;

    fn stage(multiplier: i32, shift: i32) -> OutputStage {
        let q = ConvQuant {
            input_zero_point: 128,
            filter_zero_point: 120,
            output_zero_point: 0,
            requant: Requantize { multiplier, shift },
            act_min: 0,
            act_max: 255,
        };
        OutputStage::new(&q).expect("a valid stage")
    }

    #[test]
    fn single_rounding_only_where_it_is_exact() {
        // A MobileNet layer: real multiplier ~0.003 (shift -8), |acc| below 2^24.
        let q = ConvQuant::new(0.0235, 128, 0.0039, 120, 0.0235, 0, Activation::Relu6).unwrap();
        let real = OutputStage::new(&q).unwrap();
        assert!(!real.single_rounding, "no bound given yet");
        assert!(real.with_accumulator_bound(1 << 24).single_rounding);
        // No right shift, a left shift, a negative multiplier: the general form.
        assert!(!stage(1 << 30, 0).with_accumulator_bound(1000).single_rounding);
        assert!(!stage(1 << 30, 3).with_accumulator_bound(1000).single_rounding);
        assert!(!stage(-(1 << 30), -5).with_accumulator_bound(1000).single_rounding);
        // h + 2^(e-1) must stay below 2^31: with m ≈ 2^31 and e = 31, |acc| < 2^30 - 1 is fine, 2^31 is not.
        let m = i32::MAX;
        assert!(stage(m, -31).with_accumulator_bound((1 << 30) - 4).single_rounding);
        assert!(!stage(m, -31).with_accumulator_bound(1 << 31).single_rounding);
        assert!(!stage(m, -1).with_accumulator_bound(u64::from(u32::MAX)).single_rounding);
        // ... and so must h + 2^(e-1) + zp·2^e: a zero point of 255 at e = 21 takes about 2^29 of that room.
        let with_zero_point = |zp| OutputStage { output_zero_point: zp, ..stage(m, -21) };
        let large = (1 << 30) + (1 << 29) + (1 << 28);
        assert!(with_zero_point(0).with_accumulator_bound(large).single_rounding);
        assert!(!with_zero_point(255).with_accumulator_bound(large).single_rounding);
        assert!(with_zero_point(255).with_accumulator_bound(1 << 30).single_rounding);
    }
}
