//! Scalar emulation of the gemmlowp fixed-point primitives (`fixedpoint/fixedpoint.h`) that TFLite's reference uint8
//! kernels are built from. Each function is written from the documented semantics and checked against them in the
//! tests below; results must be identical bit for bit, so every rounding rule is spelled out.
//!
//! A value in "Qm" format is an `i32` raw value `r` meaning `r / 2^(31 - m)` (m integer bits, 31 - m fractional bits).
//! gemmlowp's plain additions are not saturating (overflow is undefined in C++, two's complement in practice); here they
//! wrap, which never matters in the ranges TFLite feeds them but keeps the code panic-free.

/// `round(a * b / 2^31)` with ties rounded towards +infinity (the nudge is `2^30` for a non-negative product and
/// `1 - 2^30` for a negative one, then the division truncates), saturating the single overflow case
/// `i32::MIN * i32::MIN` to `i32::MAX`. Same computation as ARM NEON `VQRDMULH`.
#[inline]
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = i64::from(a) * i64::from(b);
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // |ab + nudge| / 2^31 < 2^31 once the overflow case is excluded, so the narrowing is exact.
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// `x / 2^exponent` rounded to nearest, ties away from zero (gemmlowp `RoundingDivideByPOT`: add one when the
/// remainder exceeds `mask >> 1`, or `(mask >> 1) + 1` for negative `x`).
///
/// gemmlowp asserts `0 <= exponent <= 31`; TFLite never leaves that range. Outside it this function stays total:
/// negative exponents act as 0 and larger ones are computed exactly in 64 bits (capped at 63), instead of panicking.
#[inline]
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    if (0..=31).contains(&exponent) {
        let mask: i32 = ((1i64 << exponent) - 1) as i32;
        let remainder = x & mask;
        let threshold = (mask >> 1) + i32::from(x < 0);
        (x >> exponent) + i32::from(remainder > threshold)
    } else if exponent < 0 {
        x
    } else {
        // Same rule in 64 bits; |x| < 2^31 <= 2^exponent, so the result is -1, 0 or 1.
        let e = exponent.min(63) as u32;
        let x = i64::from(x);
        let mask: i64 = if e == 63 { i64::MAX } else { (1i64 << e) - 1 };
        let remainder = x & mask;
        let threshold = (mask >> 1) + i64::from(x < 0);
        ((x >> e) + i64::from(remainder > threshold)) as i32
    }
}

/// gemmlowp `SaturatingRoundingMultiplyByPOT<exponent>` on a raw value: for `exponent > 0` a left shift that saturates
/// to `i32::MIN` / `i32::MAX` when `x` lies outside `±(2^(31 - exponent) - 1)`; for `exponent < 0` a
/// [`rounding_divide_by_pot`]; identity for 0.
#[inline]
pub fn saturating_rounding_multiply_by_pot(x: i32, exponent: i32) -> i32 {
    if exponent == 0 {
        x
    } else if exponent < 0 {
        rounding_divide_by_pot(x, -exponent)
    } else if exponent >= 31 {
        // threshold would be 0: every non-zero value saturates.
        match x {
            0 => 0,
            x if x > 0 => i32::MAX,
            _ => i32::MIN,
        }
    } else {
        let threshold: i32 = (1 << (31 - exponent)) - 1;
        if x > threshold {
            i32::MAX
        } else if x < -threshold {
            i32::MIN
        } else {
            x << exponent
        }
    }
}

/// `Rescale<dst>(FixedPoint<src>)`: change the number of integer bits of a raw value, i.e.
/// [`saturating_rounding_multiply_by_pot`] by `src - dst`.
#[inline]
pub fn rescale(raw: i32, src_integer_bits: i32, dst_integer_bits: i32) -> i32 {
    saturating_rounding_multiply_by_pot(raw, src_integer_bits - dst_integer_bits)
}

/// `(a + b) / 2` rounded to nearest with ties away from zero, computed in 64 bits (gemmlowp `RoundingHalfSum`).
#[inline]
pub fn rounding_half_sum(a: i32, b: i32) -> i32 {
    let sum = i64::from(a) + i64::from(b);
    let sign = if sum >= 0 { 1 } else { -1 };
    ((sum + sign) / 2) as i32
}

/// `exp(x)` for `x` in `[-1/4, 0)`, Q0.31 in and out: gemmlowp's Taylor expansion around -1/8 (4th order, constants
/// `exp(-1/8)` = 1895147668 and `1/3` = 715827883 in Q0.31).
pub fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: i32) -> i32 {
    const EXP_MINUS_ONE_EIGHTH: i32 = 1_895_147_668;
    const ONE_THIRD: i32 = 715_827_883;
    let mul = saturating_rounding_doubling_high_mul;
    let x = a.wrapping_add(1 << 28); // + 1/8
    let x2 = mul(x, x);
    let x3 = mul(x2, x);
    let x4 = mul(x2, x2);
    let x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2);
    let poly = saturating_rounding_multiply_by_pot(mul(x4_over_4.wrapping_add(x3), ONE_THIRD).wrapping_add(x2), -1);
    EXP_MINUS_ONE_EIGHTH.wrapping_add(mul(EXP_MINUS_ONE_EIGHTH, x.wrapping_add(poly)))
}

/// `exp(a)` for `a <= 0` given in Q`integer_bits` (0..=30), result in Q0.31 (gemmlowp `exp_on_negative_values`):
/// the fractional part modulo 1/4 goes through the polynomial above, then a barrel shifter multiplies by
/// `exp(-2^k)` for every set bit `k` of the remainder (k = -2..=4, only those below `integer_bits`); inputs below -32
/// give 0 when there are more than 5 integer bits; `a == 0` gives exactly `i32::MAX` (one).
pub fn exp_on_negative_values(a: i32, integer_bits: i32) -> i32 {
    // exp(-2^k) in Q0.31 for k = -2, -1, 0, 1, 2, 3, 4.
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    let fractional_bits = 31 - integer_bits;
    let one_quarter: i32 = 1 << (fractional_bits - 2);
    let mask = one_quarter - 1;
    let a_mod_quarter_minus_one_quarter = (a & mask).wrapping_sub(one_quarter);
    let mut result = exp_on_interval_between_negative_one_quarter_and_0_excl(rescale(
        a_mod_quarter_minus_one_quarter,
        integer_bits,
        0,
    ));
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    for (k, multiplier) in BARREL {
        if integer_bits > k {
            let bit = fractional_bits + k;
            if remainder & (1i32 << bit) != 0 {
                result = saturating_rounding_doubling_high_mul(result, multiplier);
            }
        }
    }
    if integer_bits > 5 {
        let clamp = -(1i32 << (36 - integer_bits)); // -32 in Q`integer_bits`
        if a < clamp {
            result = 0;
        }
    }
    if a == 0 {
        result = i32::MAX;
    }
    result
}

/// `1 / (1 + a)` for `a` in `[0, 1)`, Q0.31 in and out (gemmlowp `one_over_one_plus_x_for_x_in_0_1`): three
/// Newton-Raphson steps on the half denominator in Q2.29 starting from `48/17 - 32/17 * d`.
pub fn one_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    const FORTY_EIGHT_OVER_17: i32 = 1_515_870_810; // Q2.29
    const NEG_THIRTY_TWO_OVER_17: i32 = -1_010_580_540; // Q2.29
    const ONE_Q2: i32 = 1 << 29;
    let mul = saturating_rounding_doubling_high_mul;
    let half_denominator = rounding_half_sum(a, i32::MAX); // Q0.31
    let mut x = FORTY_EIGHT_OVER_17.wrapping_add(mul(half_denominator, NEG_THIRTY_TWO_OVER_17)); // Q2.29
    for _ in 0..3 {
        let half_denominator_times_x = mul(half_denominator, x); // Q2.29
        let one_minus = ONE_Q2.wrapping_sub(half_denominator_times_x); // Q2.29
                                                                       // Q2 * Q2 = Q4, rescaled back to Q2.
        x = x.wrapping_add(rescale(mul(x, one_minus), 4, 2));
    }
    // Halving by reinterpreting Q2.29 as Q1.30, then Q1 -> Q0.
    rescale(x, 1, 0)
}

/// TFLite `GetReciprocal` (kernels/internal/common.h): for a positive `x` in Q`x_integer_bits`, returns
/// `(scale, num_bits_over_unit)` with `scale` in Q0.31 such that `1/x ≈ scale / 2^num_bits_over_unit`. The value is
/// normalised so its leading one sits at bit 31 (shift by the leading-zero count), the `1.0` is removed, and
/// `1/(1 + frac)` evaluated. `x` must be positive (TFLite shifts by 32 otherwise); `x <= 0` returns `(0, 0)`.
pub fn get_reciprocal(x: i32, x_integer_bits: i32) -> (i32, i32) {
    if x <= 0 {
        return (0, 0);
    }
    let headroom_plus_one = (x as u32).leading_zeros(); // 1..=31 for positive x
    let num_bits_over_unit = x_integer_bits - headroom_plus_one as i32;
    let shifted_sum_minus_one = ((x as u32) << headroom_plus_one).wrapping_sub(1u32 << 31) as i32;
    (one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q0(raw: i32) -> f64 {
        f64::from(raw) / 2f64.powi(31)
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn srdhm_rounds_ties_up_and_saturates() {
        let half = 1 << 30; // 0.5 in Q0.31
        assert_eq!(saturating_rounding_doubling_high_mul(1, half), 1); // +0.5 -> 1
        assert_eq!(saturating_rounding_doubling_high_mul(-1, half), 0); // -0.5 -> 0 (towards +inf)
        assert_eq!(saturating_rounding_doubling_high_mul(3, half), 2); // 1.5 -> 2
        assert_eq!(saturating_rounding_doubling_high_mul(-3, half), -1); // -1.5 -> -1
        assert_eq!(saturating_rounding_doubling_high_mul(5, half), 3); // 2.5 -> 3
        assert_eq!(saturating_rounding_doubling_high_mul(-5, half), -2); // -2.5 -> -2
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN), i32::MAX);
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, i32::MAX), -i32::MAX);
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MAX, i32::MAX), i32::MAX - 1);
        assert_eq!(saturating_rounding_doubling_high_mul(0, i32::MIN), 0);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rounding_divide_by_pot_ties_away_from_zero() {
        let cases = [
            (3, 1, 2),
            (-3, 1, -2),
            (1, 1, 1),
            (-1, 1, -1),
            (5, 2, 1),   // 1.25
            (6, 2, 2),   // 1.5
            (-6, 2, -2), // -1.5
            (-5, 2, -1), // -1.25
            (-7, 2, -2), // -1.75
            (7, 0, 7),
            (i32::MAX, 31, 1),
            (i32::MIN, 31, -1),
            (-(1 << 30), 31, -1), // -0.5 -> -1
            ((1 << 30) - 1, 31, 0),
            (1 << 30, 31, 1), // 0.5 -> 1
        ];
        for (x, e, want) in cases {
            assert_eq!(rounding_divide_by_pot(x, e), want, "x={x} e={e}");
        }
        // Out-of-contract exponents stay total and exact.
        assert_eq!(rounding_divide_by_pot(i32::MAX, 32), 0);
        assert_eq!(rounding_divide_by_pot(i32::MIN, 32), -1); // -0.5 -> -1
        assert_eq!(rounding_divide_by_pot(i32::MIN, 40), 0);
        assert_eq!(rounding_divide_by_pot(12, -3), 12);
        // Exhaustive-ish agreement with exact rational rounding.
        for x in -300..=300 {
            for e in 0..6 {
                let exact = f64::from(x) / f64::from(1 << e);
                let want = exact.round() as i32; // f64::round: ties away from zero
                assert_eq!(rounding_divide_by_pot(x, e), want, "x={x} e={e}");
            }
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn multiply_by_pot_saturates() {
        assert_eq!(saturating_rounding_multiply_by_pot(3, 2), 12);
        assert_eq!(saturating_rounding_multiply_by_pot((1 << 29) - 1, 2), ((1 << 29) - 1) << 2);
        assert_eq!(saturating_rounding_multiply_by_pot(1 << 29, 2), i32::MAX);
        assert_eq!(saturating_rounding_multiply_by_pot(-(1 << 29), 2), i32::MIN);
        assert_eq!(saturating_rounding_multiply_by_pot(-((1 << 29) - 1), 2), -((1 << 29) - 1) * 4);
        assert_eq!(saturating_rounding_multiply_by_pot(6, -2), 2);
        assert_eq!(saturating_rounding_multiply_by_pot(5, 31), i32::MAX);
        assert_eq!(rounding_half_sum(1, 2), 2);
        assert_eq!(rounding_half_sum(-1, -2), -2);
        assert_eq!(rounding_half_sum(i32::MAX, i32::MAX), i32::MAX);
        assert_eq!(rounding_half_sum(0, i32::MAX), 1 << 30);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn exp_matches_float_exp() {
        assert_eq!(exp_on_negative_values(0, 5), i32::MAX);
        // Q5.26 inputs from 0 down to -31.9.
        let mut worst = 0.0f64;
        let mut a: i64 = 0;
        while a > -(31i64 << 26) {
            let got = q0(exp_on_negative_values(a as i32, 5));
            let want = (a as f64 / 2f64.powi(26)).exp();
            worst = worst.max((got - want).abs());
            a -= 1_234_567;
        }
        // The 4th-order Taylor step on [-1/4, 0) is accurate to about (1/8)^5 / 120 = 2.5e-7; the barrel
        // multiplications add a few 2^-31 roundings.
        assert!(worst < 3e-7, "worst abs error {worst}");
        // Monotone non-increasing as the input decreases.
        let mut prev = i32::MAX;
        for k in 0..2000 {
            let v = exp_on_negative_values(-(k << 18), 5);
            assert!(v <= prev, "k={k}");
            prev = v;
        }
        // More than 5 integer bits: clamp below -32.
        assert_eq!(exp_on_negative_values(-(33 << 24), 7), 0);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn reciprocal_matches_float() {
        for x in [0.0f64, 0.1, 0.25, 0.5, 0.75, 0.999] {
            let raw = (x * 2f64.powi(31)).round().min(f64::from(i32::MAX)) as i32;
            let got = q0(one_over_one_plus_x_for_x_in_0_1(raw));
            assert!((got - 1.0 / (1.0 + x)).abs() < 1e-8, "x={x} got={got}");
        }
        // x = 1.25 in Q12.19: scale 0.8, no bits over unit.
        let (s, n) = get_reciprocal(5 << 17, 12);
        assert_eq!(n, 0);
        assert!((q0(s) - 0.8).abs() < 1e-8);
        // x = 10.0 in Q12.19 = 1.25 * 2^3: 1/10 = 0.8 / 2^3.
        let (s, n) = get_reciprocal(10 << 19, 12);
        assert_eq!(n, 3);
        assert!((q0(s) - 0.8).abs() < 1e-8);
        assert_eq!(get_reciprocal(0, 12), (0, 0));
    }
}
