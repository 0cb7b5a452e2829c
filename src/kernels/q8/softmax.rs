//! uint8 SOFTMAX (output scale 1/256, zero point 0), TFLite reference arithmetic: parameters from
//! `PreprocessSoftmaxScaling` and `CalculateInputRadius` (kernels/internal/quantization_util.cc, called by the
//! reference kernel's prepare step in kernels/activations.cc with 5 integer bits for the scaled difference), the row
//! computation from kernels/internal/reference/softmax.h, built on gemmlowp fixed point ([`super::fixedpoint`]).
//!
//! Per row: `diff = x - max`; differences below `diff_min` contribute nothing and output 0; the others are rescaled by
//! `beta * input_scale` into Q5.26, exponentiated into Q0.31, summed in Q12.19, the sum inverted with
//! `GetReciprocal`, and each output is `RoundingDivideByPOT(reciprocal * exp, num_bits_over_unit + 23)` clamped to
//! `0..=255`. The exponentials are recomputed in the second pass, as TFLite does, so nothing is allocated.

use super::fixedpoint::{
    exp_on_negative_values, get_reciprocal, rescale, rounding_divide_by_pot, saturating_rounding_doubling_high_mul,
};
use super::requant::{multiply_by_quantized_multiplier, Requantize};

/// Integer bits of the rescaled input difference (TFLite `kScaledDiffIntegerBits`).
const SCALED_DIFF_INTEGER_BITS: i32 = 5;
/// Integer bits of the sum of exponentials (TFLite `kAccumulationIntegerBits`).
pub(super) const ACCUMULATION_INTEGER_BITS: i32 = 12;

/// Precomputed uint8 softmax parameters (TFLite `SoftmaxParams` fields `input_multiplier`, `input_left_shift`,
/// `diff_min`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftmaxQuant {
    pub input_multiplier: i32,
    pub input_left_shift: i32,
    pub diff_min: i32,
}

impl SoftmaxQuant {
    /// `beta` and `input_scale` as TFLite passes them: the model's `f32` values widened to `f64`.
    ///
    /// `PreprocessSoftmaxScaling(beta, input_scale, 5)`: `real = min(beta * input_scale * 2^26, 2^31 - 1)` in `f64`,
    /// quantised with `QuantizeMultiplier` ([`Requantize::from_real`]); then
    /// `diff_min = -floor(31 * 2^26 / 2^input_left_shift)` (`CalculateInputRadius(5, input_left_shift)`), the most
    /// negative difference whose rescaled value still fits Q5.26.
    pub fn new(beta: f64, input_scale: f64) -> SoftmaxQuant {
        let max_real_multiplier = ((1i64 << 31) - 1) as f64;
        let real = beta * input_scale * (1i64 << (31 - SCALED_DIFF_INTEGER_BITS)) as f64;
        // std::min(real, max): the first argument unless the second is strictly smaller.
        let real = if max_real_multiplier < real { max_real_multiplier } else { real };
        let r = Requantize::from_real(real);
        let radius = calculate_input_radius(SCALED_DIFF_INTEGER_BITS, r.shift, 31);
        SoftmaxQuant { input_multiplier: r.multiplier, input_left_shift: r.shift, diff_min: radius.saturating_neg() }
    }

    /// `input_diff * beta * input_scale` in Q5.26: TFLite `MultiplyByQuantizedMultiplierGreaterThanOne`
    /// (`SaturatingRoundingDoublingHighMul(diff * 2^left_shift, multiplier)`). For the degenerate case of a negative
    /// shift (TFLite aborts there) the right shift is applied with rounding instead.
    #[inline]
    fn rescale_diff(&self, diff: i32) -> i32 {
        multiply_by_quantized_multiplier(
            diff,
            Requantize { multiplier: self.input_multiplier, shift: self.input_left_shift },
        )
    }

    /// The exponential of one difference `x - max` in Q0.31, or `None` below `diff_min` (the value contributes
    /// nothing and outputs 0).
    #[inline]
    pub(super) fn exp_of_diff(&self, diff: i32) -> Option<i32> {
        (diff >= self.diff_min).then(|| exp_on_negative_values(self.rescale_diff(diff), SCALED_DIFF_INTEGER_BITS))
    }
}

/// TFLite `CalculateInputRadius` (floating-point path): `floor((2^integer_bits - 1) * 2^(total_bits - integer_bits)
/// / 2^left_shift)`, saturated into `i32`.
fn calculate_input_radius(input_integer_bits: i32, input_left_shift: i32, total_signed_bits: i32) -> i32 {
    let max_input_rescaled =
        1.0 * f64::from((1i32 << input_integer_bits) - 1) * 2f64.powi(total_signed_bits - input_integer_bits)
            / 2f64.powi(input_left_shift);
    max_input_rescaled.floor() as i32
}

/// uint8 softmax of one row (`input.len() == output.len()`), output scale 1/256 and zero point 0. Empty rows are a
/// no-op.
pub fn softmax_ref(p: &SoftmaxQuant, input: &[u8], output: &mut [u8]) {
    debug_assert_eq!(input.len(), output.len());
    let Some(&max_in_row) = input.iter().max() else { return };
    let max_in_row = i32::from(max_in_row);
    let exp_of = |x: u8| p.exp_of_diff(i32::from(x) - max_in_row);

    let mut sum_of_exps: i32 = 0; // Q12.19
    for &x in input {
        if let Some(e) = exp_of(x) {
            sum_of_exps = sum_of_exps.wrapping_add(rescale(e, 0, ACCUMULATION_INTEGER_BITS));
        }
    }

    let (shifted_scale, num_bits_over_unit) = get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS);
    // 8 = bits of the uint8 output. TFLite CHECKs 0 <= exponent <= 31 (rows of up to ~2^12 values);
    // rounding_divide_by_pot stays exact and total outside that range.
    let exponent = num_bits_over_unit + 31 - 8;

    for (out, &x) in output.iter_mut().zip(input) {
        *out = match exp_of(x) {
            Some(e) => {
                let unsat = rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted_scale, e), exponent);
                // + uint8 min (0), then clamp to the uint8 range.
                unsat.clamp(0, 255) as u8
            }
            None => 0,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float_softmax(beta: f64, scale: f64, input: &[u8]) -> Vec<f64> {
        let max = f64::from(*input.iter().max().unwrap());
        let e: Vec<f64> = input.iter().map(|&x| ((f64::from(x) - max) * beta * scale).exp()).collect();
        let s: f64 = e.iter().sum();
        e.iter().map(|v| v / s).collect()
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn params_match_tflite_formulas() {
        // beta 1, scale 1/8: real = 2^23 exactly -> multiplier 2^30, shift 24; radius floor(31 * 2^26 / 2^24) = 124.
        let p = SoftmaxQuant::new(1.0, 0.125);
        assert_eq!(p, SoftmaxQuant { input_multiplier: 1 << 30, input_left_shift: 24, diff_min: -124 });
        // A MobileNet-like logit scale: real = 0.0986... * 2^26 = 6.6e6 -> shift 23, radius floor(31 * 8) = 248.
        let s = f64::from(0.098_612_33f32);
        let p = SoftmaxQuant::new(1.0, s);
        let r = Requantize::from_real(s * 2f64.powi(26));
        assert_eq!((p.input_multiplier, p.input_left_shift), (r.multiplier, r.shift));
        assert_eq!(p.input_left_shift, 23);
        assert_eq!(p.diff_min, -248);
        // Huge beta * scale is capped at 2^31 - 1 -> shift 31, radius floor(31 * 2^26 / 2^31) = 0.
        let p = SoftmaxQuant::new(1.0, 1000.0);
        assert_eq!(p.input_left_shift, 31);
        assert_eq!(p.diff_min, 0);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn equal_inputs_give_equal_outputs() {
        let p = SoftmaxQuant::new(1.0, 0.1);
        for n in [1usize, 2, 3, 4, 5, 8, 10, 16, 100, 1001] {
            for v in [0u8, 77, 255] {
                let input = vec![v; n];
                let mut out = vec![0u8; n];
                softmax_ref(&p, &input, &mut out);
                assert!(out.iter().all(|&o| o == out[0]), "n={n}");
                let want = (256.0 / n as f64).min(255.0);
                assert!((f64::from(out[0]) - want).abs() <= 0.5 + 1e-9, "n={n}: {} vs {want}", out[0]);
            }
        }
        // Hand-checked: 10 equal values -> reciprocal of 10 is 0.8 / 2^3 (Newton-Raphson in Q2.29), exponent 26,
        // exp(0) = 2^31 - 1, so each output is round(0.8 * 2^31 / 2^26) = round(25.6) = 26.
        let mut out = [0u8; 10];
        softmax_ref(&p, &[9u8; 10], &mut out);
        assert_eq!(out, [26u8; 10]);
        // 1 value: 256 saturates to 255. 2 values: exactly 128 each.
        let mut one = [0u8; 1];
        softmax_ref(&p, &[3], &mut one);
        assert_eq!(one, [255]);
        let mut two = [0u8; 2];
        softmax_ref(&p, &[3, 3], &mut two);
        assert_eq!(two, [128, 128]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn dominant_value_gives_255() {
        // Differences of -255 * 0.1 = -25.5 are below diff_min (-248 steps) or give exp(-25.5) ~ 8e-12: nothing left.
        let p = SoftmaxQuant::new(1.0, 0.1);
        let mut input = vec![0u8; 1001];
        input[417] = 255;
        let mut out = vec![9u8; 1001];
        softmax_ref(&p, &input, &mut out);
        assert_eq!(out[417], 255);
        assert!(out.iter().enumerate().all(|(i, &o)| i == 417 || o == 0));
        assert!(p.diff_min > -255);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn monotonic_close_to_float_and_sums_to_about_256() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (scale, n) in [(0.098_612_33f64, 1001usize), (0.05, 10), (0.2, 37), (0.02, 256), (0.5, 5)] {
            let p = SoftmaxQuant::new(1.0, scale);
            for _ in 0..50 {
                let input: Vec<u8> = (0..n).map(|_| (next() % 256) as u8).collect();
                let mut out = vec![0u8; n];
                softmax_ref(&p, &input, &mut out);
                // Monotonic: a larger input never gets a smaller output.
                let mut order: Vec<usize> = (0..n).collect();
                order.sort_by_key(|&i| input[i]);
                for w in order.windows(2) {
                    assert!(out[w[0]] <= out[w[1]], "not monotonic");
                }
                let f = float_softmax(1.0, scale, &input);
                let mut sum = 0u32;
                for i in 0..n {
                    let want = (f[i] * 256.0).min(255.0);
                    assert!((f64::from(out[i]) - want).abs() <= 1.0, "scale={scale} n={n} i={i}: {} vs {want}", out[i]);
                    sum += u32::from(out[i]);
                }
                // Each output is within one step of the true probability, so the sum is 256 within n / 2 or so;
                // in practice much tighter.
                assert!((i64::from(sum) - 256).unsigned_abs() <= (n as u64 / 2).max(3), "sum={sum} n={n}");
            }
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn empty_row_is_a_no_op() {
        let p = SoftmaxQuant::new(1.0, 0.1);
        softmax_ref(&p, &[], &mut []);
    }
}
