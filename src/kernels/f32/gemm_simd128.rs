//! The float GEMM under every convolution, and the pointwise (1×1) convolution that is nothing but that GEMM.
//!
//! `out[i][j] = clamp(Σ_k a[i][k]·w[k][j] + bias[j])`: rows `i` are pixels, `j` output channels, `w` a
//! [`PackedGemm`]. The micro-kernel holds a tile of sums in registers and per reduction step loads each panel's 8
//! weights once and broadcasts one input value per row (`v128.load32_splat`). The main tile is 2 rows × 2 panels
//! (16 columns): V8 issues all of a step's loads before its arithmetic and gives wasm 15 vector registers on x64,
//! so 8 accumulators + 4 weight vectors + 2 broadcasts + 1 product is the most that fits, and of the tiles that fit
//! it needs the fewest loads and address updates per multiply-add (measured ~5 % ahead of 4 × 8). An odd last panel
//! runs 4 rows × 1 panel. Bias and clamp are fused into the store.
//!
//! Order of arithmetic: each sum starts at +0 and adds its products in `k` order, then adds the bias, exactly as
//! TFLite's reference `Conv` does, so the plain SIMD128 build is bit-identical to
//! [`conv2d_ref`](super::conv2d_ref) (the relaxed build fuses the multiply-add: see [`simd`](super::simd)).
//!
//! Blocking: rows are processed in blocks whose input (`rows × k` floats) stays in L2 while every panel sweeps over
//! them, and each panel pair (`k × 16` floats, ≤ 32 KiB for `k` ≤ 512) stays in L1 (or close, in L2) across the
//! block's tiles.

use super::packing::{PackedGemm, PANEL_WIDTH};
use super::simd::{clamp, load, load_splat, madd, store, store_partial};
use crate::kernels::Window2d;
use core::arch::wasm32::*;
use core::ops::Range;

/// Rows per tile on a lone last panel (and the granularity of row blocks).
const MR: usize = 4;
/// Input bytes per row block that should stay in L2 while all panels pass over it.
const BLOCK_BYTES: usize = 256 * 1024;

/// Where the GEMM reads its left operand: row `i` (one output pixel) is `segments` runs of `run` contiguous floats,
/// run `s` starting at `base + i·row_step + s·segment_step`. A plain matrix is one run of `k` per row; a 3×3
/// convolution over interior pixels reads its rows straight from the image as 3 runs (one per filter row) of
/// `3·in_c` floats, with no im2col copy.
#[derive(Clone, Copy)]
pub(crate) struct Lhs {
    pub base: *const f32,
    pub row_step: usize,
    pub segments: usize,
    pub run: usize,
    pub segment_step: usize,
}

impl Lhs {
    /// A plain row-major matrix with rows of `k` floats, `lda` apart.
    pub fn matrix(base: *const f32, k: usize, lda: usize) -> Lhs {
        Lhs { base, row_step: lda, segments: 1, run: k, segment_step: 0 }
    }
}

/// One tile of `R` rows × `P` panels (8·`P` columns) starting at row `i` and panel `p0`, whose weights are the
/// packed block at `block` (`k` rows of 8·`P` floats: a pair for `P` = 2, the odd last panel for `P` = 1): bias +
/// clamp, stored to `c` (row `i`'s output at `c + i·ldc`; a ragged last panel writes only its `n mod 8` columns).
/// Register budget under V8 (which loads everything a loop step reads before its arithmetic): 2·R·P accumulators
/// + 2·P weights + R broadcasts + 1 product ≤ 15, so 2×2 and 4×1 (and smaller) tiles never spill.
///
/// # Safety
/// Every run of rows `i..i+R` readable; `block` holds `k·8·P` floats; panels `p0..p0+P` exist; outputs writable.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<const R: usize, const P: usize>(
    a: &Lhs,
    i: usize,
    w: &PackedGemm,
    block: *const f32,
    p0: usize,
    c: *mut f32,
    ldc: usize,
    lo: v128,
    hi: v128,
) {
    let zero = f32x4_splat(0.0);
    let mut acc = [[[zero; 2]; P]; R];
    // Addresses are carried as integers and cast back at each load: LLVM then folds the constant offsets into the
    // loads' offset immediates (pointer induction variables lose the no-wrap flag that folding needs), saving V8
    // an address computation per load.
    let mut wp = block as usize;
    let row0 = a.base.add(i * a.row_step);
    for s in 0..a.segments {
        let mut rows = [0usize; R];
        for (r, row) in rows.iter_mut().enumerate() {
            *row = row0.add(r * a.row_step + s * a.segment_step) as usize;
        }
        for _ in 0..a.run {
            let weights = wp as *const f32;
            let mut wv = [[zero; 2]; P];
            for (q, pair) in wv.iter_mut().enumerate() {
                *pair = [load(weights.add(q * PANEL_WIDTH)), load(weights.add(q * PANEL_WIDTH + 4))];
            }
            wp += P * PANEL_WIDTH * 4;
            for r in 0..R {
                let x = load_splat(rows[r] as *const f32);
                rows[r] += 4;
                for q in 0..P {
                    acc[r][q][0] = madd(acc[r][q][0], x, wv[q][0]);
                    acc[r][q][1] = madd(acc[r][q][1], x, wv[q][1]);
                }
            }
        }
    }
    for q in 0..P {
        let bias = w.panel_bias(p0 + q).as_ptr();
        let (b0, b1) = (load(bias), load(bias.add(4)));
        let j = (p0 + q) * PANEL_WIDTH;
        let nr = (w.n() - j).min(PANEL_WIDTH);
        for (r, row) in acc.iter().enumerate() {
            let o0 = clamp(f32x4_add(row[q][0], b0), lo, hi);
            let o1 = clamp(f32x4_add(row[q][1], b1), lo, hi);
            let dst = c.add((i + r) * ldc + j);
            if nr == PANEL_WIDTH {
                store(dst, o0);
                store(dst.add(4), o1);
            } else {
                store_partial(dst, o0, nr);
                if nr > 4 {
                    store_partial(dst.add(4), o1, nr - 4);
                }
            }
        }
    }
}

/// The GEMM over raw pointers: `m` rows of `a` times `w`, into `c` (row `i` at `c + i·ldc`); see the module docs.
///
/// # Safety
/// Every run of the `m` rows of `a` readable (`a.segments·a.run == w.k()`); `c` holds `m` rows of `w.n()`
/// writable floats, `ldc` apart.
pub(crate) unsafe fn gemm(m: usize, a: &Lhs, w: &PackedGemm, lo: f32, hi: f32, c: *mut f32, ldc: usize) {
    gemm_units(m, a, w, lo, hi, c, ldc, 0..w.channel_units())
}

/// [`gemm`] for the output channels of channel units `units` only (see [`PackedGemm::channel_units`]); `c` is
/// still where channel 0 of row 0 would be.
///
/// # Safety
/// As [`gemm`], for the columns of those units.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_units(m: usize, a: &Lhs, w: &PackedGemm, lo: f32, hi: f32, c: *mut f32, ldc: usize, units: Range<usize>) {
    debug_assert_eq!(a.segments * a.run, w.k());
    debug_assert!(units.end <= w.channel_units());
    let (lo, hi) = (f32x4_splat(lo), f32x4_splat(hi));
    // Balanced blocks: the same number of whole tiles in each (a tail block of a few rows would stream all the
    // weights again for little work).
    let max_rows = (BLOCK_BYTES / (w.k() * 4)).max(MR);
    let blocks = m.div_ceil(max_rows);
    let block = m.div_ceil(blocks).next_multiple_of(MR);
    let mut i0 = 0;
    while i0 < m {
        let i1 = (i0 + block).min(m);
        // 2 rows × 2 panels: per step 4 weight loads and 2 broadcasts feed 16 multiply-adds, the best ratio that
        // fits V8's registers (broadcasts compete with the arithmetic for the FP ports on x86).
        for q in units.start..units.end.min(w.pair_count()) {
            let (pair, p) = (w.pair(q).as_ptr(), 2 * q);
            let mut i = i0;
            while i + 2 <= i1 {
                tile::<2, 2>(a, i, w, pair, p, c, ldc, lo, hi);
                i += 2;
            }
            if i < i1 {
                tile::<1, 2>(a, i, w, pair, p, c, ldc, lo, hi);
            }
        }
        // An odd last panel: 4 rows × 1 panel.
        if let Some(panel) = w.odd_panel().filter(|_| units.end > w.pair_count()) {
            let (panel, p) = (panel.as_ptr(), w.panel_count() - 1);
            let mut i = i0;
            while i + MR <= i1 {
                tile::<MR, 1>(a, i, w, panel, p, c, ldc, lo, hi);
                i += MR;
            }
            match i1 - i {
                1 => tile::<1, 1>(a, i, w, panel, p, c, ldc, lo, hi),
                2 => tile::<2, 1>(a, i, w, panel, p, c, ldc, lo, hi),
                3 => tile::<3, 1>(a, i, w, panel, p, c, ldc, lo, hi),
                _ => {}
            }
        }
        i0 = i1;
    }
}

/// Checked GEMM on slices: `c[i·ldc + j] = clamp(Σ_k a[i·lda + k]·w[k][j] + bias[j], act_min, act_max)` for
/// `i < m`, `j < w.n()`.
///
/// # Panics
/// If a slice is too short for `m`, `lda`, `ldc` and `w` (a plan bug: the plan sizes every buffer).
#[allow(clippy::too_many_arguments)]
pub fn gemm_simd128(m: usize, a: &[f32], lda: usize, w: &PackedGemm, act_min: f32, act_max: f32, c: &mut [f32], ldc: usize) {
    if m == 0 {
        return;
    }
    assert!(lda >= w.k() && ldc >= w.n(), "gemm: row strides shorter than rows");
    assert!(a.len() >= (m - 1) * lda + w.k(), "gemm: input too short");
    assert!(c.len() >= (m - 1) * ldc + w.n(), "gemm: output too short");
    // SAFETY: lengths checked above.
    unsafe { gemm(m, &Lhs::matrix(a.as_ptr(), w.k(), lda), w, act_min, act_max, c.as_mut_ptr(), ldc) }
}

/// Pointwise convolution (1×1 kernel, stride 1, no padding) of one HWC image: the GEMM with one row per pixel.
///
/// # Panics
/// If `w` is not such a window or the slices or `weights` disagree with it (a plan bug).
pub fn pointwise_conv2d_simd128(
    w: &Window2d,
    input: &[f32],
    weights: &PackedGemm,
    act_min: f32,
    act_max: f32,
    output: &mut [f32],
) {
    assert!(is_pointwise(w), "pointwise: not a 1×1 stride-1 unpadded window");
    assert!(weights.k() == w.in_c && weights.n() == w.out_c, "pointwise: weights do not match the window");
    assert!(input.len() == w.input_len() && output.len() == w.output_len(), "pointwise: buffer sizes");
    gemm_simd128(w.out_h * w.out_w, input, w.in_c, weights, act_min, act_max, output, w.out_c);
}

/// Output channel units `units` (16 channels each, see [`PackedGemm::channel_units`]) of a pointwise convolution
/// with one output pixel (the classifier), into `output` (those channels only), so a team can share out the
/// classifier's weights, the largest of the network. Bit-identical to the same channels of
/// [`pointwise_conv2d_simd128`]: each output is the same sum in the same order.
///
/// # Panics
/// If `w` is not a one-pixel pointwise window or the slices, `units` or `weights` disagree with it.
pub fn pointwise_channel_units_simd128(
    w: &Window2d,
    input: &[f32],
    weights: &PackedGemm,
    act_min: f32,
    act_max: f32,
    units: Range<usize>,
    output: &mut [f32],
) {
    assert!(is_pointwise(w) && w.out_h * w.out_w == 1, "pointwise units: not a one-pixel pointwise window");
    assert!(weights.k() == w.in_c && weights.n() == w.out_c, "pointwise units: weights do not match the window");
    let width = 2 * PANEL_WIDTH;
    let channels = units.start * width..(units.end * width).min(w.out_c);
    assert!(units.end <= weights.channel_units() && channels.start < channels.end, "pointwise units: bad range");
    assert!(input.len() == w.in_c && output.len() == channels.len(), "pointwise units: buffer sizes");
    // The kernel addresses channel j at `c + j`: `c` is placed `channels.start` before `output`, inside the same
    // layer output buffer, and only channels of `units` are written.
    let c = output.as_mut_ptr().wrapping_sub(channels.start);
    // SAFETY: one row of `k` readable floats; the columns of `units` are exactly `output`.
    unsafe { gemm_units(1, &Lhs::matrix(input.as_ptr(), w.in_c, w.in_c), weights, act_min, act_max, c, w.out_c, units) }
}

/// Whether a convolution window is a plain pointwise one (the GEMM runs on the input as it is).
pub fn is_pointwise(w: &Window2d) -> bool {
    (w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, w.pad_top, w.pad_left) == (1, 1, 1, 1, 0, 0)
        && (w.in_h, w.in_w) == (w.out_h, w.out_w)
}
