//! uint8 convolution as a GEMM over weights packed at load: `C[m][n] = Σ_k A[m][k]·B[k][n]`, with `m` an output
//! pixel, `n` an output channel, `A` the input pixels (a 1×1 convolution reads them in place; any other window —
//! the 3×3/2 stem — gathers them, `im2col`, one tile of pixels at a time) and `B[k][n] = filter - filter_zero_point`.
//!
//! ## Exactness
//! TFLite's accumulator is `Σ (w - zw)·(x - zx) + bias` in wrapping `i32`. Every step below is an identity in
//! wrapping `i32` arithmetic (a ring), so the result is the same integer:
//! `Σ (w - zw)·(x - zx) = Σ b·a - zx·Σ b` with `a = x`, `b = w - zw`; padded taps read `a = zx`, contributing
//! `zx·b`, which `- zx·Σ b` (over all taps) cancels, exactly as skipping them does.
//!
//! ## Fewer multiplies: Winograd's inner product
//! `Σ_k a_k·b_k` is computed over pairs of `k` as `Σ_j (a_{2j} + b_{2j+1})·(a_{2j+1} + b_{2j}) - ξ - η` with
//! `ξ = Σ_j a_{2j}·a_{2j+1}` (one per pixel, computed while packing `A`) and `η = Σ_j b_{2j}·b_{2j+1}` (one per
//! channel, folded into the bias at load). Half the multiplies for one more 16-bit add each — on CPUs whose SIMD
//! multiplier is the bottleneck (one `pmaddwd` per cycle on many x86 cores), about 1.5× the throughput of the plain
//! dot product. The sums fit their lanes: `a ∈ 0..=255`, `b ∈ -255..=255`, so `a + b` fits `i16` and every
//! product pair fits `i32`.
//!
//! ## Layouts (`k` padded to a multiple of 4 with `a = b = 0`, which adds nothing to any sum)
//! - `A` tile, `rows` pixels: for group `g` of four `k`, row `r`: the two `i16` pairs `[(a0, a2), (a1, a3)]`, each
//!   in one `u32` (low half first), at `g·rows + r`, so the kernel splats each pair with one 32-bit load.
//! - `B`, per tile of [`GEMM_NR`] = 8 channels, per group: `[P, Q]` for channels 0..4 then for 4..8, where for each
//!   channel `P` holds `(b1, b3)` and `Q` holds `(b0, b2)`, so `(a0 + b1, a2 + b3)·(a1 + b0, a3 + b2)` is one
//!   `i32x4.dot_i16x8_s` lane.

use super::output_stage::OutputStage;
use super::ConvQuant;
use crate::kernels::Window2d;

/// Output pixels per micro-tile (3 × 8 keeps accumulators, weights and operands in 14 vector registers: V8 on
/// x64 has 15 to give, and spills at 4 × 8).
pub const GEMM_MR: usize = 3;
/// Output channels per micro-tile.
pub const GEMM_NR: usize = 8;
/// Largest reduction length (`kernel_h·kernel_w·in_c`) the packed path takes: the `A` tile lives on the stack.
pub const MAX_GEMM_K: usize = 4096;

/// One group of four `k` for one tile of 8 channels: `[P, Q]` for channels 0..4, then for 4..8.
pub(super) type WeightGroup = [[i16; 8]; 4];

/// One group of four `k` for one pixel: the `i16` pairs `(a0, a2)` and `(a1, a3)`, each in a `u32`.
pub(super) type PixelGroup = [u32; 2];

/// A convolution's weights in the layout above, its folded bias and its output stage.
#[derive(Debug, Clone)]
pub struct PackedConv {
    kernel_h: usize,
    kernel_w: usize,
    in_c: usize,
    out_c: usize,
    /// `ceil(k / 4)`.
    groups: usize,
    /// `[tile][group]`: `[P, Q]` for the first 4 channels, then for the last 4.
    weights: Vec<WeightGroup>,
    /// Per channel (padded to whole tiles): `bias - zx·Σ b - η`.
    bias: Vec<i32>,
    input_zero_point: u8,
    stage: OutputStage,
}

impl PackedConv {
    /// Pack an OHWI `filter` (`[out_c][kernel_h][kernel_w][in_c]`) and its `bias` (empty = none) for window `w`.
    /// `None` when the sizes disagree, the reduction is longer than [`MAX_GEMM_K`], or the requantisation is one
    /// the fast path refuses (see [`OutputStage::new`]): the caller keeps the reference kernel then.
    pub fn new(w: &Window2d, filter: &[u8], bias: &[i32], q: &ConvQuant) -> Option<PackedConv> {
        let k = w.kernel_h * w.kernel_w * w.in_c;
        let n = w.out_c;
        let sizes_ok = k > 0 && n > 0 && filter.len() == n * k && (bias.is_empty() || bias.len() == n);
        if !sizes_ok || k > MAX_GEMM_K || !(0..=255).contains(&q.input_zero_point) {
            return None;
        }
        let stage = OutputStage::new(q)?;
        let groups = k.div_ceil(4);
        let tiles = n.div_ceil(GEMM_NR);
        let zw = q.filter_zero_point;
        let zx = q.input_zero_point;
        // b(k, n), zero outside the real filter.
        let b = |kk: usize, nn: usize| -> i32 {
            if kk < k && nn < n {
                i32::from(filter[nn * k + kk]) - zw
            } else {
                0
            }
        };
        let mut weights = vec![[[0i16; 8]; 4]; tiles * groups];
        let mut folded = vec![0i32; tiles * GEMM_NR];
        for (nn, f) in folded.iter_mut().enumerate().take(n) {
            let mut sum_b = 0i32;
            let mut eta = 0i32;
            for g in 0..groups {
                let kk = 4 * g;
                sum_b += b(kk, nn) + b(kk + 1, nn) + b(kk + 2, nn) + b(kk + 3, nn);
                eta += b(kk, nn) * b(kk + 1, nn) + b(kk + 2, nn) * b(kk + 3, nn);
            }
            let bias_n = bias.get(nn).copied().unwrap_or(0);
            *f = bias_n.wrapping_sub(zx.wrapping_mul(sum_b)).wrapping_sub(eta);
        }
        for t in 0..tiles {
            for g in 0..groups {
                let group = &mut weights[t * groups + g];
                for half in 0..2 {
                    for c in 0..4 {
                        let nn = t * GEMM_NR + half * 4 + c;
                        let kk = 4 * g;
                        // |b| <= 255: the casts are exact.
                        group[2 * half][2 * c..2 * c + 2]
                            .copy_from_slice(&[b(kk + 1, nn) as i16, b(kk + 3, nn) as i16]);
                        group[2 * half + 1][2 * c..2 * c + 2]
                            .copy_from_slice(&[b(kk, nn) as i16, b(kk + 2, nn) as i16]);
                    }
                }
            }
        }
        Some(PackedConv {
            kernel_h: w.kernel_h,
            kernel_w: w.kernel_w,
            in_c: w.in_c,
            out_c: n,
            groups,
            weights,
            bias: folded,
            input_zero_point: zx as u8,
            stage,
        })
    }

    /// Whether `w` has the filter shape this was packed for (any spatial size, stride and padding).
    pub fn accepts(&self, w: &Window2d) -> bool {
        (w.kernel_h, w.kernel_w, w.in_c, w.out_c) == (self.kernel_h, self.kernel_w, self.in_c, self.out_c)
            && w.stride_h > 0
            && w.stride_w > 0
    }
}

/// A 1×1, stride-1, unpadded window reads its `A` rows straight from the input.
fn reads_pixels_in_place(w: &Window2d) -> bool {
    (w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, w.pad_top, w.pad_left) == (1, 1, 1, 1, 0, 0)
        && (w.in_h, w.in_w) == (w.out_h, w.out_w)
}

/// uint8 convolution of one HWC image with weights packed by [`PackedConv::new`]; byte-identical to
/// [`conv2d_ref`](super::conv2d_ref). Panics if `w`, `input` or `output` do not match the packing (a caller bug).
pub fn conv2d_packed(w: &Window2d, p: &PackedConv, input: &[u8], output: &mut [u8]) {
    assert!(p.accepts(w), "window {w:?} does not match the packed filter");
    assert_eq!(input.len(), w.input_len());
    assert_eq!(output.len(), w.output_len());
    let k = w.kernel_h * w.kernel_w * w.in_c;
    let pixels = w.out_h * w.out_w;
    let in_place = reads_pixels_in_place(w);
    let mut tile = [[0u32; 2]; GEMM_MR * MAX_GEMM_K / 4];
    let mut gathered = [0u8; MAX_GEMM_K];
    let mut m0 = 0;
    while m0 < pixels {
        let rows = GEMM_MR.min(pixels - m0);
        let mut xi = [0i32; GEMM_MR];
        for (r, xi) in xi.iter_mut().enumerate().take(rows) {
            let m = m0 + r;
            let a = if in_place {
                &input[m * k..][..k]
            } else {
                im2col_pixel(w, input, p.input_zero_point, m, &mut gathered[..k]);
                &gathered[..k]
            };
            *xi = kernel::pack_a_row(a, &mut tile, r, rows, p.groups);
        }
        let tile = &tile[..p.groups * rows];
        for t in 0..p.out_c.div_ceil(GEMM_NR) {
            let n0 = t * GEMM_NR;
            let weights = &p.weights[t * p.groups..][..p.groups];
            let bias: &[i32; GEMM_NR] = p.bias[n0..n0 + GEMM_NR].try_into().expect("bias padded to whole tiles");
            let out = &mut output[m0 * p.out_c..(m0 + rows) * p.out_c];
            kernel::tile(rows, tile, weights, bias, &xi, &p.stage, out, p.out_c, n0);
        }
        m0 += rows;
    }
}

/// The `k` values of output pixel `m` for a general window, taps outside the image reading `zx`. A filter row
/// whose taps are all inside the image is one contiguous span of the HWC input.
fn im2col_pixel(w: &Window2d, input: &[u8], zx: u8, m: usize, row: &mut [u8]) {
    let (oy, ox) = (m / w.out_w, m % w.out_w);
    let c = w.in_c;
    let span = w.kernel_w * c;
    let ix0 = (ox * w.stride_w).wrapping_sub(w.pad_left);
    let whole_span = ix0 < w.in_w && ix0 + w.kernel_w <= w.in_w;
    for fy in 0..w.kernel_h {
        let iy = (oy * w.stride_h + fy).wrapping_sub(w.pad_top);
        let dst = &mut row[fy * span..][..span];
        if iy >= w.in_h {
            dst.fill(zx);
        } else if whole_span {
            copy_small(dst, &input[(iy * w.in_w + ix0) * c..][..span]);
        } else {
            for fx in 0..w.kernel_w {
                let ix = ix0.wrapping_add(fx);
                let dst = &mut dst[fx * c..][..c];
                if ix < w.in_w {
                    copy_small(dst, &input[(iy * w.in_w + ix) * c..][..c]);
                } else {
                    dst.fill(zx);
                }
            }
        }
    }
}

/// `dst.copy_from_slice(src)` in fixed-size pieces: the spans here are a few bytes (9 for the stem), for which a
/// `memcpy` call (`memory.copy` in wasm) costs far more than the copy.
#[inline]
fn copy_small(dst: &mut [u8], src: &[u8]) {
    let n = dst.len().min(src.len());
    let mut i = 0;
    while i + 8 <= n {
        dst[i..i + 8].copy_from_slice(&src[i..i + 8]);
        i += 8;
    }
    if i + 4 <= n {
        dst[i..i + 4].copy_from_slice(&src[i..i + 4]);
        i += 4;
    }
    if i + 2 <= n {
        dst[i..i + 2].copy_from_slice(&src[i..i + 2]);
        i += 2;
    }
    if i < n {
        dst[i] = src[i];
    }
}

#[cfg(target_arch = "wasm32")]
use super::gemm_simd128 as kernel;

#[cfg(not(target_arch = "wasm32"))]
use portable as kernel;

/// The same two steps in plain scalar code, over the same packed layouts (native builds; on wasm32 the SIMD128
/// versions in `gemm_simd128` run instead).
#[cfg(not(target_arch = "wasm32"))]
mod portable {
    use super::{OutputStage, PixelGroup, WeightGroup, GEMM_MR, GEMM_NR};

    /// Write pixel `r` of a `rows`-pixel `A` tile; returns its `ξ`.
    pub fn pack_a_row(a: &[u8], tile: &mut [PixelGroup], r: usize, rows: usize, groups: usize) -> i32 {
        let at = |k: usize| a.get(k).map_or(0, |&v| u32::from(v));
        let mut xi = 0i32;
        for g in 0..groups {
            let q = [at(4 * g), at(4 * g + 1), at(4 * g + 2), at(4 * g + 3)];
            tile[g * rows + r] = [q[0] | q[2] << 16, q[1] | q[3] << 16];
            xi = xi.wrapping_add((q[0] * q[1] + q[2] * q[3]) as i32);
        }
        xi
    }

    /// `rows` × 8 outputs starting at channel `n0` of each of the `rows` output pixels in `out` (`n` channels each).
    #[allow(clippy::too_many_arguments)]
    pub fn tile(
        rows: usize,
        tile: &[PixelGroup],
        weights: &[WeightGroup],
        bias: &[i32; GEMM_NR],
        xi: &[i32; GEMM_MR],
        stage: &OutputStage,
        out: &mut [u8],
        n: usize,
        n0: usize,
    ) {
        let low = |w: u32| i32::from(w as u16 as i16);
        let high = |w: u32| i32::from((w >> 16) as u16 as i16);
        for r in 0..rows {
            for c in 0..GEMM_NR.min(n - n0) {
                let (half, lane) = (c / 4, c % 4);
                let mut acc = bias[c].wrapping_sub(xi[r]);
                for (a, w) in tile.iter().skip(r).step_by(rows).zip(weights) {
                    let (p, q) = (&w[2 * half][2 * lane..], &w[2 * half + 1][2 * lane..]);
                    let (even, odd) = (a[0], a[1]);
                    acc = acc.wrapping_add((low(even) + i32::from(p[0])) * (low(odd) + i32::from(q[0])));
                    acc = acc.wrapping_add((high(even) + i32::from(p[1])) * (high(odd) + i32::from(q[1])));
                }
                out[r * n + n0 + c] = stage.apply(acc);
            }
        }
    }
}
