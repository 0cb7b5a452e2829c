//! float depthwise convolution (depth multiplier 1) for SIMD128, channel-vectorised, with a 3×3 fast path for
//! both strides.
//!
//! V8 issues all of a loop step's loads before its arithmetic and does not reschedule, so a step that reads 9
//! taps while holding 9 weight vectors spills. The 3×3 path therefore walks each output row once per filter row
//! ("pass"), per group of 4 channels: a pass holds only its 3 weight vectors, reads 3 taps per pixel and adds them
//! to the running sums kept in the output row itself (L1-resident); the last pass adds the bias and clamps.
//! Filter rows outside the image are simply skipped, and the columns whose taps leave the image (at most one at
//! each end of a row, found once per call) visit only their in-image taps, so padding costs no branch in the
//! inner loop.
//! Other kernel sizes take a general per-pixel path. Channels past the last multiple of 4 are summed in scalar
//! code, in the same order.
//!
//! Order of arithmetic: per channel, `+0`, then `+= input·filter` over in-image taps in `filter_y`, `filter_x`
//! order, then `+ bias`, then the clamp — TFLite's reference order, so the plain SIMD128 build is bit-identical to
//! [`depthwise_conv2d_ref`](super::depthwise_conv2d_ref).

use super::activation_with_min_max;
use super::simd::{clamp, load, madd, store};
use crate::kernels::{valid_taps, Window2d};
use core::arch::wasm32::*;

/// Channels per vector.
const LANES: usize = 4;
/// From this many channels on, rows are walked pixel by pixel ([`Kernel::row_3x3_by_pixel`]).
const BY_PIXEL_CHANNELS: usize = 256;

/// float depthwise convolution of one HWC image, `in_c == out_c`, `filter` `[kernel_h][kernel_w][c]`, `bias` `c`
/// entries (pass zeros for none), output clamped to `[act_min, act_max]`. Dilation 1.
///
/// # Panics
/// If the slices disagree with `w` (a plan bug).
pub fn depthwise_conv2d_simd128(
    w: &Window2d,
    input: &[f32],
    filter: &[f32],
    bias: &[f32],
    act_min: f32,
    act_max: f32,
    output: &mut [f32],
) {
    let c = w.out_c;
    assert!(w.in_c == c, "depthwise: in_c != out_c");
    assert!(input.len() == w.input_len() && output.len() == w.output_len(), "depthwise: buffer sizes");
    assert!(filter.len() == w.kernel_h * w.kernel_w * c && bias.len() == c, "depthwise: weight sizes");
    let columns = interior_columns(w);
    let mut edges = [(0, 0, 0, 0); MAX_EDGES];
    let edge_columns = (0..columns.0).chain(columns.1..w.out_w);
    let edge_count = edge_columns.clone().count();
    for (e, ox) in edges.iter_mut().zip(edge_columns) {
        let (fx0, fx1, ix0) = valid_taps(ox, w.stride_w, w.pad_left, w.kernel_w, w.in_w);
        *e = (ox, fx0, fx1, ix0);
    }
    let k = Kernel {
        w,
        input: input.as_ptr(),
        filter: filter.as_ptr(),
        bias: bias.as_ptr(),
        act_min,
        act_max,
        columns,
        edges,
        edge_count,
        sliding: w.stride_w == 1 && w.pad_left == 1 && w.out_w == w.in_w && w.out_w >= 2,
    };
    let fast_3x3 = (w.kernel_h, w.kernel_w) == (3, 3) && edge_count <= MAX_EDGES;
    let vector_channels = c / LANES * LANES;
    for oy in 0..w.out_h {
        let rows = valid_taps(oy, w.stride_h, w.pad_top, w.kernel_h, w.in_h);
        let out_row = output[oy * w.out_w * c..][..w.out_w * c].as_mut_ptr();
        // SAFETY: the asserts above keep every index the loops form inside `input`, `filter`, `bias`, and every
        // pixel inside this output row.
        unsafe {
            if fast_3x3 && c >= BY_PIXEL_CHANNELS {
                k.row_3x3_by_pixel(rows, vector_channels, out_row);
            } else if fast_3x3 {
                for g in (0..vector_channels).step_by(LANES) {
                    k.row_3x3(rows, g, out_row);
                }
            } else {
                for ox in 0..w.out_w {
                    k.pixel_any(rows, ox, vector_channels, out_row.add(ox * c));
                }
            }
            if vector_channels < c {
                for ox in 0..w.out_w {
                    k.pixel_scalar(rows, ox, vector_channels, out_row.add(ox * c));
                }
            }
        }
    }
}

/// Output columns `[lo, hi)` whose 3 column taps are all inside the image (`lo == hi` when none are).
fn interior_columns(w: &Window2d) -> (usize, usize) {
    let s = w.stride_w;
    let lo = w.pad_left.div_ceil(s).min(w.out_w);
    // ox·s − pad + 2 ≤ in_w − 1  ⇔  ox ≤ (in_w + pad − 3) / s
    let hi = match (w.in_w + w.pad_left).checked_sub(3) {
        Some(last) => (last / s + 1).min(w.out_w),
        None => 0,
    };
    (lo, hi.max(lo))
}

/// Everything the per-row code needs, as raw pointers checked once by the caller.
struct Kernel<'a> {
    w: &'a Window2d,
    input: *const f32,
    filter: *const f32,
    bias: *const f32,
    act_min: f32,
    act_max: f32,
    /// [`interior_columns`] of the window.
    columns: (usize, usize),
    /// The other columns with their in-image taps `(ox, fx0, fx1, ix0)`, computed once per call.
    edges: [(usize, usize, usize, usize); MAX_EDGES],
    edge_count: usize,
    /// Stride 1, SAME (pad 1, `out_w == in_w ≥ 2`): passes slide along the row ([`Kernel::pass_sliding`]).
    sliding: bool,
}

/// Columns with out-of-image taps the 3×3 path handles (SAME padding has at most one per side).
const MAX_EDGES: usize = 4;

impl Kernel<'_> {
    /// Channels `g..g+4` of one output row of a 3×3 depthwise conv whose in-image filter rows are
    /// `rows = (fy0, fy1, iy0)`: one pass per filter row.
    ///
    /// # Safety
    /// `rows` from `valid_taps` for this window; `g + 4 ≤ c`; `out_row` holds the row's `out_w·c` floats.
    unsafe fn row_3x3(&self, rows: (usize, usize, usize), g: usize, out_row: *mut f32) {
        let (fy0, fy1, iy0) = rows;
        if fy1 == fy0 {
            // No filter row inside the image (degenerate windows only): the clamped bias, as the reference.
            let b = clamp(load(self.bias.add(g)), f32x4_splat(self.act_min), f32x4_splat(self.act_max));
            for ox in 0..self.w.out_w {
                store(out_row.add(ox * self.w.out_c + g), b);
            }
            return;
        }
        for fy in fy0..fy1 {
            let iy = iy0 + (fy - fy0);
            match (fy == fy0, fy + 1 == fy1) {
                (true, true) => self.pass::<true, true>(fy, iy, g, out_row),
                (true, false) => self.pass::<true, false>(fy, iy, g, out_row),
                (false, false) => self.pass::<false, false>(fy, iy, g, out_row),
                (false, true) => self.pass::<false, true>(fy, iy, g, out_row),
            }
        }
    }

    /// One filter row `fy` over input row `iy` for channels `g..g+4` of every pixel of the row: the sums start at
    /// +0 on the `FIRST` pass and are read back from the output otherwise; the `LAST` pass adds the bias and
    /// clamps.
    ///
    /// # Safety
    /// As [`Kernel::row_3x3`], and `iy < in_h`.
    #[inline(always)]
    unsafe fn pass<const FIRST: bool, const LAST: bool>(&self, fy: usize, iy: usize, g: usize, out_row: *mut f32) {
        if self.sliding {
            return self.pass_sliding::<FIRST, LAST>(fy, iy, g, out_row);
        }
        let w = self.w;
        let c = w.out_c;
        let (lo, hi) = (f32x4_splat(self.act_min), f32x4_splat(self.act_max));
        let b = load(self.bias.add(g));
        let zero = f32x4_splat(0.0);
        let taps = self.filter.add(fy * 3 * c + g);
        let (w0, w1, w2) = (load(taps), load(taps.add(c)), load(taps.add(2 * c)));
        let finish = |acc: v128| if LAST { clamp(f32x4_add(acc, b), lo, hi) } else { acc };
        let start = |dst: *const f32| if FIRST { zero } else { load(dst) };
        let row = self.input.add(iy * w.in_w * c + g);
        // Columns with out-of-image taps: only their in-image taps, in order.
        for &(ox, fx0, fx1, ix0) in &self.edges[..self.edge_count] {
            let dst = out_row.add(ox * c + g);
            let mut acc = start(dst);
            let src = row.add(ix0 * c);
            for fx in fx0..fx1 {
                let wt = match fx {
                    0 => w0,
                    1 => w1,
                    _ => w2,
                };
                acc = madd(acc, load(src.add((fx - fx0) * c)), wt);
            }
            store(dst, finish(acc));
        }
        let (ox_lo, ox_hi) = self.columns;
        let step = w.stride_w * c;
        let mut src = row.add((ox_lo * w.stride_w).saturating_sub(w.pad_left) * c);
        let mut dst = out_row.add(ox_lo * c + g);
        for _ in ox_lo..ox_hi {
            let mut acc = start(dst);
            acc = madd(acc, load(src), w0);
            acc = madd(acc, load(src.add(c)), w1);
            acc = madd(acc, load(src.add(2 * c)), w2);
            store(dst, finish(acc));
            src = src.add(step);
            dst = dst.add(c);
        }
    }

    /// [`Kernel::pass`] for stride 1 with SAME padding, sliding along the row: each input vector is loaded once
    /// and feeds the three outputs it is a tap of (`x_j·w2` finishes output `j−1`, `x_j·w1` continues output `j`,
    /// `x_j·w0` starts output `j+1`), so a pixel costs one input load instead of three. Each output still adds its
    /// taps in `filter_x` order; the first and last outputs simply lack their out-of-image tap.
    ///
    /// # Safety
    /// As [`Kernel::pass`], with `self.sliding`.
    #[inline(always)]
    unsafe fn pass_sliding<const FIRST: bool, const LAST: bool>(&self, fy: usize, iy: usize, g: usize, out_row: *mut f32) {
        let w = self.w;
        let (c, last) = (w.out_c, w.out_w - 1);
        let (lo, hi) = (f32x4_splat(self.act_min), f32x4_splat(self.act_max));
        let b = load(self.bias.add(g));
        let zero = f32x4_splat(0.0);
        let taps = self.filter.add(fy * 3 * c + g);
        let (w0, w1, w2) = (load(taps), load(taps.add(c)), load(taps.add(2 * c)));
        let finish = |acc: v128| if LAST { clamp(f32x4_add(acc, b), lo, hi) } else { acc };
        let start = |dst: *const f32| if FIRST { zero } else { load(dst) };
        let mut src = self.input.add(iy * w.in_w * c + g);
        // `dst` is output j−1 while input j is read.
        let mut dst = out_row.add(g);
        let x = load(src);
        let mut done_next = madd(start(dst), x, w1); // output 0: its tap 0 lies in the padding
        let mut started = madd(start(dst.add(c)), x, w0); // output 1
        for _ in 1..last {
            src = src.add(c);
            let x = load(src);
            store(dst, finish(madd(done_next, x, w2)));
            done_next = madd(started, x, w1);
            started = madd(start(dst.add(2 * c)), x, w0);
            dst = dst.add(c);
        }
        let x = load(src.add(c));
        store(dst, finish(madd(done_next, x, w2)));
        store(dst.add(c), finish(madd(started, x, w1))); // the last output: its tap 2 lies in the padding
    }

    /// Channels `0..channels` (a multiple of 4) of one output row, pixel by pixel with the channels innermost:
    /// one pass per filter row like [`Kernel::row_3x3`], but reading weights from L1 instead of registers. Wide
    /// layers need this order: walking one channel group down a row strides `4·c` bytes, and with `c` a power of
    /// two every pixel lands in the same L1 set (and 4 KiB-aliases the sums being stored).
    ///
    /// # Safety
    /// As [`Kernel::row_3x3`], with `channels ≤ c` a multiple of 4.
    unsafe fn row_3x3_by_pixel(&self, rows: (usize, usize, usize), channels: usize, out_row: *mut f32) {
        let (fy0, fy1, iy0) = rows;
        if fy1 == fy0 {
            for g in (0..channels).step_by(LANES) {
                self.row_3x3(rows, g, out_row);
            }
            return;
        }
        for fy in fy0..fy1 {
            let iy = iy0 + (fy - fy0);
            match (fy == fy0, fy + 1 == fy1) {
                (true, true) => self.pass_by_pixel::<true, true>(fy, iy, channels, out_row),
                (true, false) => self.pass_by_pixel::<true, false>(fy, iy, channels, out_row),
                (false, false) => self.pass_by_pixel::<false, false>(fy, iy, channels, out_row),
                (false, true) => self.pass_by_pixel::<false, true>(fy, iy, channels, out_row),
            }
        }
    }

    /// [`Kernel::pass`] for channels `0..channels` of every pixel, channels innermost.
    ///
    /// # Safety
    /// As [`Kernel::row_3x3_by_pixel`], and `iy < in_h`.
    #[inline(always)]
    unsafe fn pass_by_pixel<const FIRST: bool, const LAST: bool>(
        &self,
        fy: usize,
        iy: usize,
        channels: usize,
        out_row: *mut f32,
    ) {
        let w = self.w;
        let c = w.out_c;
        let (lo, hi) = (f32x4_splat(self.act_min), f32x4_splat(self.act_max));
        let zero = f32x4_splat(0.0);
        let taps = self.filter.add(fy * 3 * c);
        let row = self.input.add(iy * w.in_w * c);
        let finish = |acc: v128, g: usize| if LAST { clamp(f32x4_add(acc, load(self.bias.add(g))), lo, hi) } else { acc };
        let start = |dst: *const f32| if FIRST { zero } else { load(dst) };
        for &(ox, fx0, fx1, ix0) in &self.edges[..self.edge_count] {
            let dst = out_row.add(ox * c);
            let src = row.add(ix0 * c);
            for g in (0..channels).step_by(LANES) {
                let mut acc = start(dst.add(g));
                for fx in fx0..fx1 {
                    acc = madd(acc, load(src.add((fx - fx0) * c + g)), load(taps.add(fx * c + g)));
                }
                store(dst.add(g), finish(acc, g));
            }
        }
        let (ox_lo, ox_hi) = self.columns;
        for ox in ox_lo..ox_hi {
            let src = row.add((ox * w.stride_w - w.pad_left) * c);
            let dst = out_row.add(ox * c);
            let (s1, s2, t1, t2) = (src.add(c), src.add(2 * c), taps.add(c), taps.add(2 * c));
            let mut g = 0;
            while g < channels {
                let mut acc = start(dst.add(g));
                acc = madd(acc, load(src.add(g)), load(taps.add(g)));
                acc = madd(acc, load(s1.add(g)), load(t1.add(g)));
                acc = madd(acc, load(s2.add(g)), load(t2.add(g)));
                store(dst.add(g), finish(acc, g));
                g += LANES;
            }
        }
    }

    /// Channels `0..channels` (a multiple of 4) of output pixel `ox`, any kernel size, in-image taps only.
    ///
    /// # Safety
    /// `rows` from `valid_taps` for this window; `out` holds the pixel's `c` floats.
    unsafe fn pixel_any(&self, rows: (usize, usize, usize), ox: usize, channels: usize, out: *mut f32) {
        let w = self.w;
        let c = w.out_c;
        let (fy0, fy1, iy0) = rows;
        let (fx0, fx1, ix0) = valid_taps(ox, w.stride_w, w.pad_left, w.kernel_w, w.in_w);
        let (lo, hi) = (f32x4_splat(self.act_min), f32x4_splat(self.act_max));
        for g in (0..channels).step_by(LANES) {
            let mut acc = f32x4_splat(0.0);
            for fy in fy0..fy1 {
                let src = self.input.add(((iy0 + fy - fy0) * w.in_w + ix0) * c + g);
                let flt = self.filter.add((fy * w.kernel_w + fx0) * c + g);
                for t in 0..fx1 - fx0 {
                    acc = madd(acc, load(src.add(t * c)), load(flt.add(t * c)));
                }
            }
            store(out.add(g), clamp(f32x4_add(acc, load(self.bias.add(g))), lo, hi));
        }
    }

    /// Channels `first..c` of output pixel `ox` in scalar code, any kernel size, in-image taps only.
    ///
    /// # Safety
    /// As [`Kernel::pixel_any`].
    unsafe fn pixel_scalar(&self, rows: (usize, usize, usize), ox: usize, first: usize, out: *mut f32) {
        let w = self.w;
        let c = w.out_c;
        let (fy0, fy1, iy0) = rows;
        let (fx0, fx1, ix0) = valid_taps(ox, w.stride_w, w.pad_left, w.kernel_w, w.in_w);
        for ch in first..c {
            let mut total = 0.0f32;
            for fy in fy0..fy1 {
                let src = self.input.add(((iy0 + fy - fy0) * w.in_w + ix0) * c + ch);
                let flt = self.filter.add((fy * w.kernel_w + fx0) * c + ch);
                for t in 0..fx1 - fx0 {
                    total += *src.add(t * c) * *flt.add(t * c);
                }
            }
            *out.add(ch) = activation_with_min_max(total + *self.bias.add(ch), self.act_min, self.act_max);
        }
    }
}
