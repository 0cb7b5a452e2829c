//! [`OutputStage`] on four `i32` accumulators at a time, bit-exact with TFLite's double-rounding
//! `MultiplyByQuantizedMultiplier`, in one of three forms chosen per layer at load ([`OutputStage::form`]):
//!
//! - **Float** (`FORM_FLOAT`, most layers): `(x · scale + offset) + 1.5·2^23` in `f32`, minus the constant's bits
//!   (see [`FloatForm`](super::output_stage::FloatForm), which says why it is exact over the layer's accumulator
//!   range where it is offered): 5 instructions per 4 values on x64 V8 (`cvtdq2ps`, `mulps`, 2 `addps`, `psubd`).
//!   Measured against the single rounding below, alternating builds in Chromium: −4 % (0.75/192) to −10 %
//!   (1.0/224) per frame.
//! - **Single rounding** and **general** (the 64-bit integer arithmetic below), for the other layers.
//!
//! 1. `x << left` wraps like the scalar `wrapping_mul` (the shift is at most 31).
//! 2. gemmlowp's `SaturatingRoundingDoublingHighMul(x, m)` adds a nudge of `2^30` (non-negative product) or
//!    `1 - 2^30` (negative) and truncates the division by `2^31`. For a negative product the truncation is a
//!    ceiling, and `ceil((p + 1 - 2^30) / 2^31) = floor((p + 2^30) / 2^31)`, so both signs are one
//!    `floor((p + 2^30) / 2^31)` — the high half of `2p + 2^31`, read from the 64-bit lanes with one shuffle. The only
//!    case that saturates (`m = x = i32::MIN`) is excluded by [`OutputStage::new`].
//! 3. `RoundingDivideByPOT` (ties away from zero) as gemmlowp writes it: `(x >> e) + (remainder > threshold)` with
//!    `threshold = (mask >> 1) + (x < 0)`.
//!
//! **Single rounding.** When there is no left shift, the right shift `e` is at least 1, the multiplier is not
//! negative and the accumulators are bounded (`OutputStage::single_rounding`, decided at load), steps 2 and 3
//! collapse into one floor: with `h = floor((p + 2^30) / 2^31)`, step 3 is `floor((h + 2^(e-1) - [h < 0]) / 2^e)`,
//! and `floor(floor(y) + t) = floor(y + t)` for an integer `t`, so the constant `2^(e-1)` rides in the 64-bit
//! rounding term (`2p + 2^31 + 2^(31+e)`, high half `h + 2^(e-1)`). `[h < 0]` may be read off the accumulator's
//! sign: with `m ≥ 0` they differ only when `p ∈ [-2^30, 0)`, where `h = 0` and both give 0. That is three `i32`
//! operations (sign, add, shift) where step 3 takes six. The output zero point `z` rides along too: adding `z·2^e`
//! before the shift adds exactly `z` after it, so the rounding term is `2^31 + 2^(31+e) + z·2^(32+e)` and no add
//! is left for step 4. The bound keeps `h + 2^(e-1) + z·2^e` inside `i32`.
//! 4. The output zero point is added (general form: with a wrapping `i32` add); a saturating narrow to `i16` and the clamp to
//!    `[act_min, act_max] ⊆ 0..=255` compose into exactly the scalar clamp, after which each value is its low byte
//!    (one even-byte shuffle). A second saturating narrow would say the same, but LLVM expands a chain of two
//!    narrows into clamps and shuffles, so the form here is the cheaper one in the emitted wasm.

use super::output_stage::{OutputStage, FORM_FLOAT, FORM_GENERAL, FORM_SINGLE, ROUND_MAGIC};
use core::arch::wasm32::*;

/// The splatted constants of one [`OutputStage`], built once per kernel call.
#[derive(Clone, Copy)]
pub(super) struct StageVec {
    multiplier: v128,
    /// `2^31 + 2^(31 + right) + zero_point·2^(32 + right)` (single rounding) or `2^31` (general form), in both
    /// `i64` lanes.
    round: v128,
    form: u8,
    left: u32,
    right: u32,
    mask: v128,
    half_mask: v128,
    zero_point: v128,
    /// `i16` lanes.
    act_min: v128,
    act_max: v128,
    /// The float form's `scale`, `offset` and `ROUND_MAGIC`, in every `f32` lane.
    scale: v128,
    offset: v128,
    magic: v128,
}

impl StageVec {
    #[inline(always)]
    pub fn new(s: &OutputStage) -> StageVec {
        let mask = ((1u64 << s.right_shift) - 1) as i32;
        let general = !s.single_rounding;
        let (scale, offset) = s.float_form.map_or((0.0, 0.0), |f| (f.scale(), f.offset()));
        let e = s.right_shift;
        let round = if general { 1i64 << 31 } else { (1i64 << 31) + (1i64 << (31 + e)) + (i64::from(s.output_zero_point) << (32 + e)) };
        StageVec {
            multiplier: i32x4_splat(s.multiplier),
            round: i64x2_splat(round),
            form: s.form(),
            left: s.left_shift,
            right: s.right_shift,
            mask: i32x4_splat(mask),
            half_mask: i32x4_splat(mask >> 1),
            zero_point: i32x4_splat(s.output_zero_point),
            act_min: i16x8_splat(i16::from(s.act_min)),
            act_max: i16x8_splat(i16::from(s.act_max)),
            scale: f32x4_splat(scale),
            offset: f32x4_splat(offset),
            // Opaque to LLVM, so it stays a field (one load) instead of a constant V8 rebuilds at every use.
            magic: f32x4_splat(core::hint::black_box(ROUND_MAGIC)),
        }
    }

    /// The form ([`OutputStage::form`]) the kernels must pick the copy of their loops for: `finish8::<FORM>`.
    #[inline(always)]
    pub fn form(&self) -> u8 {
        self.form
    }

    /// The multiplier, re-read through `black_box` so that LLVM cannot hoist its sign extension out of the block
    /// of the multiplies: with the extension computed in another block it no longer recognises
    /// `i64x2.extmul_{low,high}_i32x4_s` and emits `i64x2.extend` + a full `i64x2.mul`, which V8 emulates on x64
    /// with three multiplies and five more instructions. [`StageVec::finish8`] fetches it once per call (a stack
    /// store and load): fetched once per loop, it was hoisted in the depthwise row loop and the 3-row GEMM tile.
    #[inline(always)]
    fn multiplier(&self) -> v128 {
        core::hint::black_box(self.multiplier)
    }

    /// Requantised values plus the output zero point, still `i32` (steps 1–3 and the add of step 4). `GENERAL`
    /// says whether the form is [`FORM_GENERAL`] (else [`FORM_SINGLE`]), `m` is [`StageVec::multiplier`] fetched in
    /// the same block.
    #[inline(always)]
    fn scale<const GENERAL: bool>(&self, acc: v128, m: v128) -> v128 {
        let x = if GENERAL { i32x4_shl(acc, self.left) } else { acc };
        let lo = i64x2_extmul_low_i32x4(x, m);
        let hi = i64x2_extmul_high_i32x4(x, m);
        let lo = i64x2_add(i64x2_add(lo, lo), self.round);
        let hi = i64x2_add(i64x2_add(hi, hi), self.round);
        let high = i32x4_shuffle::<1, 3, 5, 7>(lo, hi);
        if GENERAL {
            let remainder = v128_and(high, self.mask);
            // (mask >> 1) + 1 for negative values: subtracting the sign (-1 or 0).
            let threshold = i32x4_sub(self.half_mask, i32x4_shr(high, 31));
            // `gt` is -1 where the quotient rounds up: subtracting it adds one.
            let q = i32x4_sub(i32x4_shr(high, self.right), i32x4_gt(remainder, threshold));
            i32x4_add(q, self.zero_point)
        } else {
            // `high` is h + 2^(e-1) + z·2^e; adding the sign (-1 or 0) of x subtracts [h < 0].
            i32x4_shr(i32x4_add(high, i32x4_shr(x, 31)), self.right)
        }
    }

    /// Eight finished output bytes (low half of the result; the high half repeats them) in form `FORM`, which must be
    /// [`StageVec::form`].
    #[inline(always)]
    pub fn finish8<const FORM: u8>(&self, a: v128, b: v128) -> v128 {
        let ab = match FORM {
            FORM_FLOAT => i16x8_narrow_i32x4(self.float_form(a), self.float_form(b)),
            FORM_SINGLE => {
                let m = self.multiplier();
                i16x8_narrow_i32x4(self.scale::<false>(a, m), self.scale::<false>(b, m))
            }
            _ => {
                debug_assert_eq!(FORM, FORM_GENERAL);
                let m = self.multiplier();
                i16x8_narrow_i32x4(self.scale::<true>(a, m), self.scale::<true>(b, m))
            }
        };
        let ab = self.clamp(ab);
        low_bytes(ab, ab)
    }

    /// The float form on four accumulators: `(x · scale + offset) + ROUND_MAGIC` in `f32`, whose bits minus the
    /// constant's are the rounded results.
    #[inline(always)]
    fn float_form(&self, x: v128) -> v128 {
        let y = f32x4_add(f32x4_add(f32x4_mul(f32x4_convert_i32x4(x), self.scale), self.offset), self.magic);
        i32x4_sub(y, self.magic)
    }

    #[inline(always)]
    fn clamp(&self, v: v128) -> v128 {
        i16x8_min(i16x8_max(v, self.act_min), self.act_max)
    }
}

/// The low byte of every `i16` lane of `a` then `b` (values already in `0..=255`).
#[inline(always)]
fn low_bytes(a: v128, b: v128) -> v128 {
    i8x16_shuffle::<0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30>(a, b)
}
