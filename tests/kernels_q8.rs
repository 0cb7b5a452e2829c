//! The packed uint8 kernels (SIMD128 on wasm32, their scalar twins natively) against the scalar reference kernels,
//! byte for byte, over many shapes: channel counts that are not multiples of 4/8/16, tiny and odd spatial sizes,
//! strides 1–3, every padding edge, zero points 0..=255, random and hand-built requantisation (left shifts, large
//! multipliers, accumulators near the `i32` limits through large biases) and NONE/RELU/RELU6 ranges.
//! Run natively (`cargo test`) and in wasm32 (`wasm-pack test --node`, browsers).

use mobilenet_wasm::kernels::q8::{
    conv2d_packed, conv2d_packed_channel_tiles, conv2d_ref, depthwise3x3_packed, depthwise_conv2d_ref, softmax_lut, softmax_ref, ConvQuant,
    OutputStage, PackedConv, PackedDepthwise3x3, GEMM_NR, Requantize, SoftmaxLut, SoftmaxQuant,
};
use mobilenet_wasm::kernels::{Activation, Window2d};

macro_rules! both {
    (fn $name:ident() $body:block) => {
        #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
        #[cfg_attr(not(target_arch = "wasm32"), test)]
        fn $name() $body
    };
}

/// xorshift64*: deterministic, so a failure names a reproducible case.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        // Mostly uniform, sometimes saturated, so the largest products occur.
        let mode = self.below(4);
        (0..n)
            .map(|_| match mode {
                0 => self.pick(&[0, 255]),
                _ => self.next() as u8,
            })
            .collect()
    }
    fn zero_point(&mut self) -> i32 {
        if self.below(3) == 0 {
            self.pick(&[0, 255, 128])
        } else {
            self.below(256) as i32
        }
    }
}

/// Quantisation as a real model has it (`ConvQuant::new` from random scales) or hand-built: any multiplier in
/// `[2^30, 2^31)` (or 0), shifts from -31 to +8, any clamp range inside `0..=255`.
fn random_quant(rng: &mut Rng) -> ConvQuant {
    let (zx, zw, zo) = (rng.zero_point(), rng.zero_point(), rng.zero_point());
    if rng.below(2) == 0 {
        let act = rng.pick(&[Activation::None, Activation::Relu, Activation::Relu6]);
        let scale = |rng: &mut Rng, lo: f32, span: f32| lo * 2f32.powf(span * (rng.below(1000) as f32 / 1000.0));
        let (si, sf) = (scale(rng, 0.002, 6.0), scale(rng, 0.0005, 6.0));
        let so = scale(rng, 0.005, 6.0);
        if let Ok(q) = ConvQuant::new(si, zx, sf, zw, so, zo, act) {
            return q;
        }
    }
    let multiplier = if rng.below(20) == 0 { 0 } else { (1 << 30) + (rng.next() % (1 << 30)) as i32 };
    let shift = rng.pick(&[-31, -20, -12, -9, -8, -7, -5, -1, 0, 1, 3, 8]);
    let a = rng.below(256) as i32;
    let b = rng.below(256) as i32;
    ConvQuant {
        input_zero_point: zx,
        filter_zero_point: zw,
        output_zero_point: zo,
        requant: Requantize { multiplier, shift },
        act_min: a.min(b),
        act_max: a.max(b),
    }
}

fn random_bias(rng: &mut Rng, n: usize) -> Vec<i32> {
    match rng.below(5) {
        0 => Vec::new(),
        // Near the i32 limits: the wrapping sums and the output stage's extremes.
        1 => (0..n).map(|_| rng.pick(&[i32::MIN, i32::MIN + 77, i32::MAX, i32::MAX - 1000, 0])).collect(),
        _ => (0..n).map(|_| (rng.next() % 200_001) as i32 - 100_000).collect(),
    }
}

/// An arbitrary window: any padding up to the kernel size, any output size the reference accepts.
#[allow(clippy::too_many_arguments)]
fn window(
    ih: usize,
    iw: usize,
    ic: usize,
    oc: usize,
    k: usize,
    s: usize,
    pad: (usize, usize),
    out: (usize, usize),
) -> Window2d {
    Window2d {
        in_h: ih,
        in_w: iw,
        in_c: ic,
        out_h: out.0,
        out_w: out.1,
        out_c: oc,
        kernel_h: k,
        kernel_w: k,
        stride_h: s,
        stride_w: s,
        pad_top: pad.0,
        pad_left: pad.1,
    }
}

/// TFLite SAME geometry along one axis: (out, pad_before).
fn same(input: usize, k: usize, s: usize) -> (usize, usize) {
    let out = input.div_ceil(s);
    (out, ((out - 1) * s + k).saturating_sub(input) / 2)
}

fn check_conv(rng: &mut Rng, w: &Window2d, what: &str) {
    let k = w.kernel_h * w.kernel_w * w.in_c;
    let q = random_quant(rng);
    let input = rng.bytes(w.input_len());
    let filter = rng.bytes(w.out_c * k);
    let bias = random_bias(rng, w.out_c);
    let mut want = vec![0u8; w.output_len()];
    conv2d_ref(w, &input, &filter, &bias, &q, &mut want);
    let packed = PackedConv::new(w, &filter, &bias, &q).unwrap_or_else(|| panic!("{what}: packing refused {q:?}"));
    let mut got = vec![0xa5u8; w.output_len()];
    conv2d_packed(w, &packed, &input, &mut got);
    if let Some(i) = (0..want.len()).find(|&i| want[i] != got[i]) {
        panic!("{what}: {w:?} {q:?} bias={}: output {i} is {} not {}", bias.len(), got[i], want[i]);
    }
    if w.out_h * w.out_w == 1 {
        check_channel_tiles(w, &packed, &input, &want, what);
    }
}

/// A one-pixel convolution computed in blocks of channel tiles (how a team splits the classifier), for several
/// partitions of the tiles: each block's bytes are exactly those channels of the reference output.
fn check_channel_tiles(w: &Window2d, packed: &PackedConv, input: &[u8], want: &[u8], what: &str) {
    let units = packed.channel_tiles();
    assert_eq!(units, w.out_c.div_ceil(GEMM_NR));
    let halves = [0, units / 2, units];
    let partitions: [Vec<usize>; 3] = [vec![0, units], (0..=units).collect(), halves.iter().copied().filter(|&u| u > 0).collect()];
    for cuts in partitions {
        let mut got = vec![0xa5u8; w.out_c];
        let mut start = 0;
        for &end in cuts.iter().filter(|&&c| c > 0) {
            let channels = start * GEMM_NR..(end * GEMM_NR).min(w.out_c);
            conv2d_packed_channel_tiles(w, packed, input, start..end, &mut got[channels]);
            start = end;
        }
        assert_eq!(got, want, "{what}: {w:?} in channel-tile blocks cut at {cuts:?}");
    }
}

fn check_depthwise(rng: &mut Rng, w: &Window2d, what: &str) {
    let q = random_quant(rng);
    let input = rng.bytes(w.input_len());
    let filter = rng.bytes(9 * w.out_c);
    let bias = random_bias(rng, w.out_c);
    let mut want = vec![0u8; w.output_len()];
    depthwise_conv2d_ref(w, &input, &filter, &bias, &q, &mut want);
    let packed = PackedDepthwise3x3::new(w, &filter, &bias, &q).unwrap_or_else(|| panic!("{what}: refused {q:?}"));
    let mut got = vec![0xa5u8; w.output_len()];
    depthwise3x3_packed(w, &packed, &input, &mut got);
    if let Some(i) = (0..want.len()).find(|&i| want[i] != got[i]) {
        panic!("{what}: {w:?} {q:?} bias={}: output {i} is {} not {}", bias.len(), got[i], want[i]);
    }
}

const ODD_CHANNELS: &[usize] = &[1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31, 33, 40];

both! {
    fn pointwise_matches_reference_over_shapes() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut cases = 0;
        for &(h, wd) in &[(1, 1), (1, 2), (2, 2), (1, 3), (3, 3), (1, 5), (7, 7), (2, 9)] {
            for &ic in ODD_CHANNELS {
                for &oc in &[1, 3, 5, 8, 9, 16, 17, 33] {
                    let w = window(h, wd, ic, oc, 1, 1, (0, 0), (h, wd));
                    check_conv(&mut rng, &w, "pointwise");
                    cases += 1;
                }
            }
        }
        assert_eq!(cases, 8 * ODD_CHANNELS.len() * 8);
    }
}

both! {
    fn pointwise_long_reductions_and_mobilenet_shapes() {
        let mut rng = Rng(0x1234_5678);
        // k past one SIMD chunk with every remainder mod 8, up to MobileNet's 1024 and beyond.
        for &ic in &[63, 64, 65, 66, 67, 68, 69, 70, 71, 255, 256, 1024, 1027] {
            for &oc in &[7, 8, 24] {
                check_conv(&mut rng, &window(2, 3, ic, oc, 1, 1, (0, 0), (2, 3)), "pointwise long k");
            }
        }
        // Real layer shapes (α = 0.25 / 0.75, small spatial sizes) and the classifier over the pooled vector.
        for &(hw, ic, oc) in &[(8, 8, 16), (4, 48, 96), (2, 192, 192), (1, 256, 1001), (1, 1024, 1001)] {
            check_conv(&mut rng, &window(hw, hw, ic, oc, 1, 1, (0, 0), (hw, hw)), "pointwise mobilenet");
        }
        // Long enough for the 3-pixel tile, with every pixel remainder.
        for pixels in 1..=7 {
            check_conv(&mut rng, &window(1, pixels, 512, 17, 1, 1, (0, 0), (1, pixels)), "pointwise 3-row tiles");
        }
    }
}

both! {
    fn stem_and_general_convolutions_match_reference() {
        let mut rng = Rng(0xdead_beef_cafe);
        let mut cases = 0;
        for &size in &[1, 2, 3, 4, 5, 7, 8, 9] {
            for &ic in &[1, 3, 4, 5] {
                for &oc in &[1, 5, 8, 16, 17, 32] {
                    for &(k, s) in &[(3, 2), (3, 1), (1, 2), (2, 2), (3, 3)] {
                        let (oh, pt) = same(size, k, s);
                        let w = window(size, size + 1, ic, oc, k, s, (pt, same(size + 1, k, s).1), (oh, same(size + 1, k, s).0));
                        check_conv(&mut rng, &w, "conv SAME");
                        if size >= k {
                            let valid = (size - k) / s + 1;
                            let w = window(size, size, ic, oc, k, s, (0, 0), (valid, valid));
                            check_conv(&mut rng, &w, "conv VALID");
                        }
                        cases += 1;
                    }
                }
            }
        }
        assert_eq!(cases, 8 * 4 * 6 * 5);
        // The real stem: 3×3/2 SAME over 224×224×3 → 112×112×32, and the 0.25/128 one.
        for &(size, oc) in &[(224, 32), (128, 8)] {
            let (o, p) = same(size, 3, 2);
            check_conv(&mut rng, &window(size, size, 3, oc, 3, 2, (p, p), (o, o)), "stem");
        }
    }
}

both! {
    fn depthwise_matches_reference_over_shapes() {
        let mut rng = Rng(0x0bad_5eed);
        let mut cases = 0;
        for &size in &[1, 2, 3, 4, 5, 7, 8] {
            for &c in ODD_CHANNELS {
                for &s in &[1, 2, 3] {
                    let (oh, pt) = same(size, 3, s);
                    let (ow, pl) = same(size + 2, 3, s);
                    check_depthwise(&mut rng, &window(size, size + 2, c, c, 3, s, (pt, pl), (oh, ow)), "depthwise SAME");
                    if size >= 3 {
                        let o = (size - 3) / s + 1;
                        check_depthwise(&mut rng, &window(size, size, c, c, 3, s, (0, 0), (o, o)), "depthwise VALID");
                    }
                    cases += 1;
                }
            }
        }
        assert_eq!(cases, 7 * ODD_CHANNELS.len() * 3);
    }
}

both! {
    fn depthwise_every_padding_edge() {
        // Every top/left padding 0..=2 with output sizes reaching past the bottom/right edge (whole rows and
        // columns of taps outside the image, as in row blocks split off for threads).
        let mut rng = Rng(0x5151_5151);
        for pad_top in 0..=2 {
            for pad_left in 0..=2 {
                for &s in &[1, 2] {
                    for &(ih, iw) in &[(1, 1), (2, 3), (5, 4), (6, 9)] {
                        for &c in &[3, 8, 16, 21, 32] {
                            let oh = (ih + pad_top + 1) / s + 1;
                            let ow = (iw + pad_left + 1) / s + 1;
                            let w = window(ih, iw, c, c, 3, s, (pad_top, pad_left), (oh, ow));
                            check_depthwise(&mut rng, &w, "depthwise padding");
                        }
                    }
                }
            }
        }
        // MobileNet layer shapes.
        for &(size, c, s) in &[(56, 64, 2), (28, 24, 1), (14, 48, 2), (7, 256, 1), (4, 1024, 1), (16, 8, 1)] {
            let (o, p) = same(size, 3, s);
            check_depthwise(&mut rng, &window(size, size, c, c, 3, s, (p, p), (o, o)), "depthwise mobilenet");
        }
    }
}

both! {
    fn output_stage_matches_conv_quant_finish() {
        let mut rng = Rng(77);
        for _ in 0..2000 {
            let q = random_quant(&mut rng);
            let stage = OutputStage::new(&q).expect("valid parameters are accepted");
            for _ in 0..50 {
                let acc = match rng.below(4) {
                    0 => rng.pick(&[i32::MIN, i32::MIN + 1, -1, 0, 1, i32::MAX - 1, i32::MAX]),
                    1 => (rng.next() % 2001) as i32 - 1000,
                    _ => rng.next() as i32,
                };
                assert_eq!(stage.apply(acc), q.finish(acc, 0), "{q:?} acc={acc}");
            }
        }
    }
}

both! {
    fn packing_refuses_what_it_cannot_reproduce() {
        let w = window(2, 2, 3, 4, 1, 1, (0, 0), (2, 2));
        let base = ConvQuant::new(0.01, 3, 0.02, 4, 0.05, 5, Activation::Relu6).unwrap();
        let (filter, bias) = (vec![7u8; 12], vec![1i32; 4]);
        assert!(PackedConv::new(&w, &filter, &bias, &base).is_some());
        let saturating = ConvQuant { requant: Requantize { multiplier: i32::MIN, shift: 0 }, ..base };
        let huge_shift = ConvQuant { requant: Requantize { multiplier: 1 << 30, shift: 40 }, ..base };
        let inverted = ConvQuant { act_min: 200, act_max: 100, ..base };
        for q in [saturating, huge_shift, inverted] {
            assert!(OutputStage::new(&q).is_none(), "{q:?}");
            assert!(PackedConv::new(&w, &filter, &bias, &q).is_none(), "{q:?}");
        }
        // Sizes that disagree with the window.
        assert!(PackedConv::new(&w, &filter[..11], &bias, &base).is_none());
        assert!(PackedConv::new(&w, &filter, &bias[..3], &base).is_none());
        let dw = window(3, 3, 4, 4, 3, 1, (1, 1), (3, 3));
        assert!(PackedDepthwise3x3::new(&dw, &[1u8; 36], &[], &base).is_some());
        assert!(PackedDepthwise3x3::new(&dw, &[1u8; 35], &[], &base).is_none());
        assert!(PackedDepthwise3x3::new(&window(3, 3, 4, 4, 2, 1, (0, 0), (2, 2)), &[1u8; 16], &[], &base).is_none());
    }
}

both! {
    fn softmax_table_matches_reference() {
        let mut rng = Rng(0x50f7_3a11);
        let mut cases = 0;
        // Logit scales from tiny (every difference inside the radius) to large (most cut off by diff_min).
        for &scale in &[0.001f64, 0.0235, 0.0986, 0.17, 0.5, 1.0, 4.0] {
            for &beta in &[1.0f64, 0.5, 2.0] {
                let q = SoftmaxQuant::new(beta, scale);
                let lut = SoftmaxLut::new(&q);
                for &len in &[1usize, 2, 7, 256, 1001] {
                    let input = rng.bytes(len);
                    let (mut want, mut got) = (vec![0u8; len], vec![0xa5u8; len]);
                    softmax_ref(&q, &input, &mut want);
                    softmax_lut(&lut, &input, &mut got);
                    assert_eq!(got, want, "scale {scale} beta {beta} len {len}");
                    cases += 1;
                }
            }
        }
        assert_eq!(cases, 7 * 3 * 5);
        // Empty rows are a no-op for both.
        let q = SoftmaxQuant::new(1.0, 0.1);
        softmax_lut(&SoftmaxLut::new(&q), &[], &mut []);
    }
}
