//! Requantisation: turning an `i32` accumulator at scale `in_scale * filter_scale` into an output at `out_scale`, the
//! way TFLite does it (kernels/internal/quantization_util.cc `QuantizeMultiplier`, kernels/internal/common.h
//! `MultiplyByQuantizedMultiplier`, kernels/kernel_util.cc `GetQuantizedConvolutionMultipler` and
//! `CalculateActivationRangeQuantized`). Everything here is computed once at plan time except
//! [`multiply_by_quantized_multiplier`], which runs once per output value.

use super::fixedpoint::{rounding_divide_by_pot, saturating_rounding_doubling_high_mul};
use crate::kernels::Activation;

/// TFLite fixed-point multiplier: `real ≈ multiplier * 2^(shift - 31)`, `multiplier` in `[2^30, 2^31)` (or 0, or
/// negative for negative reals). `shift > 0` means a left shift (TFLite convention, the "exponent" of
/// `QuantizeMultiplier`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requantize {
    pub multiplier: i32,
    pub shift: i32,
}

impl Requantize {
    /// TFLite `QuantizeMultiplier` (double-precision path, the default build): `frexp` splits `real` into
    /// `q * 2^shift` with `|q|` in `[0.5, 1)`, `multiplier = round(q * 2^31)` (ties away from zero); if that rounds up
    /// to `2^31` it is halved and `shift` incremented; a `shift < -31` (|real| below about 2^-32) flushes to
    /// `{0, 0}`. `real == 0` gives `{0, 0}`. Non-finite input (TFLite would abort on a CHECK) also gives `{0, 0}`.
    pub fn from_real(real: f64) -> Requantize {
        if real == 0.0 || !real.is_finite() {
            return Requantize { multiplier: 0, shift: 0 };
        }
        let (q, mut shift) = frexp(real);
        let mut q_fixed = (q * (1i64 << 31) as f64).round() as i64;
        if q_fixed == 1i64 << 31 {
            q_fixed /= 2;
            shift += 1;
        }
        if shift < -31 {
            shift = 0;
            q_fixed = 0;
        }
        // |q| < 1 so |q_fixed| <= 2^31, and +2^31 was halved above: fits.
        Requantize { multiplier: q_fixed as i32, shift }
    }

    /// The real value this multiplier stands for, `multiplier * 2^(shift - 31)` (diagnostics and tests).
    pub fn to_real(self) -> f64 {
        f64::from(self.multiplier) * 2f64.powi(self.shift - 31)
    }
}

/// `frexp`: `x = m * 2^e` with `|m|` in `[0.5, 1)`, exact (bit manipulation, subnormals included). `x` must be finite
/// and non-zero.
fn frexp(x: f64) -> (f64, i32) {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // Subnormal: scale into the normal range first (exact), then correct the exponent.
        let (m, e) = frexp(x * 2f64.powi(64));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (m, biased - 1022)
}

/// TFLite `MultiplyByQuantizedMultiplier` (the default double-rounding build, `TFLITE_SINGLE_ROUNDING` off; the
/// uint8 reference conv calls it directly and the uint8 reference depthwise reaches it through its `kUpward`
/// output-rounding specialisation): `x * 2^left` in 32-bit two's complement, then
/// [`saturating_rounding_doubling_high_mul`] by the multiplier (ties towards +inf), then
/// [`rounding_divide_by_pot`] by the right shift (ties away from zero). The two roundings can differ from one exact
/// rounding (`1 * 0.25` gives 1); that is what TFLite computes.
///
/// A left shift of 32 or more (a real multiplier of 2^31 or more; TFLite's C++ is undefined there) gives
/// `x * 2^left mod 2^32 = 0` before the multiply instead of panicking.
#[inline]
pub fn multiply_by_quantized_multiplier(x: i32, r: Requantize) -> i32 {
    let left = r.shift.max(0);
    let right = (-r.shift).max(0);
    let shifted = if left >= 32 { 0 } else { x.wrapping_mul(1i32.wrapping_shl(left as u32)) };
    rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, r.multiplier), right)
}

/// TFLite's *single-rounding* `MultiplyByQuantizedMultiplier` (builds with `TFLITE_SINGLE_ROUNDING=1`, e.g. some
/// TFLite Micro targets): `(x * multiplier + 2^(30 - shift)) >> (31 - shift)` in 64 bits, clamped to `i32`.
/// Not used by the kernels here (the TFLite runtime defaults to double rounding); kept to diagnose 1-LSB
/// disagreements against a runtime built the other way. `shift` is clamped to `-31..=30`, the range that build allows.
pub fn multiply_by_quantized_multiplier_single_rounding(x: i32, r: Requantize) -> i32 {
    let total_shift = 31 - i64::from(r.shift.clamp(-31, 30));
    let round = 1i64 << (total_shift - 1);
    let result = (i64::from(x) * i64::from(r.multiplier) + round) >> total_shift;
    result.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// TFLite `CalculateActivationRangeQuantized` for a uint8 output: `quantize(f) = zp + (int)round(f / scale)` with the
/// division and the rounding (ties away from zero) in `f32`, as TFLite does; `None` → `[0, 255]`,
/// `Relu` → `[max(0, zp), 255]`, `Relu6` → `[max(0, zp), min(255, zp + round(6 / scale))]`. Float-to-int conversion
/// saturates (TFLite rejects such scales; [`ConvQuant::new`] rejects them too).
pub fn activation_range(act: Activation, output_scale: f32, output_zero_point: i32) -> (i32, i32) {
    const QMIN: i32 = 0;
    const QMAX: i32 = 255;
    let quantize = |f: f32| output_zero_point.saturating_add((f / output_scale).round() as i32);
    match act {
        Activation::None => (QMIN, QMAX),
        Activation::Relu => (QMIN.max(quantize(0.0)), QMAX),
        Activation::Relu6 => (QMIN.max(quantize(0.0)), QMAX.min(quantize(6.0))),
    }
}

/// Everything a uint8 conv / depthwise kernel needs besides the tensors (TFLite `ConvParams` / `DepthwiseParams`):
/// zero points (the kernels use `-zero_point` as TFLite's `input_offset` / `weights_offset`), the output requantiser
/// and the clamp range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvQuant {
    pub input_zero_point: i32,
    pub filter_zero_point: i32,
    pub output_zero_point: i32,
    pub requant: Requantize,
    pub act_min: i32,
    pub act_max: i32,
}

impl ConvQuant {
    /// Per-tensor uint8 parameters as TFLite's `PopulateConvolutionQuantizationParams` sets them for uint8: the real
    /// multiplier is `GetQuantizedConvolutionMultipler`'s `f64(input_scale * filter_scale) / f64(output_scale)` — note
    /// the product is taken in **f32** (C++ `float * float`) and only then widened — and goes through
    /// [`Requantize::from_real`]; the clamp range is [`activation_range`].
    ///
    /// Errors (instead of TFLite's undefined behaviour) for non-finite or non-positive scales, zero points outside
    /// `0..=255`, a real multiplier of 2^31 or more, or an empty activation range.
    pub fn new(
        input_scale: f32,
        input_zp: i32,
        filter_scale: f32,
        filter_zp: i32,
        output_scale: f32,
        output_zp: i32,
        act: Activation,
    ) -> Result<ConvQuant, String> {
        for (name, s) in [("input", input_scale), ("filter", filter_scale), ("output", output_scale)] {
            if !(s.is_finite() && s > 0.0) {
                return Err(format!("{name} scale {s} is not a positive finite number"));
            }
        }
        for (name, zp) in [("input", input_zp), ("filter", filter_zp), ("output", output_zp)] {
            if !(0..=255).contains(&zp) {
                return Err(format!("{name} zero point {zp} is outside 0..=255"));
            }
        }
        let input_product_scale = f64::from(input_scale * filter_scale);
        let real = input_product_scale / f64::from(output_scale);
        if !real.is_finite() || real >= 2f64.powi(31) {
            return Err(format!("requantisation multiplier {real} is out of range"));
        }
        let requant = Requantize::from_real(real);
        let six_steps = 6.0f32 / output_scale;
        if act == Activation::Relu6 && !(six_steps.is_finite() && six_steps.round() <= 1e9) {
            return Err(format!("output scale {output_scale} is too small for RELU6"));
        }
        let (act_min, act_max) = activation_range(act, output_scale, output_zp);
        if act_min > act_max {
            return Err(format!("empty activation range [{act_min}, {act_max}]"));
        }
        Ok(ConvQuant {
            input_zero_point: input_zp,
            filter_zero_point: filter_zp,
            output_zero_point: output_zp,
            requant,
            act_min,
            act_max,
        })
    }

    /// The tail shared by conv and depthwise: add the bias, requantise, add the output zero point, then
    /// `max(act_min)`, `min(act_max)` and the C++ `static_cast<uint8_t>` (keeps the low 8 bits; a no-op for ranges
    /// inside `0..=255`, which [`ConvQuant::new`] guarantees). All `i32` arithmetic wraps as TFLite's does in practice
    /// (overflow is never reached by valid uint8 models); never panics, even for a hand-built inverted range.
    #[inline]
    pub fn finish(&self, acc: i32, bias: i32) -> u8 {
        let acc =
            multiply_by_quantized_multiplier(acc.wrapping_add(bias), self.requant).wrapping_add(self.output_zero_point);
        acc.max(self.act_min).min(self.act_max) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rq(multiplier: i32, shift: i32) -> Requantize {
        Requantize { multiplier, shift }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn from_real_known_values() {
        assert_eq!(Requantize::from_real(0.5), rq(1 << 30, 0));
        assert_eq!(Requantize::from_real(0.25), rq(1 << 30, -1));
        assert_eq!(Requantize::from_real(1.0), rq(1 << 30, 1));
        assert_eq!(Requantize::from_real(0.75), rq(3 << 29, 0));
        assert_eq!(Requantize::from_real(3.0), rq(3 << 29, 2));
        assert_eq!(Requantize::from_real(-0.5), rq(-(1 << 30), 0));
        assert_eq!(Requantize::from_real(0.0), rq(0, 0));
        assert_eq!(Requantize::from_real(f64::NAN), rq(0, 0));
        // 1/3: frexp = (2/3, -1), round(2/3 * 2^31) = 1431655765.
        assert_eq!(Requantize::from_real(1.0 / 3.0), rq(1_431_655_765, -1));
        // Tiny: 2^-32 is the smallest kept (shift -31); below that flushes to zero.
        assert_eq!(Requantize::from_real(2f64.powi(-32)), rq(1 << 30, -31));
        assert_eq!(Requantize::from_real(2f64.powi(-33)), rq(0, 0));
        assert_eq!(Requantize::from_real(1e-12), rq(0, 0));
        assert_eq!(Requantize::from_real(f64::MIN_POSITIVE / 4.0), rq(0, 0)); // subnormal
                                                                              // q * 2^31 rounds up to 2^31: halved, shift incremented.
        let just_below_one = 1.0 - 2f64.powi(-33);
        assert_eq!(Requantize::from_real(just_below_one), rq(1 << 30, 1));
        assert_eq!(Requantize::from_real(just_below_one * 2f64.powi(-5)), rq(1 << 30, -4));
        // Just below the round-up threshold stays at 2^31 - 1.
        assert_eq!(Requantize::from_real(1.0 - 2f64.powi(-31)), rq(i32::MAX, 0));
        // Round trip close to the real value.
        for real in [0.000_123_4, 0.003_921_57, 0.0235, 0.9, 1.7, 123.456] {
            let r = Requantize::from_real(real);
            assert!((1 << 30..=i32::MAX).contains(&r.multiplier), "{real}: {r:?}");
            assert!((r.to_real() - real).abs() <= real * 2f64.powi(-30), "{real}: {r:?}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn frexp_is_exact() {
        for (x, m, e) in [(1.0, 0.5, 1), (0.5, 0.5, 0), (0.75, 0.75, 0), (-3.0, -0.75, 2), (1024.0, 0.5, 11)] {
            assert_eq!(frexp(x), (m, e), "{x}");
        }
        let tiny = f64::from_bits(1); // 2^-1074
        assert_eq!(frexp(tiny), (0.5, -1073));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn multiply_rounding_at_ties_both_signs() {
        let half = rq(1 << 30, 0); // 0.5
        assert_eq!(multiply_by_quantized_multiplier(1, half), 1); // 0.5 -> 1
        assert_eq!(multiply_by_quantized_multiplier(-1, half), 0); // -0.5 -> 0 (high-mul ties towards +inf)
        assert_eq!(multiply_by_quantized_multiplier(3, half), 2); // 1.5 -> 2
        assert_eq!(multiply_by_quantized_multiplier(-3, half), -1); // -1.5 -> -1
        let quarter = rq(1 << 30, -1); // 0.25: exact high-mul, tie decided by the right shift (away from zero)
        assert_eq!(multiply_by_quantized_multiplier(2, quarter), 1); // 0.5 -> 1
        assert_eq!(multiply_by_quantized_multiplier(-2, quarter), -1); // -0.5 -> -1
        assert_eq!(multiply_by_quantized_multiplier(6, quarter), 2); // 1.5 -> 2
        assert_eq!(multiply_by_quantized_multiplier(-6, quarter), -2); // -1.5 -> -2
        assert_eq!(multiply_by_quantized_multiplier(4, quarter), 1); // exact
                                                                     // Double rounding again: 5 * 0.5 = 2.5 -> 3 (ties up), 3 / 2 = 1.5 -> 2, so 1.25 comes out as 2;
                                                                     // -5 * 0.5 = -2.5 -> -2 (ties up), -2 / 2 = -1.
        assert_eq!(multiply_by_quantized_multiplier(5, quarter), 2);
        assert_eq!(multiply_by_quantized_multiplier(-5, quarter), -1);
        assert_eq!(multiply_by_quantized_multiplier_single_rounding(5, quarter), 1);
        // Double rounding: 1 * 0.25 -> high-mul gives round(0.5) = 1, then 1/2 rounds away from zero to 1.
        assert_eq!(multiply_by_quantized_multiplier(1, quarter), 1);
        assert_eq!(multiply_by_quantized_multiplier_single_rounding(1, quarter), 0);
        assert_eq!(multiply_by_quantized_multiplier(-1, quarter), 0);
        // Left shift.
        assert_eq!(multiply_by_quantized_multiplier(7, rq(1 << 30, 3)), 28); // 7 * 4
        assert_eq!(multiply_by_quantized_multiplier(-7, rq(3 << 29, 2)), -21); // -7 * 3
                                                                               // Saturation of the single overflow case.
        assert_eq!(multiply_by_quantized_multiplier(i32::MIN, rq(i32::MIN, 0)), i32::MAX);
        // Never panics on extreme shifts.
        assert_eq!(multiply_by_quantized_multiplier(5, rq(1 << 30, 40)), 0);
        let _ = multiply_by_quantized_multiplier(i32::MAX, rq(i32::MAX, 31));
        let _ = multiply_by_quantized_multiplier(i32::MIN, rq(i32::MAX, -100));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn multiply_matches_exact_double_rounding_model() {
        // Independent model in i128: step 1 rounds x*2^left*m/2^31 half towards +inf, step 2 rounds /2^right half
        // away from zero.
        fn model(x: i32, r: Requantize) -> i32 {
            let left = r.shift.max(0) as u32;
            let right = (-r.shift).max(0) as u32;
            let xs = i128::from(x) << left;
            let num = xs * i128::from(r.multiplier);
            let step1 = (num + (1i128 << 30)).div_euclid(1i128 << 31); // floor(v + 1/2)
            let d = 1i128 << right;
            let step2 = if step1 >= 0 { (step1 + d / 2).div_euclid(d) } else { -((-step1 + d / 2).div_euclid(d)) };
            let step2 = if right == 0 { step1 } else { step2 };
            step2 as i32
        }
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let real = (next() % 1_000_000) as f64 / 1e6 * 2f64.powi((next() % 12) as i32 - 10);
            let r = Requantize::from_real(real);
            let x = (next() % 2_000_001) as i32 - 1_000_000;
            assert_eq!(multiply_by_quantized_multiplier(x, r), model(x, r), "x={x} r={r:?}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn activation_ranges() {
        assert_eq!(activation_range(Activation::None, 0.1, 10), (0, 255));
        assert_eq!(activation_range(Activation::Relu, 0.1, 10), (10, 255));
        // MobileNet-style RELU6 output: scale 6/255, zp 0 -> 6/scale = 255.00000x -> 255.
        assert_eq!(activation_range(Activation::Relu6, 0.023_529_412, 0), (0, 255));
        // 6 / 0.05 = 120 -> zp + 120.
        assert_eq!(activation_range(Activation::Relu6, 0.05, 100), (100, 220));
        assert_eq!(activation_range(Activation::Relu6, 0.05, 200), (200, 255));
        // 6 / 0.08 = 75.0 exactly? In f32 it is 74.99999 or 75.00001; TFLite rounds the f32 quotient.
        let q = (6.0f32 / 0.08f32).round() as i32;
        assert_eq!(activation_range(Activation::Relu6, 0.08, 3), (3, 3 + q));
        // Half-way case rounds away from zero: 6 / 0.48 = 12.5 exactly in f32.
        assert_eq!(6.0f32 / core::hint::black_box(0.48f32), 12.5);
        assert_eq!(activation_range(Activation::Relu6, 0.48, 0), (0, 13));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn conv_quant_uses_f32_product() {
        let (si, sf, so) = (0.007_812_5f32, 0.019_574_7f32, 0.023_528_6f32);
        let q = ConvQuant::new(si, 128, sf, 97, so, 0, Activation::Relu6).unwrap();
        let want = Requantize::from_real(f64::from(si * sf) / f64::from(so));
        assert_eq!(q.requant, want);
        assert_eq!((q.act_min, q.act_max), (0, 255));
        assert_eq!((q.input_zero_point, q.filter_zero_point, q.output_zero_point), (128, 97, 0));
        // The f32 product can differ from the f64 product in the last multiplier bits.
        let mut differ = 0;
        for k in 1..2000 {
            let a = 0.001f32 + k as f32 * 1.37e-5;
            let b = 0.02f32 + k as f32 * 3.1e-6;
            let c = 0.05f32;
            let r32 = Requantize::from_real(f64::from(a * b) / f64::from(c));
            let r64 = Requantize::from_real(f64::from(a) * f64::from(b) / f64::from(c));
            differ += usize::from(r32 != r64);
            let got = ConvQuant::new(a, 0, b, 0, c, 0, Activation::None).unwrap().requant;
            assert_eq!(got, r32);
        }
        assert!(differ > 0, "expected the f32 product to matter somewhere");
        assert!(ConvQuant::new(0.0, 0, 1.0, 0, 1.0, 0, Activation::None).is_err());
        assert!(ConvQuant::new(1.0, 256, 1.0, 0, 1.0, 0, Activation::None).is_err());
        assert!(ConvQuant::new(1.0, 0, 1.0, -1, 1.0, 0, Activation::None).is_err());
        assert!(ConvQuant::new(f32::NAN, 0, 1.0, 0, 1.0, 0, Activation::None).is_err());
        assert!(ConvQuant::new(1e30, 0, 1e8, 0, 1e-30, 0, Activation::None).is_err());
    }
}
