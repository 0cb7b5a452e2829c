//! The float SIMD128 kernels against their scalar references over many odd shapes: channels 1, 3, 5, 17, 33…,
//! spatial sizes 1, 2, 3, 7 and odd, both strides, SAME and VALID padding, ReLU6 / ReLU / no activation.
//!
//! Every output must be within 1e-5 of the reference relative to the magnitude of its sum (Σ|input·weight| +
//! |bias|). The plain SIMD128 build keeps the reference's order of additions, so there it must also be
//! bit-identical; the relaxed-SIMD build fuses multiply-adds and is held to the tolerance only.
//! Native builds have no SIMD kernels: they check the weight packing the kernels rely on.

use mobilenet_wasm::kernels::f32::{PackedGemm, PANEL_WIDTH};
#[cfg(target_arch = "wasm32")]
use mobilenet_wasm::kernels::{f32::*, Window2d};

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn packing_puts_each_output_channel_in_its_panel_lane() {
    // 10 output channels × k = 3: weight (oc, kk) = 100·oc + kk, bias oc + 0.5.
    let (n, k) = (10, 3);
    let filter: Vec<f32> = (0..n * k).map(|i| (100 * (i / k) + i % k) as f32).collect();
    let bias: Vec<f32> = (0..n).map(|oc| oc as f32 + 0.5).collect();
    let p = PackedGemm::from_ohwi(&filter, &bias, n, k).expect("sizes agree");
    assert_eq!((p.k(), p.n(), p.panel_count(), p.pair_count()), (3, 10, 2, 1));
    // Panels 0 and 1 stored as one pair: k rows of 16 (channels 0..8, then 8, 9 and zero padding).
    let pair = p.pair(0);
    assert_eq!(pair.len(), 3 * 2 * PANEL_WIDTH);
    assert_eq!(&pair[..8], &[0.0, 100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0]);
    assert_eq!(&pair[8..16], &[800.0, 900.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(&pair[32..40], &[2.0, 102.0, 202.0, 302.0, 402.0, 502.0, 602.0, 702.0]);
    assert!(p.odd_panel().is_none());
    assert_eq!(p.panel_bias(1), &[8.5, 9.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    // Three panels: a pair, then the odd one alone (k rows of 8).
    let n3 = 17;
    let filter3: Vec<f32> = (0..n3 * k).map(|i| (100 * (i / k) + i % k) as f32).collect();
    let p3 = PackedGemm::from_ohwi(&filter3, &[], n3, k).unwrap();
    assert_eq!((p3.panel_count(), p3.pair_count()), (3, 1));
    assert_eq!(&p3.odd_panel().unwrap()[PANEL_WIDTH..2 * PANEL_WIDTH], &[1601.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    for oc in 0..n3 {
        for kk in 0..k {
            assert_eq!(p3.weight(kk, oc), filter3[oc * k + kk], "({kk}, {oc})");
        }
    }
    // No bias = zeros; inconsistent sizes are refused.
    assert_eq!(PackedGemm::from_ohwi(&filter, &[], n, k).unwrap().panel_bias(0), &[0.0; 8]);
    assert!(PackedGemm::from_ohwi(&filter, &bias, n, k + 1).is_none());
    assert!(PackedGemm::from_ohwi(&filter, &bias[1..], n, k).is_none());
    assert!(PackedGemm::from_ohwi(&[], &[], 0, 0).is_none());
}

#[cfg(target_arch = "wasm32")]
mod simd {
    use super::*;

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
        fn vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
            (0..n).map(|_| self.f() * scale).collect()
        }
    }

    /// A window with TFLite SAME or VALID geometry.
    fn win(h: usize, w: usize, in_c: usize, out_c: usize, k: usize, s: usize, same: bool) -> Option<Window2d> {
        let axis = |input: usize| {
            if same {
                let out = input.div_ceil(s);
                Some((out, ((out - 1) * s + k).saturating_sub(input) / 2))
            } else {
                input.checked_sub(k).map(|d| (d / s + 1, 0))
            }
        };
        let ((out_h, pad_top), (out_w, pad_left)) = (axis(h)?, axis(w)?);
        Some(Window2d {
            in_h: h,
            in_w: w,
            in_c,
            out_h,
            out_w,
            out_c,
            kernel_h: k,
            kernel_w: k,
            stride_h: s,
            stride_w: s,
            pad_top,
            pad_left,
        })
    }

    const ACTIVATIONS: [(f32, f32); 3] = [(f32::NEG_INFINITY, f32::INFINITY), (0.0, 6.0), (0.0, f32::INFINITY)];

    /// Σ|input·weight| + |bias| per output, in f64: the scale the tolerance is relative to.
    fn magnitudes(w: &Window2d, input: &[f32], filter: &[f32], bias: &[f32], depthwise: bool) -> Vec<f64> {
        let abs_input: Vec<f32> = input.iter().map(|v| v.abs()).collect();
        let abs_filter: Vec<f32> = filter.iter().map(|v| v.abs()).collect();
        let abs_bias: Vec<f32> = bias.iter().map(|v| v.abs()).collect();
        let mut out = vec![0f32; w.output_len()];
        let (lo, hi) = (f32::NEG_INFINITY, f32::INFINITY);
        if depthwise {
            depthwise_conv2d_ref(w, &abs_input, &abs_filter, &abs_bias, lo, hi, &mut out);
        } else {
            conv2d_ref(w, &abs_input, &abs_filter, &abs_bias, lo, hi, &mut out);
        }
        out.iter().map(|&v| f64::from(v) * (1.0 + 1e-5) + 1e-30).collect()
    }

    /// `got` equals `want` bit for bit (plain SIMD128 build) and is within 1e-5·magnitude (every build).
    fn check(what: &str, got: &[f32], want: &[f32], magnitude: &[f64]) {
        assert_eq!(got.len(), want.len());
        for (i, ((&g, &r), &m)) in got.iter().zip(want).zip(magnitude).enumerate() {
            let err = (f64::from(g) - f64::from(r)).abs();
            assert!(err <= 1e-5 * m, "{what}: output {i}: simd {g} vs reference {r} (|Δ| {err:e}, scale {m:e})");
            #[cfg(not(target_feature = "relaxed-simd"))]
            assert_eq!(g.to_bits(), r.to_bits(), "{what}: output {i}: simd {g} vs reference {r} not bit-identical");
        }
    }

    /// Run the SIMD convs for `w` (the pointwise GEMM when it applies, and the general conv) and the reference.
    fn conv_case(rng: &mut Rng, w: &Window2d, act: (f32, f32)) {
        let k = w.kernel_h * w.kernel_w * w.in_c;
        let input = rng.vec(w.input_len(), 4.0);
        let filter = rng.vec(w.out_c * k, 1.0);
        let bias = rng.vec(w.out_c, 2.0);
        let packed = PackedGemm::from_ohwi(&filter, &bias, w.out_c, k).unwrap();
        let mut want = vec![0f32; w.output_len()];
        conv2d_ref(w, &input, &filter, &bias, act.0, act.1, &mut want);
        // Poison the output so a skipped element cannot pass.
        let mut got = vec![f32::NAN; w.output_len()];
        if is_pointwise(w) {
            pointwise_conv2d_simd128(w, &input, &packed, act.0, act.1, &mut got);
        }
        let mut got_conv = vec![f32::NAN; w.output_len()];
        assert!(conv2d_simd128_supported(w), "{w:?}");
        conv2d_simd128(w, &input, &packed, act.0, act.1, &mut got_conv);
        let mag = magnitudes(w, &input, &filter, &bias, false);
        if is_pointwise(w) {
            check(&format!("pointwise {w:?} act {act:?}"), &got, &want, &mag);
        }
        if is_pointwise(w) && w.out_h * w.out_w == 1 {
            // The classifier as a team computes it: blocks of 16-channel units, for several partitions.
            let units = packed.channel_units();
            assert_eq!(units, w.out_c.div_ceil(2 * PANEL_WIDTH));
            for cuts in [vec![units], (1..=units).collect(), vec![units / 2, units]] {
                let mut got_units = vec![f32::NAN; w.out_c];
                let mut start = 0;
                for &end in cuts.iter().filter(|&&c| c > 0) {
                    let channels = start * 2 * PANEL_WIDTH..(end * 2 * PANEL_WIDTH).min(w.out_c);
                    pointwise_channel_units_simd128(w, &input, &packed, act.0, act.1, start..end, &mut got_units[channels]);
                    start = end;
                }
                check(&format!("pointwise units cut at {cuts:?} {w:?}"), &got_units, &want, &mag);
            }
        }
        check(&format!("conv {w:?} act {act:?}"), &got_conv, &want, &mag);
    }

    #[wasm_bindgen_test::wasm_bindgen_test]
    fn pointwise_matches_reference_over_odd_shapes() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut cases = 0;
        for &(h, wd) in &[(1, 1), (1, 2), (2, 3), (3, 3), (1, 5), (7, 7), (9, 13)] {
            for &in_c in &[1, 3, 5, 17, 33, 64] {
                for &out_c in &[1, 3, 5, 8, 9, 17, 33] {
                    let act = ACTIVATIONS[cases % 3];
                    conv_case(&mut rng, &win(h, wd, in_c, out_c, 1, 1, true).unwrap(), act);
                    cases += 1;
                }
            }
        }
        assert_eq!(cases, 7 * 6 * 7);
        // MobileNet-sized: many row blocks and panels, the classifier's single row with a ragged last panel.
        conv_case(&mut rng, &win(28, 28, 128, 256, 1, 1, true).unwrap(), ACTIVATIONS[1]);
        conv_case(&mut rng, &win(1, 1, 1024, 1001, 1, 1, true).unwrap(), ACTIVATIONS[0]);
        conv_case(&mut rng, &win(1, 1, 64, 1000, 1, 1, true).unwrap(), ACTIVATIONS[2]);
    }

    #[wasm_bindgen_test::wasm_bindgen_test]
    fn conv_matches_reference_over_odd_shapes() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut cases = 0;
        for &(k, s) in &[(3, 2), (3, 1), (1, 2), (5, 1), (2, 2)] {
            for &same in &[true, false] {
                for &(h, wd) in &[(1, 1), (2, 2), (3, 3), (2, 7), (7, 7), (8, 8), (11, 6)] {
                    for &(in_c, out_c) in &[(1, 1), (3, 8), (3, 5), (5, 17), (3, 32), (2, 33)] {
                        let Some(w) = win(h, wd, in_c, out_c, k, s, same) else { continue };
                        conv_case(&mut rng, &w, ACTIVATIONS[cases % 3]);
                        cases += 1;
                    }
                }
            }
        }
        assert!(cases > 300, "{cases} cases");
        // The MobileNet stem at 224 (interior rows read in place, border pixels im2col'd), and at an odd size.
        conv_case(&mut rng, &win(224, 224, 3, 32, 3, 2, true).unwrap(), ACTIVATIONS[1]);
        conv_case(&mut rng, &win(67, 45, 3, 8, 3, 2, true).unwrap(), ACTIVATIONS[1]);
    }

    fn depthwise_case(rng: &mut Rng, w: &Window2d, act: (f32, f32)) {
        let c = w.out_c;
        let input = rng.vec(w.input_len(), 4.0);
        let filter = rng.vec(w.kernel_h * w.kernel_w * c, 1.0);
        let bias = rng.vec(c, 2.0);
        let mut want = vec![0f32; w.output_len()];
        depthwise_conv2d_ref(w, &input, &filter, &bias, act.0, act.1, &mut want);
        let mut got = vec![f32::NAN; w.output_len()];
        depthwise_conv2d_simd128(w, &input, &filter, &bias, act.0, act.1, &mut got);
        let mag = magnitudes(w, &input, &filter, &bias, true);
        check(&format!("depthwise {w:?} act {act:?}"), &got, &want, &mag);
    }

    #[wasm_bindgen_test::wasm_bindgen_test]
    fn depthwise_matches_reference_over_odd_shapes() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        let mut cases = 0;
        for &(k, s) in &[(3, 1), (3, 2), (5, 1), (1, 1)] {
            for &same in &[true, false] {
                for &(h, wd) in &[(1, 1), (1, 3), (2, 2), (3, 3), (3, 7), (7, 7), (8, 8), (5, 12), (13, 9)] {
                    for &c in &[1, 3, 4, 5, 8, 17, 33] {
                        let Some(w) = win(h, wd, c, c, k, s, same) else { continue };
                        depthwise_case(&mut rng, &w, ACTIVATIONS[cases % 3]);
                        cases += 1;
                    }
                }
            }
        }
        assert!(cases > 400, "{cases} cases");
        // MobileNet-sized layers, and wide odd ones (wide layers walk rows pixel by pixel).
        depthwise_case(&mut rng, &win(112, 112, 32, 32, 3, 1, true).unwrap(), ACTIVATIONS[1]);
        depthwise_case(&mut rng, &win(14, 14, 512, 512, 3, 2, true).unwrap(), ACTIVATIONS[1]);
        for &(h, wd, c, s, same) in &[(7, 7, 1024, 1, true), (5, 3, 259, 1, true), (6, 9, 301, 2, true), (4, 5, 257, 1, false)] {
            depthwise_case(&mut rng, &win(h, wd, c, c, 3, s, same).unwrap(), ACTIVATIONS[1]);
            depthwise_case(&mut rng, &win(h, wd, c, c, 3, s, same).unwrap(), ACTIVATIONS[0]);
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test]
    fn gemm_honours_row_strides() {
        // 5 rows of k = 6 inside rows of 9, into rows of 11 holding n = 10: the gaps must stay untouched.
        let mut rng = Rng(42);
        let (m, k, n, lda, ldc) = (5, 6, 10, 9, 11);
        let a = rng.vec(m * lda, 3.0);
        let filter = rng.vec(n * k, 1.0);
        let bias = rng.vec(n, 1.0);
        let packed = PackedGemm::from_ohwi(&filter, &bias, n, k).unwrap();
        let mut c = vec![-7.0f32; m * ldc];
        gemm_simd128(m, &a, lda, &packed, -0.5, 0.5, &mut c, ldc);
        for i in 0..m {
            for j in 0..ldc {
                let got = c[i * ldc + j];
                if j >= n {
                    assert_eq!(got, -7.0, "gap ({i}, {j}) written");
                    continue;
                }
                let mut total = 0f32;
                for kk in 0..k {
                    total += a[i * lda + kk] * filter[j * k + kk];
                }
                let want = (total + bias[j]).clamp(-0.5, 0.5);
                assert!((got - want).abs() <= 1e-5 * (1.0 + want.abs()), "({i}, {j}): {got} vs {want}");
            }
        }
    }
}
