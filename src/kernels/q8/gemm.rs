//! uint8 convolution as a GEMM over weights packed at load: `C[m][n] = Σ_k A[m][k]·B[k][n]`, with `m` an output
//! pixel, `n` an output channel, `A` the input pixels (a 1×1 convolution reads them in place, the RGB stem packs
//! them from its three input rows, any other window gathers them, `im2col`, one tile of pixels at a time) and
//! `B[k][n] = filter - filter_zero_point`.
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
//! - `A` tile, `rows` pixels: for group `g` of four `k`, row `r`: the values as `i16`, in order — the pairs
//!   `(a0, a1)` and `(a2, a3)`, each in one `u32` (low half first) — at `g·rows + r`, so packing is one widening
//!   load and the kernel splats each pair with one 32-bit load. The pairing of the sum above is `(a0, a2)` and
//!   `(a1, a3)`: `ξ = a0·a2 + a1·a3`.
//! - `B`, per tile of [`GEMM_NR`] = 8 channels, per group: `[P, Q]` for channels 0..4 then for 4..8, where for each
//!   channel `P` holds `(b2, b3)` and `Q` holds `(b0, b1)`, so `(a0 + b2, a1 + b3)·(a2 + b0, a3 + b1)` is one
//!   `i32x4.dot_i16x8_s` lane.
//! - The RGB stem (3×3 filter over 3 channels, `k` = 27) takes its `k` in another order, [`stem_k`]: the first 8
//!   values of each filter row (24 contiguous input bytes: 3 widening loads), then the 3 rows' ninth values. The
//!   order of `k` is free as long as `A` and `B` agree.

use super::output_stage::OutputStage;
use super::ConvQuant;
use crate::kernels::Window2d;
use core::mem::MaybeUninit;
use core::ops::Range;

/// Most output pixels per micro-tile. 3 × 8 reuses each weight load across more pixels but needs 16 vector
/// registers when V8 schedules every load early (x64 has 15 to give, so it spills two accumulators); 2 × 8 fits in
/// 12. Measured in V8 on x64: 3 rows are ~4 % faster from `k` = 512 up, 2 rows are faster below `k` = 256 (up to 30 %
/// at `k` = 32, where the per-tile output stage dominates).
pub const GEMM_MR: usize = 3;
/// Groups of four `k` from which the 3-row tile is used.
const THREE_ROWS_FROM_GROUPS: usize = 128;
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
        let groups = k.div_ceil(4);
        let tiles = n.div_ceil(GEMM_NR);
        let zw = q.filter_zero_point;
        let zx = q.input_zero_point;
        let stem = is_rgb_stem(w);
        // b(k, n) in packing order, zero outside the real filter.
        let b = |kk: usize, nn: usize| -> i32 {
            let kk = if stem { stem_k(kk) } else { kk };
            if kk < k && nn < n {
                i32::from(filter[nn * k + kk]) - zw
            } else {
                0
            }
        };
        let stage = OutputStage::new(q)?.with_accumulator_bound(OutputStage::accumulator_bound(bias, n, k, b));
        let mut weights = vec![[[0i16; 8]; 4]; tiles * groups];
        let mut folded = vec![0i32; tiles * GEMM_NR];
        for (nn, f) in folded.iter_mut().enumerate().take(n) {
            let mut sum_b = 0i32;
            let mut eta = 0i32;
            for g in 0..groups {
                let kk = 4 * g;
                sum_b += b(kk, nn) + b(kk + 1, nn) + b(kk + 2, nn) + b(kk + 3, nn);
                eta += b(kk, nn) * b(kk + 2, nn) + b(kk + 1, nn) * b(kk + 3, nn);
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
                            .copy_from_slice(&[b(kk + 2, nn) as i16, b(kk + 3, nn) as i16]);
                        group[2 * half + 1][2 * c..2 * c + 2]
                            .copy_from_slice(&[b(kk, nn) as i16, b(kk + 1, nn) as i16]);
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

    /// Tiles of [`GEMM_NR`] output channels (the last one partial when `out_c` is not a multiple of it).
    pub fn channel_tiles(&self) -> usize {
        self.out_c.div_ceil(GEMM_NR)
    }

    /// Whether `w` has the filter shape this was packed for (any spatial size, stride and padding).
    pub fn accepts(&self, w: &Window2d) -> bool {
        (w.kernel_h, w.kernel_w, w.in_c, w.out_c) == (self.kernel_h, self.kernel_w, self.in_c, self.out_c)
            && w.stride_h > 0
            && w.stride_w > 0
    }
}

/// The RGB stem's shape: a 3×3 filter over 3 input channels, packed in [`stem_k`] order.
fn is_rgb_stem(w: &Window2d) -> bool {
    (w.kernel_h, w.kernel_w, w.in_c) == (3, 3, 3)
}

/// The stem's `k` (`9·fy + 3·fx + c`, HWC order within the filter) at packing position `kk`: positions 0..24 are
/// the first 8 values of filter rows 0, 1, 2; 24..27 are the rows' ninth values; 27 is padding (returned as 27,
/// outside the filter).
pub(super) const fn stem_k(kk: usize) -> usize {
    match kk {
        0..24 => 9 * (kk / 8) + kk % 8,
        24..27 => 9 * (kk - 24) + 8,
        _ => 27,
    }
}

/// Bytes per filter row in the stem's border buffer: 9 taps, rounded up to 16.
const STEM_ROW: usize = 16;

/// A 1×1, stride-1, unpadded window reads its `A` rows straight from the input.
fn reads_pixels_in_place(w: &Window2d) -> bool {
    (w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, w.pad_top, w.pad_left) == (1, 1, 1, 1, 0, 0)
        && (w.in_h, w.in_w) == (w.out_h, w.out_w)
}

/// uint8 convolution of one HWC image with weights packed by [`PackedConv::new`]; byte-identical to
/// [`conv2d_ref`](super::conv2d_ref). Panics if `w`, `input` or `output` do not match the packing (a caller bug).
///
/// Per micro-tile of 2 or 3 pixels: pack their `A` values (a few KiB, they stay in L1), then run every tile of
/// 8 channels over them. (Blocking the channels so that a block's weights stay in L2 while all pixels pass was
/// measured: no faster on MobileNet's largest layers, slower where `A` gets repacked per block.)
pub fn conv2d_packed(w: &Window2d, p: &PackedConv, input: &[u8], output: &mut [u8]) {
    assert!(p.accepts(w), "window {w:?} does not match the packed filter");
    assert_eq!(input.len(), w.input_len());
    assert_eq!(output.len(), w.output_len());
    let (k, n, groups) = (w.kernel_h * w.kernel_w * w.in_c, p.out_c, p.groups);
    if is_rgb_stem(w) {
        return conv2d_stem(w, p, input, output);
    }
    let pixels = w.out_h * w.out_w;
    let in_place = reads_pixels_in_place(w);
    let mr = if groups >= THREE_ROWS_FROM_GROUPS { 3 } else { 2 };
    let mut tile = [const { MaybeUninit::<PixelGroup>::uninit() }; GEMM_MR * MAX_GEMM_K / 4];
    let mut xi = [0i32; GEMM_MR];
    let stage = kernel::stage(&p.stage);
    let mut gather = Im2col::new(w, p.input_zero_point);
    // The next pixel's position, kept in locals (registers) rather than in `gather` (linear memory).
    let (mut oy, mut ox) = (0, 0);
    let mut m = 0;
    while m < pixels {
        let rows = mr.min(pixels - m);
        for r in 0..rows {
            let tile = &mut tile[..groups * rows];
            xi[r] = if in_place {
                kernel::pack_a_row(&input[(m + r) * k..][..k], tile, r, rows, groups)
            } else {
                let xi = gather.pack(input, oy, ox, tile, r, rows, groups);
                ox += 1;
                if ox == w.out_w {
                    (oy, ox) = (oy + 1, 0);
                }
                xi
            };
        }
        // SAFETY: the loop above wrote all `groups · rows` values (`pack_a_row` writes every group of its row).
        let packed = unsafe { written(&tile[..groups * rows]) };
        let out = &mut output[m * n..(m + rows) * n];
        kernel::tiles(rows, packed, &p.weights, &p.bias, &xi[..rows], &stage, out, n, 0);
        m += rows;
    }
}

/// The RGB stem, row by row: the pixels whose taps all lie inside the image are packed in pairs straight from the
/// input rows ([`stem_row`]); the others (a SAME stem's last row and column) are gathered one at a time. Through
/// the general loop of [`conv2d_packed`], packing cost more than the multiply-adds: 0.115 of the layer's 0.200 ms
/// on 0.25/128 in Node; this way the layer takes 0.113 ms.
fn conv2d_stem(w: &Window2d, p: &PackedConv, input: &[u8], output: &mut [u8]) {
    let n = p.out_c;
    let stage = kernel::stage(&p.stage);
    let mut tile = [const { MaybeUninit::<PixelGroup>::uninit() }; 7];
    // Interior columns: ox·stride ≥ pad_left and ox·stride - pad_left + 3 ≤ in_w.
    let first = w.pad_left.div_ceil(w.stride_w).min(w.out_w);
    let end = match (w.in_w + w.pad_left).checked_sub(3) {
        Some(last) => (last / w.stride_w + 1).clamp(first, w.out_w),
        None => first,
    };
    for oy in 0..w.out_h {
        let iy0 = (oy * w.stride_h).wrapping_sub(w.pad_top);
        let row_inside = iy0 < w.in_h && iy0 + 3 <= w.in_h;
        let (lo, hi) = if row_inside { (first, end) } else { (w.out_w, w.out_w) };
        let out_row = &mut output[oy * w.out_w * n..(oy + 1) * w.out_w * n];
        for ox in (0..lo).chain(hi..w.out_w) {
            let xi = pack_stem_gathered(w, p.input_zero_point, input, oy, ox, &mut tile);
            // SAFETY: `pack_stem_gathered` wrote all 7 groups of its one-row tile.
            let packed = unsafe { written(&tile) };
            let out = &mut out_row[ox * n..(ox + 1) * n];
            kernel::tiles(1, packed, &p.weights, &p.bias, &[xi], &stage, out, n, 0);
        }
        if lo < hi {
            let ix0 = lo * w.stride_w - w.pad_left;
            let starts = [0, 1, 2].map(|fy| ((iy0 + fy) * w.in_w + ix0) * 3);
            let out = &mut out_row[lo * n..hi * n];
            stem_row(input, starts, 3 * w.stride_w, hi - lo, p, &stage, out);
        }
    }
}

/// Output pixels `0..count` of one row of the RGB stem, every tap inside the image: pixel `i`'s filter row `fy` is
/// the 9 bytes at `input[starts[fy] + i·step..]`; its channels go to `out[i·n..]`. Pairs of pixels are packed
/// straight from the input rows (`kernel::pack_stem`: 3 widening loads each) into a 2-row tile.
fn stem_row(
    input: &[u8],
    starts: [usize; 3],
    step: usize,
    count: usize,
    p: &PackedConv,
    stage: &kernel::Stage,
    out: &mut [u8],
) {
    let n = p.out_c;
    let mut tile = [const { MaybeUninit::<PixelGroup>::uninit() }; 2 * 7];
    let mut i = 0;
    while i < count {
        let rows = (count - i).min(2);
        let pack = |r: usize, tile: &mut [MaybeUninit<PixelGroup>]| {
            kernel::pack_stem(input, starts.map(|s| s + (i + r) * step), tile, r, rows)
        };
        let xi = if rows == 2 { [pack(0, &mut tile), pack(1, &mut tile)] } else { [pack(0, &mut tile), 0] };
        // SAFETY: `pack_stem` wrote all 7 groups of each of the `rows` rows.
        let packed = unsafe { written(&tile[..7 * rows]) };
        let out = &mut out[i * n..(i + rows) * n];
        kernel::tiles(rows, packed, &p.weights, &p.bias, &xi[..rows], stage, out, n, 0);
        i += rows;
    }
}

/// Output channels `tiles` (in [`GEMM_NR`]-channel tiles, the last one partial when `out_c` is not a multiple of 8)
/// of a convolution with one output pixel (the classifier), into `output` (those channels only). One pixel leaves
/// nothing to split by rows; its channels can be split instead, so a team shares the classifier's weights (the
/// largest of the network, read once per frame). Byte-identical to the same channels of [`conv2d_packed`]. Panics
/// if `w` has more than one output pixel or the sizes disagree (a caller bug).
pub fn conv2d_packed_channel_tiles(w: &Window2d, p: &PackedConv, input: &[u8], tiles: Range<usize>, output: &mut [u8]) {
    assert!(p.accepts(w), "window {w:?} does not match the packed filter");
    assert_eq!(w.out_h * w.out_w, 1, "one output pixel");
    assert_eq!(input.len(), w.input_len());
    let (n, groups) = (p.out_c, p.groups);
    let channels = tiles.start * GEMM_NR..(tiles.end * GEMM_NR).min(n);
    assert!(tiles.start < tiles.end && channels.start < channels.end && output.len() == channels.len());
    let mut tile = [const { MaybeUninit::<PixelGroup>::uninit() }; MAX_GEMM_K / 4];
    let tile = &mut tile[..groups];
    let xi = if reads_pixels_in_place(w) {
        kernel::pack_a_row(input, tile, 0, 1, groups)
    } else if is_rgb_stem(w) {
        pack_stem_gathered(w, p.input_zero_point, input, 0, 0, tile)
    } else {
        Im2col::new(w, p.input_zero_point).pack(input, 0, 0, tile, 0, 1, groups)
    };
    // SAFETY: each packing above writes every group of its row.
    let packed = unsafe { written(tile) };
    let weights = &p.weights[tiles.start * groups..tiles.end * groups];
    let bias = &p.bias[tiles.start * GEMM_NR..tiles.end * GEMM_NR];
    let len = channels.len();
    kernel::tiles(1, packed, weights, bias, &[xi], &kernel::stage(&p.stage), output, len, 0);
}

/// Stem output pixel (`oy`, `ox`), wherever it lies, as a one-row tile ([`kernel::pack_stem`]); returns its `ξ`.
/// Its three filter rows are copied into a small buffer, with `zx` for the taps outside the image (a SAME stem's
/// last row and column).
fn pack_stem_gathered(
    w: &Window2d,
    zx: u8,
    input: &[u8],
    oy: usize,
    ox: usize,
    tile: &mut [MaybeUninit<PixelGroup>],
) -> i32 {
    let iy0 = (oy * w.stride_h).wrapping_sub(w.pad_top);
    let ix0 = (ox * w.stride_w).wrapping_sub(w.pad_left);
    let mut rows3 = [zx; 3 * STEM_ROW];
    for fy in 0..3 {
        let iy = iy0.wrapping_add(fy);
        if iy >= w.in_h {
            continue;
        }
        for fx in 0..3 {
            let ix = ix0.wrapping_add(fx);
            if ix < w.in_w {
                let at = (iy * w.in_w + ix) * 3;
                rows3[fy * STEM_ROW + 3 * fx..][..3].copy_from_slice(&input[at..at + 3]);
            }
        }
    }
    kernel::pack_stem(&rows3, [0, STEM_ROW, 2 * STEM_ROW], tile, 0, 1)
}

/// A packed tile whose every value has been written.
///
/// # Safety
/// Every element of `tile` must be initialised.
unsafe fn written(tile: &[MaybeUninit<PixelGroup>]) -> &[PixelGroup] {
    &*(tile as *const [MaybeUninit<PixelGroup>] as *const [PixelGroup])
}

/// Gathers the `k` values of an output pixel for a general window (not the RGB stem, packed in its own order by
/// [`pack_stem_gathered`]); taps outside the image read `zx`. A filter row whose taps are all inside the image is
/// one contiguous span of the HWC input.
struct Im2col<'w> {
    w: &'w Window2d,
    zx: u8,
    /// `k` values, plus room for the 16-byte stores of `kernel::copy_span`.
    row: [u8; MAX_GEMM_K + 16],
}

impl<'w> Im2col<'w> {
    fn new(w: &'w Window2d, zx: u8) -> Self {
        Im2col { w, zx, row: [0; MAX_GEMM_K + 16] }
    }

    /// Pack output pixel (`oy`, `ox`) as row `r` of a `rows`-pixel tile; returns its `ξ`.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn pack(
        &mut self,
        input: &[u8],
        oy: usize,
        ox: usize,
        tile: &mut [MaybeUninit<PixelGroup>],
        r: usize,
        rows: usize,
        groups: usize,
    ) -> i32 {
        let w = self.w;
        let iy0 = (oy * w.stride_h).wrapping_sub(w.pad_top);
        let ix0 = (ox * w.stride_w).wrapping_sub(w.pad_left);
        let a = self.gather(input, iy0, ix0);
        kernel::pack_a_row(a, tile, r, rows, groups)
    }

    /// The pixel's `k` values in `self.row`, the filter's top-left tap at input row `iy0`, column `ix0` (wrapped
    /// below 0).
    fn gather(&mut self, input: &[u8], iy0: usize, ix0: usize) -> &[u8] {
        let (w, zx) = (self.w, self.zx);
        let c = w.in_c;
        let span = w.kernel_w * c;
        let whole_span = ix0 < w.in_w && ix0 + w.kernel_w <= w.in_w;
        for fy in 0..w.kernel_h {
            let iy = iy0.wrapping_add(fy);
            if iy >= w.in_h {
                self.row[fy * span..][..span].fill(zx);
            } else if whole_span {
                // Spans are written in increasing order: a 16-byte store's tail is overwritten by the next span.
                kernel::copy_span(&mut self.row[fy * span..], input, (iy * w.in_w + ix0) * c, span);
            } else {
                for fx in 0..w.kernel_w {
                    let ix = ix0.wrapping_add(fx);
                    let dst = &mut self.row[(fy * w.kernel_w + fx) * c..];
                    if ix < w.in_w {
                        kernel::copy_span(dst, input, (iy * w.in_w + ix) * c, c);
                    } else {
                        dst[..c].fill(zx);
                    }
                }
            }
        }
        &self.row[..w.kernel_h * span]
    }
}

/// `dst[..len].copy_from_slice(&src[at..at + len])` in fixed-size pieces: the spans here are a few bytes (a filter
/// row of a small window), for which a `memcpy` call (`memory.copy` in wasm) costs far more than the copy.
#[inline]
pub(super) fn copy_small(dst: &mut [u8], src: &[u8], at: usize, len: usize) {
    let (dst, src) = (&mut dst[..len], &src[at..at + len]);
    let mut i = 0;
    while i + 8 <= len {
        dst[i..i + 8].copy_from_slice(&src[i..i + 8]);
        i += 8;
    }
    if i + 4 <= len {
        dst[i..i + 4].copy_from_slice(&src[i..i + 4]);
        i += 4;
    }
    if i + 2 <= len {
        dst[i..i + 2].copy_from_slice(&src[i..i + 2]);
        i += 2;
    }
    if i < len {
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
    use super::{OutputStage, PixelGroup, WeightGroup, GEMM_NR};
    use core::mem::MaybeUninit;

    pub(super) use super::copy_small as copy_span;

    pub type Stage = OutputStage;

    pub fn stage(s: &OutputStage) -> Stage {
        *s
    }

    /// [`pack_a_row`] of a stem pixel (3×3 filter over RGB, `k` = 27, in [`stem_k`](super::stem_k) order) whose
    /// filter row `fy` is the 9 bytes at `input[starts[fy]..]`.
    pub fn pack_stem(
        input: &[u8],
        starts: [usize; 3],
        tile: &mut [MaybeUninit<PixelGroup>],
        r: usize,
        rows: usize,
    ) -> i32 {
        let mut a = [0u8; 27];
        for (kk, v) in a.iter_mut().enumerate() {
            let k = super::stem_k(kk);
            *v = input[starts[k / 9] + k % 9];
        }
        pack_a_row(&a, tile, r, rows, 7)
    }

    /// Write pixel `r` of a `rows`-pixel `A` tile; returns its `ξ`.
    pub fn pack_a_row(a: &[u8], tile: &mut [MaybeUninit<PixelGroup>], r: usize, rows: usize, groups: usize) -> i32 {
        let at = |k: usize| a.get(k).map_or(0, |&v| u32::from(v));
        let mut xi = 0i32;
        for g in 0..groups {
            let q = [at(4 * g), at(4 * g + 1), at(4 * g + 2), at(4 * g + 3)];
            tile[g * rows + r].write([q[0] | q[1] << 16, q[2] | q[3] << 16]);
            xi = xi.wrapping_add((q[0] * q[2] + q[1] * q[3]) as i32);
        }
        xi
    }

    /// The outputs of channels `first..` (as many as `weights` holds tiles, up to `n`) of each of the `rows` pixels
    /// of `tile`, 8 channels (one weight tile) at a time; `out` holds the `rows` pixels' `n` channels.
    #[allow(clippy::too_many_arguments)]
    pub fn tiles(
        rows: usize,
        tile: &[PixelGroup],
        weights: &[WeightGroup],
        bias: &[i32],
        xi: &[i32],
        stage: &Stage,
        out: &mut [u8],
        n: usize,
        first: usize,
    ) {
        let groups = tile.len() / rows;
        let low = |w: u32| i32::from(w as u16 as i16);
        let high = |w: u32| i32::from((w >> 16) as u16 as i16);
        for (t, weights) in weights.chunks_exact(groups).enumerate() {
            let n0 = first + t * GEMM_NR;
            for r in 0..rows {
                for c in 0..GEMM_NR.min(n - n0) {
                    let (half, lane) = (c / 4, c % 4);
                    let mut acc = bias[t * GEMM_NR + c].wrapping_sub(xi[r]);
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
}
