//! float kernel tests: bit-identity with a naive transcription of TFLite's loop order (signed indices, out-of-image
//! taps skipped), closeness to an `f64` computation, hand-computed pools, and softmax properties.

use super::*;
use crate::kernels::Window2d;

fn win(
    in_h: usize,
    in_w: usize,
    in_c: usize,
    out_c: usize,
    k: (usize, usize),
    s: (usize, usize),
    same: bool,
) -> Window2d {
    let axis = |input: usize, kernel: usize, stride: usize| {
        if same {
            let out = input.div_ceil(stride);
            (out, ((out - 1) * stride + kernel).saturating_sub(input) / 2)
        } else {
            ((input - kernel) / stride + 1, 0)
        }
    };
    let (out_h, pad_top) = axis(in_h, k.0, s.0);
    let (out_w, pad_left) = axis(in_w, k.1, s.1);
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

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in [-1, 1).
    fn f(&mut self) -> f32 {
        ((self.next() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    fn vec(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.f()).collect()
    }
}

/// Naive TFLite-order conv / depthwise in f32 plus the same sums in f64.
fn naive(
    w: &Window2d,
    input: &[f32],
    filter: &[f32],
    bias: &[f32],
    lo: f32,
    hi: f32,
    depthwise: bool,
) -> (Vec<f32>, Vec<f64>) {
    let mut out = vec![0f32; w.output_len()];
    let mut out64 = vec![0f64; w.output_len()];
    for oy in 0..w.out_h {
        for ox in 0..w.out_w {
            for oc in 0..w.out_c {
                let mut total = 0f32;
                let mut total64 = 0f64;
                for fy in 0..w.kernel_h {
                    let iy = (oy * w.stride_h + fy) as i64 - w.pad_top as i64;
                    for fx in 0..w.kernel_w {
                        let ix = (ox * w.stride_w + fx) as i64 - w.pad_left as i64;
                        if iy < 0 || ix < 0 || iy >= w.in_h as i64 || ix >= w.in_w as i64 {
                            continue;
                        }
                        let base = ((iy as usize) * w.in_w + ix as usize) * w.in_c;
                        if depthwise {
                            let (x, f) = (input[base + oc], filter[(fy * w.kernel_w + fx) * w.out_c + oc]);
                            total += x * f;
                            total64 += f64::from(x) * f64::from(f);
                        } else {
                            for ic in 0..w.in_c {
                                let (x, f) = (
                                    input[base + ic],
                                    filter[((oc * w.kernel_h + fy) * w.kernel_w + fx) * w.in_c + ic],
                                );
                                total += x * f;
                                total64 += f64::from(x) * f64::from(f);
                            }
                        }
                    }
                }
                let i = (oy * w.out_w + ox) * w.out_c + oc;
                out[i] = (total + bias[oc]).max(lo).min(hi);
                out64[i] = (total64 + f64::from(bias[oc])).max(f64::from(lo)).min(f64::from(hi));
            }
        }
    }
    (out, out64)
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn clamp_follows_cpp_min_max() {
    assert_eq!(activation_with_min_max(7.0, 0.0, 6.0), 6.0);
    assert_eq!(activation_with_min_max(-1.0, 0.0, 6.0), 0.0);
    assert_eq!(activation_with_min_max(3.5, 0.0, 6.0), 3.5);
    assert_eq!(activation_with_min_max(1e30, f32::MIN, f32::MAX), 1e30);
    assert_eq!(activation_with_min_max(f32::INFINITY, 0.0, f32::INFINITY), f32::INFINITY);
    assert!(activation_with_min_max(f32::NAN, 0.0, 6.0).is_nan());
    // -0.0 is not < 0.0: kept, as std::max(-0.0f, 0.0f) keeps its first argument.
    assert!(activation_with_min_max(-0.0, 0.0, 6.0).is_sign_negative());
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn conv_hand_computed() {
    // 2x2x1 image [[1, 2], [3, 4]], 3x3 kernel of ones with 2 at the centre, pad 1: out(y, x) = 10 + v(y, x).
    let w = win(2, 2, 1, 1, (3, 3), (1, 1), true);
    let mut filter = [1f32; 9];
    filter[4] = 2.0;
    let mut out = [0f32; 4];
    conv2d_ref(&w, &[1.0, 2.0, 3.0, 4.0], &filter, &[0.5], f32::MIN, f32::MAX, &mut out);
    assert_eq!(out, [11.5, 12.5, 13.5, 14.5]);
    conv2d_ref(&w, &[1.0, 2.0, 3.0, 4.0], &filter, &[0.5], 0.0, 13.0, &mut out);
    assert_eq!(out, [11.5, 12.5, 13.0, 13.0]);
    conv2d_ref(&w, &[1.0, 2.0, 3.0, 4.0], &filter, &[], f32::MIN, f32::MAX, &mut out);
    assert_eq!(out, [11.0, 12.0, 13.0, 14.0]);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn conv_and_depthwise_match_naive_bit_for_bit() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let geometries = [
        (7, 5, 3, 4, (3, 3), (2, 2), true),
        (6, 6, 2, 3, (3, 3), (2, 2), true),
        (5, 7, 4, 5, (3, 3), (1, 1), true),
        (4, 3, 16, 6, (1, 1), (1, 1), true),
        (7, 7, 3, 2, (3, 3), (2, 2), false),
        (3, 3, 2, 1, (5, 5), (1, 1), true),
    ];
    for (g, &(h, wd, ic, oc, k, s, same)) in geometries.iter().enumerate() {
        let w = win(h, wd, ic, oc, k, s, same);
        for trial in 0..10 {
            let (lo, hi) = [(f32::MIN, f32::MAX), (0.0, f32::INFINITY), (0.0, 6.0)][trial % 3];
            let input: Vec<f32> = rng.vec(w.input_len()).iter().map(|v| v * 8.0).collect();
            let filter = rng.vec(oc * k.0 * k.1 * ic);
            let bias = rng.vec(oc);
            let mut got = vec![0f32; w.output_len()];
            conv2d_ref(&w, &input, &filter, &bias, lo, hi, &mut got);
            let (want, want64) = naive(&w, &input, &filter, &bias, lo, hi, false);
            assert_eq!(
                got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "conv geometry {g}"
            );
            for (a, b) in got.iter().zip(&want64) {
                assert!((f64::from(*a) - b).abs() <= 1e-4 * (1.0 + b.abs()), "conv geometry {g}: {a} vs {b}");
            }

            // Depthwise on the same geometry with in_c channels.
            let dw = win(h, wd, ic, ic, k, s, same);
            let filter = rng.vec(k.0 * k.1 * ic);
            let bias = rng.vec(ic);
            let mut got = vec![0f32; dw.output_len()];
            depthwise_conv2d_ref(&dw, &input, &filter, &bias, lo, hi, &mut got);
            let (want, want64) = naive(&dw, &input, &filter, &bias, lo, hi, true);
            assert_eq!(
                got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "dw geometry {g}"
            );
            for (a, b) in got.iter().zip(&want64) {
                assert!((f64::from(*a) - b).abs() <= 1e-4 * (1.0 + b.abs()), "dw geometry {g}: {a} vs {b}");
            }
        }
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn average_pool_clips_window() {
    // 3x3 pool, stride 1, SAME on 3x3x1: corners average 4 cells, edges 6, centre 9.
    let w = win(3, 3, 1, 1, (3, 3), (1, 1), true);
    let input = [1f32, 2.0, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 3.0];
    let mut out = [0f32; 9];
    average_pool_ref(&w, f32::MIN, f32::MAX, &input, &mut out);
    assert_eq!(out, [1.5, 1.0, 0.75, 1.0, 1.0, 1.0, 0.75, 1.0, 1.0]);
    average_pool_ref(&w, 0.8, 1.2, &input, &mut out);
    assert_eq!(out, [1.2, 1.0, 0.8, 1.0, 1.0, 1.0, 0.8, 1.0, 1.0]);
    // Global 7x7 pool: float total / 49.0 in row-major order.
    let w = win(7, 7, 2, 2, (7, 7), (2, 2), false);
    let mut rng = Rng(7);
    let input = rng.vec(w.input_len());
    let mut o = [0f32; 2];
    average_pool_ref(&w, f32::MIN, f32::MAX, &input, &mut o);
    for ch in 0..2 {
        let mut total = 0f32;
        for p in 0..49 {
            total += input[p * 2 + ch];
        }
        assert_eq!(o[ch].to_bits(), (total / 49.0).to_bits());
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn softmax_sums_to_one() {
    let mut rng = Rng(99);
    for n in [1usize, 2, 10, 1001] {
        for beta in [1.0f32, 0.5, 2.0] {
            let input: Vec<f32> = rng.vec(n).iter().map(|v| v * 10.0).collect();
            let mut out = vec![0f32; n];
            softmax_ref(beta, &input, &mut out);
            let sum: f64 = out.iter().map(|&v| f64::from(v)).sum();
            assert!((sum - 1.0).abs() < 1e-6, "n={n} beta={beta} sum={sum}");
            // Against f64.
            let max = input.iter().fold(f64::MIN, |m, &v| m.max(f64::from(v)));
            let e: Vec<f64> = input.iter().map(|&v| ((f64::from(v) - max) * f64::from(beta)).exp()).collect();
            let s: f64 = e.iter().sum();
            for (a, b) in out.iter().zip(&e) {
                assert!((f64::from(*a) - b / s).abs() < 1e-6);
            }
            // Monotonic.
            for i in 0..n {
                for j in 0..n.min(50) {
                    if input[i] < input[j] {
                        assert!(out[i] <= out[j]);
                    }
                }
            }
        }
    }
    let mut out = [0f32; 4];
    softmax_ref(1.0, &[3.0; 4], &mut out);
    assert_eq!(out, [0.25; 4]);
    softmax_ref(1.0, &[], &mut []);
}
