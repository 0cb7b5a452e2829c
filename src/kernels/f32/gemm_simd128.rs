//! The float GEMM under every convolution, and the pointwise (1×1) convolution that is nothing but that GEMM.
//!
//! `out[i][j] = clamp(Σ_k a[i][k]·w[k][j] + bias[j])`: rows `i` are pixels, `j` output channels, `w` a
//! [`PackedGemm`]. The micro-kernel holds an `MR`×8 tile of sums in registers (2·`MR` `f32x4` accumulators) and per
//! reduction step loads the panel's 8 weights once and broadcasts one input value per row (`v128.load32_splat`, a
//! plain load on x86 that keeps the shuffle ports free for the multiply-adds). V8 gives wasm 15 usable vector
//! registers on x64: 4×8 (8 accumulators + 2 weights + 4 broadcasts + 1 product) is the largest tile that does not
//! spill with separate multiply and add. Bias and clamp are fused into the tile's store.
//!
//! Order of arithmetic: each sum starts at +0 and adds its products in `k` order, then adds the bias, exactly as
//! TFLite's reference `Conv` does, so the plain SIMD128 build is bit-identical to
//! [`conv2d_ref`](super::conv2d_ref) (the relaxed build fuses the multiply-add: see [`simd`](super::simd)).
//!
//! Blocking: rows are processed in blocks whose input (`rows × k` floats) stays in L2 while every panel sweeps over
//! them, and each panel (`k × 8` floats, ≤ 32 KiB for `k` ≤ 1024) stays in L1 across the block's tiles.

use super::packing::{PackedGemm, PANEL_WIDTH};
use super::simd::{clamp, load, load_splat, madd, store, store_partial};
use crate::kernels::Window2d;
use core::arch::wasm32::*;

/// Rows per micro-kernel tile.
const MR: usize = 4;
/// Input bytes per row block that should stay in L2 while all panels pass over it.
const BLOCK_BYTES: usize = 128 * 1024;

/// One `R`×8 tile: `R` rows of `a` (`lda` apart) times one panel, bias + clamp, stored to `c` (rows `ldc` apart;
/// only the first `nr` ≤ 8 columns are written).
///
/// # Safety
/// `a + r·lda .. + k` readable for `r < R`; `w` holds `k × 8` floats, `bias` 8; `c + r·ldc .. + nr` writable.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<const R: usize>(
    k: usize,
    a: *const f32,
    lda: usize,
    w: *const f32,
    bias: *const f32,
    c: *mut f32,
    ldc: usize,
    nr: usize,
    lo: v128,
    hi: v128,
) {
    let zero = f32x4_splat(0.0);
    let mut acc = [[zero; 2]; R];
    let mut rows = [a; R];
    for (r, row) in rows.iter_mut().enumerate() {
        *row = a.add(r * lda);
    }
    let mut wp = w;
    for _ in 0..k {
        let w0 = load(wp);
        let w1 = load(wp.add(4));
        wp = wp.add(PANEL_WIDTH);
        for r in 0..R {
            let x = load_splat(rows[r]);
            rows[r] = rows[r].add(1);
            acc[r][0] = madd(acc[r][0], x, w0);
            acc[r][1] = madd(acc[r][1], x, w1);
        }
    }
    let (b0, b1) = (load(bias), load(bias.add(4)));
    for (r, [s0, s1]) in acc.into_iter().enumerate() {
        let (o0, o1) = (clamp(f32x4_add(s0, b0), lo, hi), clamp(f32x4_add(s1, b1), lo, hi));
        let dst = c.add(r * ldc);
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

/// The GEMM over raw pointers; see the module docs.
///
/// # Safety
/// `a` holds `m` rows of `w.k()` floats, `lda` apart; `c` holds `m` rows of `w.n()` writable floats, `ldc` apart.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemm(m: usize, a: *const f32, lda: usize, w: &PackedGemm, lo: f32, hi: f32, c: *mut f32, ldc: usize) {
    let (k, n) = (w.k(), w.n());
    let (lo, hi) = (f32x4_splat(lo), f32x4_splat(hi));
    let block = (BLOCK_BYTES / (k * 4)).max(MR) / MR * MR;
    let mut i0 = 0;
    while i0 < m {
        let i1 = (i0 + block).min(m);
        for p in 0..w.panel_count() {
            let (wp, bp) = (w.panel(p).as_ptr(), w.panel_bias(p).as_ptr());
            let j = p * PANEL_WIDTH;
            let nr = (n - j).min(PANEL_WIDTH);
            let mut i = i0;
            while i + MR <= i1 {
                tile::<MR>(k, a.add(i * lda), lda, wp, bp, c.add(i * ldc + j), ldc, nr, lo, hi);
                i += MR;
            }
            let (ar, cr) = (a.add(i * lda), c.add(i * ldc + j));
            match i1 - i {
                1 => tile::<1>(k, ar, lda, wp, bp, cr, ldc, nr, lo, hi),
                2 => tile::<2>(k, ar, lda, wp, bp, cr, ldc, nr, lo, hi),
                3 => tile::<3>(k, ar, lda, wp, bp, cr, ldc, nr, lo, hi),
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
    unsafe { gemm(m, a.as_ptr(), lda, w, act_min, act_max, c.as_mut_ptr(), ldc) }
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

/// Whether a convolution window is a plain pointwise one (the GEMM runs on the input as it is).
pub fn is_pointwise(w: &Window2d) -> bool {
    (w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, w.pad_top, w.pad_left) == (1, 1, 1, 1, 0, 0)
        && (w.in_h, w.in_w) == (w.out_h, w.out_w)
}
