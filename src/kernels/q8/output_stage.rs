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
    /// The float form ([`FloatForm`]), when it was proven to give this stage's exact results for every accumulator
    /// within the bound. `None` until a bound is given.
    pub float_form: Option<FloatForm>,
}

/// The output stage forms the vector kernels are compiled for (a const parameter of their loops, one copy of each
/// loop per form): the float form ([`FloatForm`]), the integer single rounding, the integer general form.
pub const FORM_FLOAT: u8 = 0;
pub const FORM_SINGLE: u8 = 1;
pub const FORM_GENERAL: u8 = 2;

/// `1.5 · 2^23`: added to an `f32` of magnitude below `2^22`, it rounds it to the nearest integer (ties to even),
/// which then sits in the low bits of the sum's representation: subtracting the constant's own bits recovers it.
pub const ROUND_MAGIC: f32 = 12_582_912.0;

/// A cheaper form of the output stage for the vector kernels: `((x · scale + offset) + ROUND_MAGIC)` in `f32`, its
/// bits minus `ROUND_MAGIC`'s, then the clamp. `scale ≈ m / 2^(31 + e)`; `offset ≈ z + 2^-(e + 1)` makes the
/// nearest-integer rounding round where the exact stage's `floor(x·m / 2^(31+e) + 1/2 + 2^-(e+1)) + z` does. It is
/// not exact for every accumulator, but it is a non-decreasing function of `x` (each `f32` operation rounds
/// monotonically), as the exact stage is; two non-decreasing functions that agree at the ends of a range and on
/// both sides of every step of one of them agree on the whole range. [`OutputStage::with_accumulator_bound`] checks
/// exactly that over the accumulator's range (about 256 binary searches) and offers the form only when it holds —
/// for 100 of the 112 layers of the published uint8 MobileNets. On x64 V8 it is 5 instructions per 4 outputs where
/// the 64-bit integer form takes ~19 (see `requant_simd128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloatForm {
    scale_bits: u32,
    offset_bits: u32,
}

impl FloatForm {
    pub fn scale(&self) -> f32 {
        f32::from_bits(self.scale_bits)
    }

    pub fn offset(&self) -> f32 {
        f32::from_bits(self.offset_bits)
    }

    /// The unclamped result for accumulator `x`, exactly as the vector form computes it (IEEE `f32` conversion,
    /// multiply and adds, round to nearest even, no fusion).
    #[inline]
    pub fn eval(&self, x: i32) -> i32 {
        ((x as f32) * self.scale() + self.offset() + ROUND_MAGIC).to_bits().wrapping_sub(ROUND_MAGIC.to_bits()) as i32
    }
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
            float_form: None,
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
        self.float_form = self.proven_float_form(max_abs);
        self
    }

    /// The float form's constants for this stage (unchecked): `m / 2^(31+e)` and `z + 2^-(e+1)` rounded to `f32`.
    fn candidate_float_form(&self) -> Option<FloatForm> {
        if self.left_shift != 0 || self.multiplier < 0 {
            return None;
        }
        let e = self.right_shift as i32;
        let scale = (f64::from(self.multiplier) * 2f64.powi(-(31 + e))) as f32;
        let offset = (f64::from(self.output_zero_point) + 2f64.powi(-(e + 1))) as f32;
        Some(FloatForm { scale_bits: scale.to_bits(), offset_bits: offset.to_bits() })
    }

    /// The [`FloatForm`] of this stage if it equals [`OutputStage::apply`] for every accumulator
    /// in `-bound..=bound`. Both are non-decreasing in the accumulator and clamped to `[act_min, act_max]`: checking
    /// the two ends, and both sides of each step of the exact stage (found by binary search), covers every value
    /// in between.
    fn proven_float_form(&self, bound: u64) -> Option<FloatForm> {
        let form = self.candidate_float_form()?;
        let b = i64::try_from(bound).ok().filter(|&b| b < i64::from(i32::MAX))?;
        // The rounding trick needs |x · scale + offset| below 2^22 (with room for the roundings).
        if b as f64 * f64::from(form.scale()) + f64::from(form.offset().abs()) >= 2f64.powi(21) {
            return None;
        }
        let (lo, hi) = (i32::from(self.act_min), i32::from(self.act_max));
        let exact = |x: i64| i32::from(self.apply(x as i32));
        let float = |x: i64| form.eval(x as i32).clamp(lo, hi);
        let (first, last) = (exact(-b), exact(b));
        if first != float(-b) || last != float(b) {
            return None;
        }
        // Each step of the exact stage inside the range, from v to above v.
        for v in first..last {
            // exact(below) <= v < exact(above)
            let (mut below, mut above) = (-b, b);
            while above - below > 1 {
                let mid = below + (above - below) / 2;
                if exact(mid) > v {
                    above = mid;
                } else {
                    below = mid;
                }
            }
            if float(below) > v || float(above) <= v {
                return None;
            }
        }
        Some(form)
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

    /// The fastest form that is exact for this stage: [`FORM_FLOAT`], [`FORM_SINGLE`] or [`FORM_GENERAL`].
    pub fn form(&self) -> u8 {
        if self.float_form.is_some() {
            FORM_FLOAT
        } else if self.single_rounding {
            FORM_SINGLE
        } else {
            FORM_GENERAL
        }
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

    /// Every accumulator in `-bound..=bound` where the float form and the exact stage differ (at most a few).
    fn float_mismatches(s: &OutputStage, form: &FloatForm, bound: i32) -> Vec<i32> {
        let (lo, hi) = (i32::from(s.act_min), i32::from(s.act_max));
        (-bound..=bound).filter(|&x| form.eval(x).clamp(lo, hi) != i32::from(s.apply(x))).take(4).collect()
    }

    #[test]
    fn float_form_only_where_it_is_exact_everywhere() {
        // Exhaustive over the accumulator range: wherever the boundary check offers the float form, it matches the
        // exact stage at every accumulator; and the check refuses some stages whose float form is wrong somewhere.
        let bound = 1 << 17;
        let (mut offered, mut refused_wrong) = (0, 0);
        let mut seed = 0x2545_f491_u32;
        for case in 0..60 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let multiplier = (1 << 30) + (seed >> 2) as i32 % (1 << 30);
            let shift = -1 - (case % 12);
            let zero_point = [0, 0, 3, 71, 128, 200][case as usize % 6];
            let (act_min, act_max) = if case % 3 == 0 { (0, 255) } else { (zero_point.min(255), 255) };
            let q = ConvQuant {
                input_zero_point: 128,
                filter_zero_point: 120,
                output_zero_point: zero_point,
                requant: Requantize { multiplier, shift },
                act_min,
                act_max,
            };
            let s = OutputStage::new(&q).unwrap().with_accumulator_bound(bound as u64);
            let candidate = s.candidate_float_form();
            match s.float_form {
                Some(form) => {
                    offered += 1;
                    assert_eq!(float_mismatches(&s, &form, bound), Vec::<i32>::new(), "{q:?}");
                }
                None => {
                    if let Some(form) = candidate {
                        refused_wrong += usize::from(!float_mismatches(&s, &form, bound).is_empty());
                    }
                }
            }
        }
        assert!(offered >= 30, "the float form should cover most stages, got {offered} of 60");
        assert!(refused_wrong > 0, "some candidates should have been refused for a real mismatch");
    }

    #[test]
    fn float_form_covers_a_mobilenet_layer() {
        let q = ConvQuant::new(0.0235, 128, 0.0039, 120, 0.0235, 0, Activation::Relu6).unwrap();
        let s = OutputStage::new(&q).unwrap();
        assert_eq!(s.float_form, None, "no bound given yet");
        let s = s.with_accumulator_bound(1 << 20);
        assert_eq!(s.form(), FORM_FLOAT);
        // Too large a range for the f32 rounding trick; a negative multiplier (not monotone): integer forms.
        assert_eq!(s.with_accumulator_bound(1 << 30).float_form, None);
        assert_eq!(stage(-(1 << 30), -5).with_accumulator_bound(1000).form(), FORM_GENERAL);
    }
}
