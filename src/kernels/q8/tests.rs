//! Kernel tests against hand-computed values and against an independent naive model: signed index arithmetic with
//! padded taps reading the zero point, `i64` accumulation, and the double rounding written out in `i128`
//! (`floor(v + 1/2)` for the high multiply, half away from zero for the right shift).

use super::*;
use crate::kernels::Window2d;

#[allow(clippy::too_many_arguments)]
fn win(
    in_h: usize,
    in_w: usize,
    in_c: usize,
    out_c: usize,
    k: (usize, usize),
    s: (usize, usize),
    same: bool,
) -> Window2d {
    let (out_h, pad_top) = axis(in_h, k.0, s.0, same);
    let (out_w, pad_left) = axis(in_w, k.1, s.1, same);
    Window2d {
        in_h,
        in_w,
        in_c,
        out_h,
        out_w,
        out_c,
        kernel_h: k.0,
        kernel_w: k.1,
        stride_h: s.0,
        stride_w: s.1,
        pad_top,
        pad_left,
    }
}

/// TFLite SAME / VALID output size and leading pad.
fn axis(input: usize, kernel: usize, stride: usize, same: bool) -> (usize, usize) {
    if same {
        let out = input.div_ceil(stride);
        let total = ((out - 1) * stride + kernel).saturating_sub(input);
        (out, total / 2)
    } else {
        ((input - kernel) / stride + 1, 0)
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn u8(&mut self) -> u8 {
        (self.next() >> 24) as u8
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u8()).collect()
    }
    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next() % (hi - lo + 1) as u64) as i32
    }
}

/// Independent double-rounding requantisation model.
fn requant_model(acc: i64, r: Requantize) -> i64 {
    let acc = acc as i32; // the kernels accumulate in i32 (no overflow in these tests)
    let left = r.shift.max(0) as u32;
    let right = (-r.shift).max(0) as u32;
    let v = (i128::from(acc) << left) * i128::from(r.multiplier);
    let step1 = (v + (1i128 << 30)).div_euclid(1i128 << 31);
    if right == 0 {
        return step1 as i64;
    }
    let d = 1i128 << right;
    let step2 = if step1 >= 0 { (step1 + d / 2).div_euclid(d) } else { -((-step1 + d / 2).div_euclid(d)) };
    step2 as i64
}

fn finish_model(acc: i64, q: &ConvQuant) -> u8 {
    let v = requant_model(acc, q.requant) + i64::from(q.output_zero_point);
    v.max(i64::from(q.act_min)).min(i64::from(q.act_max)) as u8
}

/// Naive conv (`depthwise == false`: OHWI filter) or depthwise (`[kh][kw][c]` filter) with padding as zero point.
fn naive(
    w: &Window2d,
    input: &[u8],
    filter: &[u8],
    bias: &[i32],
    q: &ConvQuant,
    depthwise: bool,
) -> (Vec<u8>, Vec<i64>) {
    let mut out = vec![0u8; w.output_len()];
    let mut accs = vec![0i64; w.output_len()];
    for oy in 0..w.out_h {
        for ox in 0..w.out_w {
            for oc in 0..w.out_c {
                let mut acc: i64 = 0;
                for fy in 0..w.kernel_h {
                    for fx in 0..w.kernel_w {
                        let iy = (oy * w.stride_h + fy) as i64 - w.pad_top as i64;
                        let ix = (ox * w.stride_w + fx) as i64 - w.pad_left as i64;
                        let inside = iy >= 0 && ix >= 0 && iy < w.in_h as i64 && ix < w.in_w as i64;
                        let channels: Vec<usize> = if depthwise { vec![oc] } else { (0..w.in_c).collect() };
                        for ic in channels {
                            let x = if inside {
                                i64::from(input[((iy as usize) * w.in_w + ix as usize) * w.in_c + ic])
                            } else {
                                i64::from(q.input_zero_point)
                            };
                            let f = if depthwise {
                                filter[(fy * w.kernel_w + fx) * w.out_c + oc]
                            } else {
                                filter[((oc * w.kernel_h + fy) * w.kernel_w + fx) * w.in_c + ic]
                            };
                            acc +=
                                (i64::from(f) - i64::from(q.filter_zero_point)) * (x - i64::from(q.input_zero_point));
                        }
                    }
                }
                acc += i64::from(bias[oc]);
                let i = (oy * w.out_w + ox) * w.out_c + oc;
                accs[i] = acc;
                out[i] = finish_model(acc, q);
            }
        }
    }
    (out, accs)
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn conv_hand_computed() {
    // 2x2x1 image, 3x3 kernel, stride 1, pad 1: every output sees all four pixels.
    // Input offsets from zp 128: [[2, -2], [0, 12]]; weights (filter zp 100): 2 at the centre, 1 elsewhere, so
    // acc(y, x) = (2 - 2 + 0 + 12) + v(y, x) = 14, 10, 12, 24; + bias 3 = 17, 13, 15, 27.
    // x 0.25 (0.5 * 0.5 / 1.0 = multiplier 2^30, shift -1) with TFLite's two roundings: the high multiply halves
    // with ties up (8.5 -> 9, 6.5 -> 7, 7.5 -> 8, 13.5 -> 14), the shift halves with ties away from zero
    // (4.5 -> 5, 3.5 -> 4, 4, 7). So 17 * 0.25 = 4.25 comes out as 5, not 4: double rounding, as in TFLite.
    // + output zp 10 = 15, 14, 14, 17; RELU6 at scale 1 clamps to [10, 16] -> 15, 14, 14, 16.
    let w = win(2, 2, 1, 1, (3, 3), (1, 1), true);
    assert_eq!((w.out_h, w.out_w, w.pad_top, w.pad_left), (2, 2, 1, 1));
    let input = [130u8, 126, 128, 140];
    let mut filter = [101u8; 9];
    filter[4] = 102;
    let q = ConvQuant::new(0.5, 128, 0.5, 100, 1.0, 10, Activation::Relu6).unwrap();
    assert_eq!(q.requant, Requantize { multiplier: 1 << 30, shift: -1 });
    assert_eq!((q.act_min, q.act_max), (10, 16));
    let mut out = [0u8; 4];
    conv2d_ref(&w, &input, &filter, &[3], &q, &mut out);
    assert_eq!(out, [15, 14, 14, 16]);
    // Without activation the 17 survives; without bias the values are 14, 10, 12, 24 x 0.25 = 3.5 -> 4, 2.5 -> 3,
    // 3, 6 (exact high multiplies, ties away from zero in the shift), + 10.
    let q = ConvQuant::new(0.5, 128, 0.5, 100, 1.0, 10, Activation::None).unwrap();
    conv2d_ref(&w, &input, &filter, &[3], &q, &mut out);
    assert_eq!(out, [15, 14, 14, 17]);
    conv2d_ref(&w, &input, &filter, &[], &q, &mut out);
    assert_eq!(out, [14, 13, 13, 16]);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn depthwise_hand_computed() {
    // 3x3x2 image, 3x3 kernel, stride 2, SAME: out 2x2, pad 1 (total 2). Channel 0 weights all 1, channel 1 weight 1
    // only at the centre tap. Input offsets (zp 0): channel 0 = 1..=9 row-major, channel 1 = 10 * (1..=9).
    let w = win(3, 3, 2, 2, (3, 3), (2, 2), true);
    assert_eq!((w.out_h, w.out_w, w.pad_top, w.pad_left), (2, 2, 1, 1));
    let mut input = [0u8; 18];
    for i in 0..9 {
        input[2 * i] = (i + 1) as u8;
        input[2 * i + 1] = (10 * (i + 1)) as u8;
    }
    let fzp = 7u8;
    let mut filter = [fzp; 18];
    for t in 0..9 {
        filter[2 * t] = fzp + 1;
    }
    filter[2 * 4 + 1] = fzp + 1;
    // Real multiplier 1: plain sums. Output (0,0) covers pixels (0..2, 0..2): 1+2+4+5 = 12, centre pixel 1 -> 10.
    // (0,1) covers rows 0..2, cols 1..3: 2+3+5+6 = 16; centre (0,2) = 3 -> 30. (1,0): 4+5+7+8 = 24; (2,0) = 7 -> 70.
    // (1,1): 5+6+8+9 = 28; (2,2) = 9 -> 90. Bias +1 / -1.
    let q = ConvQuant::new(1.0, 0, 1.0, i32::from(fzp), 1.0, 0, Activation::None).unwrap();
    let mut out = [0u8; 8];
    depthwise_conv2d_ref(&w, &input, &filter, &[1, -1], &q, &mut out);
    assert_eq!(out, [13, 9, 17, 29, 25, 69, 29, 89]);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn conv_matches_naive_model() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let geometries = [
        (7, 5, 3, 4, (3, 3), (2, 2), true), // odd sizes, stride 2, SAME (pad 1 each side)
        (6, 6, 2, 3, (3, 3), (2, 2), true), // asymmetric SAME padding (0 before, 1 after)
        (5, 7, 4, 5, (3, 3), (1, 1), true),
        (4, 3, 8, 6, (1, 1), (1, 1), true),  // pointwise
        (7, 7, 3, 2, (3, 3), (2, 2), false), // VALID
        (9, 8, 3, 8, (3, 3), (2, 2), true),  // MobileNet's first layer shape class
        (3, 3, 1, 1, (5, 5), (1, 1), true),  // kernel larger than the image
    ];
    for (g, &(h, wd, ic, oc, k, s, same)) in geometries.iter().enumerate() {
        let w = win(h, wd, ic, oc, k, s, same);
        for trial in 0..20 {
            let input = rng.bytes(w.input_len());
            let filter = rng.bytes(oc * k.0 * k.1 * ic);
            let bias: Vec<i32> = (0..oc).map(|_| rng.range(-3000, 3000)).collect();
            let act = [Activation::None, Activation::Relu, Activation::Relu6][trial % 3];
            let in_scale = 0.007_812_5f32 * (1.0 + rng.range(0, 100) as f32 / 50.0);
            let f_scale = 0.001f32 + rng.range(0, 1000) as f32 * 1e-5;
            let out_scale = 0.01f32 + rng.range(0, 1000) as f32 * 1e-4;
            let q = ConvQuant::new(
                in_scale,
                rng.range(0, 255),
                f_scale,
                rng.range(0, 255),
                out_scale,
                rng.range(0, 255),
                act,
            )
            .unwrap();
            let mut got = vec![0u8; w.output_len()];
            conv2d_ref(&w, &input, &filter, &bias, &q, &mut got);
            let (want, accs) = naive(&w, &input, &filter, &bias, &q, false);
            assert_eq!(got, want, "geometry {g} trial {trial}");
            // And the integer result is the correctly rounded real value, within the one-step double rounding slack.
            let real = q.requant.to_real();
            for (i, &acc) in accs.iter().enumerate() {
                let exact = (acc as f64 * real + f64::from(q.output_zero_point))
                    .clamp(f64::from(q.act_min), f64::from(q.act_max));
                assert!((f64::from(got[i]) - exact).abs() <= 1.0, "geometry {g} trial {trial} i {i}");
            }
        }
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn depthwise_matches_naive_model() {
    let mut rng = Rng(0xfeed_face_dead_beef);
    let geometries = [
        (7, 5, 3, (3, 3), (2, 2), true),
        (6, 6, 40, (3, 3), (2, 2), true), // more channels than one accumulator block
        (5, 7, 33, (3, 3), (1, 1), true),
        (8, 8, 64, (3, 3), (2, 2), true),
        (7, 7, 5, (3, 3), (2, 2), false),
        (2, 3, 2, (5, 5), (1, 1), true),
    ];
    for (g, &(h, wd, c, k, s, same)) in geometries.iter().enumerate() {
        let w = win(h, wd, c, c, k, s, same);
        for trial in 0..20 {
            let input = rng.bytes(w.input_len());
            let filter = rng.bytes(k.0 * k.1 * c);
            let bias: Vec<i32> = (0..c).map(|_| rng.range(-20_000, 20_000)).collect();
            let act = [Activation::Relu6, Activation::None, Activation::Relu][trial % 3];
            let q = ConvQuant::new(
                0.02 + rng.range(0, 100) as f32 * 1e-3,
                rng.range(0, 255),
                0.01 + rng.range(0, 100) as f32 * 1e-3,
                rng.range(0, 255),
                0.02 + rng.range(0, 100) as f32 * 1e-3,
                rng.range(0, 255),
                act,
            )
            .unwrap();
            let mut got = vec![0u8; w.output_len()];
            depthwise_conv2d_ref(&w, &input, &filter, &bias, &q, &mut got);
            let (want, _) = naive(&w, &input, &filter, &bias, &q, true);
            assert_eq!(got, want, "geometry {g} trial {trial}");
        }
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn average_pool_rounding_and_clipping() {
    // 3x3 pool, stride 1, SAME on a 3x3x1 image: corners average 4 cells, edges 6, the centre 9.
    let w = win(3, 3, 1, 1, (3, 3), (1, 1), true);
    let input = [1u8, 2, 0, 2, 1, 0, 0, 0, 3];
    let mut out = [0u8; 9];
    average_pool_ref(&w, 0, 255, &input, &mut out);
    // (0,0): 1+2+2+1 = 6 / 4 = 1.5 -> 2. (0,1): 1+2+0+2+1+0 = 6 / 6 = 1. (0,2): 2+0+1+0 = 3 / 4 = 0.75 -> 1.
    // (1,0): 1+2+2+1+0+0 = 6 / 6 = 1. (1,1): 9 / 9 = 1. (1,2): 2+0+1+0+0+3 = 6 / 6 = 1.
    // (2,0): 2+1+0+0 = 3 / 4 -> 1. (2,1): 2+1+0+0+0+3 = 6 / 6 = 1. (2,2): 1+0+0+3 = 4 / 4 = 1.
    assert_eq!(out, [2, 1, 1, 1, 1, 1, 1, 1, 1]);
    // Rounding is (sum + count/2) / count: 1.25 -> 1, 1.5 -> 2, 1.75 -> 2, 2.5 -> 3 (half up).
    let w = win(1, 4, 1, 1, (1, 4), (1, 1), false);
    for (cells, want) in [
        ([1u8, 1, 1, 2], 1u8),
        ([1, 1, 2, 2], 2),
        ([1, 2, 2, 2], 2),
        ([2, 2, 3, 3], 3),
        ([0, 0, 0, 1], 0),
        ([0, 0, 1, 1], 1),
    ] {
        let mut o = [0u8; 1];
        average_pool_ref(&w, 0, 255, &cells, &mut o);
        assert_eq!(o[0], want, "{cells:?}");
    }
    // 3-cell windows: 4/3 -> 1, 5/3 -> 2.
    let w = win(1, 3, 1, 1, (1, 3), (1, 1), false);
    for (cells, want) in [([1u8, 1, 2], 1u8), ([1, 2, 2], 2)] {
        let mut o = [0u8; 1];
        average_pool_ref(&w, 0, 255, &cells, &mut o);
        assert_eq!(o[0], want);
    }
    // MobileNet global pool: 7x7xC VALID, act range clamps.
    let w = win(7, 7, 3, 3, (7, 7), (2, 2), false);
    let mut rng = Rng(42);
    let input = rng.bytes(w.input_len());
    let mut o = [0u8; 3];
    average_pool_ref(&w, 0, 255, &input, &mut o);
    for ch in 0..3 {
        let sum: u32 = (0..49).map(|p| u32::from(input[p * 3 + ch])).sum();
        assert_eq!(u32::from(o[ch]), (sum + 24) / 49);
    }
    average_pool_ref(&w, 130, 131, &input, &mut o);
    assert!(o.iter().all(|&v| v == 130 || v == 131));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn extreme_parameters_do_not_panic() {
    // All-255 input and filter with zero points 0: largest accumulators a 3x3x64 conv can produce.
    let w = win(5, 5, 64, 4, (3, 3), (1, 1), true);
    let input = vec![255u8; w.input_len()];
    let filter = vec![255u8; 4 * 9 * 64];
    let q = ConvQuant::new(1.0, 0, 1.0, 0, 1e-6, 0, Activation::None).unwrap();
    let mut out = vec![0u8; w.output_len()];
    conv2d_ref(&w, &input, &filter, &[i32::MAX, i32::MIN, 0, -1], &q, &mut out);
    // Hand-built inverted range: no panic, just a value.
    let mut bad = q;
    bad.act_min = 200;
    bad.act_max = 100;
    conv2d_ref(&w, &input, &filter, &[], &bad, &mut out);
    let dw = win(5, 5, 3, 3, (3, 3), (2, 2), true);
    let mut out = vec![0u8; dw.output_len()];
    depthwise_conv2d_ref(&dw, &vec![0u8; dw.input_len()], &[255u8; 27], &[], &bad, &mut out);
    // A window entirely in padding (inconsistent geometry) gives the clamped 0.
    let mut pw = win(2, 2, 1, 1, (1, 1), (1, 1), false);
    pw.out_h = 3;
    pw.out_w = 3;
    let mut o = [7u8; 9];
    average_pool_ref(&pw, 5, 255, &[1, 2, 3, 4], &mut o);
    assert_eq!(o[8], 5);
}
