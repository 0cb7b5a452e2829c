//! float depthwise convolution (depth multiplier 1) for SIMD128, channel-vectorised, with a 3×3 fast path for
//! both strides.
//!
//! Every output row is split into interior pixels, whose 3×3 taps all lie inside the image, and border pixels.
//! Interior pixels run a branch-free loop per group of 4 channels that keeps the group's 9 weight vectors and bias
//! in registers and walks the row (`stride·channels` floats per step). Border pixels (the padded first/last
//! row and column, ≤ 2 of each) take a general path that visits only in-image taps, like the reference; it also
//! serves any kernel size. Channels past the last multiple of 4 are summed in scalar code, in the same order.
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
    let k = Kernel { w, input: input.as_ptr(), filter: filter.as_ptr(), bias: bias.as_ptr(), act_min, act_max };
    let (ox_lo, ox_hi) = interior_columns(w);
    for oy in 0..w.out_h {
        let rows = valid_taps(oy, w.stride_h, w.pad_top, w.kernel_h, w.in_h);
        let out_row = &mut output[oy * w.out_w * c..][..w.out_w * c];
        let full_3x3 = (w.kernel_h, w.kernel_w) == (3, 3) && rows.1 - rows.0 == 3 && ox_hi > ox_lo;
        let (lo, hi) = if full_3x3 { (ox_lo, ox_hi) } else { (w.out_w, w.out_w) };
        // SAFETY: the asserts above make every index the loops form stay inside `input`, `filter`, `bias`, and
        // the pixels stay inside `out_row`.
        unsafe {
            for ox in (0..lo).chain(hi..w.out_w) {
                k.border_pixel(rows, ox, out_row.as_mut_ptr().add(ox * c));
            }
            if hi > lo {
                k.interior_3x3(rows.2, lo, hi, out_row.as_mut_ptr());
            }
        }
    }
}

/// Output columns `[lo, hi)` whose 3 column taps are all inside the image (`lo == hi` when none are).
fn interior_columns(w: &Window2d) -> (usize, usize) {
    let s = w.stride_w;
    let lo = w.pad_left.div_ceil(s);
    // ox·s − pad + 2 ≤ in_w − 1  ⇔  ox ≤ (in_w + pad − 3) / s
    let hi = match (w.in_w + w.pad_left).checked_sub(3) {
        Some(last) => (last / s + 1).min(w.out_w),
        None => 0,
    };
    (lo.min(w.out_w), hi.max(lo).min(w.out_w))
}

/// Everything the per-pixel code needs, as raw pointers checked once by the caller.
struct Kernel<'a> {
    w: &'a Window2d,
    input: *const f32,
    filter: *const f32,
    bias: *const f32,
    act_min: f32,
    act_max: f32,
}

impl Kernel<'_> {
    /// Output pixel `ox` of a row whose in-image filter rows are `rows = (fy0, fy1, iy0)`, any kernel size.
    ///
    /// # Safety
    /// `out` holds `c` writable floats; `rows` comes from `valid_taps` for this window.
    unsafe fn border_pixel(&self, rows: (usize, usize, usize), ox: usize, out: *mut f32) {
        let w = self.w;
        let c = w.out_c;
        let (fy0, fy1, iy0) = rows;
        let (fx0, fx1, ix0) = valid_taps(ox, w.stride_w, w.pad_left, w.kernel_w, w.in_w);
        let (lo, hi) = (f32x4_splat(self.act_min), f32x4_splat(self.act_max));
        let mut g = 0;
        while g + LANES <= c {
            let mut acc = f32x4_splat(0.0);
            for fy in fy0..fy1 {
                let src = self.input.add(((iy0 + fy - fy0) * w.in_w + ix0) * c + g);
                let flt = self.filter.add((fy * w.kernel_w + fx0) * c + g);
                for t in 0..fx1 - fx0 {
                    acc = madd(acc, load(src.add(t * c)), load(flt.add(t * c)));
                }
            }
            store(out.add(g), clamp(f32x4_add(acc, load(self.bias.add(g))), lo, hi));
            g += LANES;
        }
        for ch in g..c {
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

    /// Interior pixels `[ox_lo, ox_hi)` of a row whose three filter rows start at input row `iy0`, 3×3 kernel.
    ///
    /// # Safety
    /// Every tap of those pixels is inside the image; `out_row` holds the row's `out_w·c` floats.
    unsafe fn interior_3x3(&self, iy0: usize, ox_lo: usize, ox_hi: usize, out_row: *mut f32) {
        let w = self.w;
        let c = w.out_c;
        let (lo, hi) = (f32x4_splat(self.act_min), f32x4_splat(self.act_max));
        let line = w.in_w * c;
        let step = w.stride_w * c;
        // Input of the first interior pixel's top-left tap, channel 0.
        let first = self.input.add((iy0 * w.in_w + ox_lo * w.stride_w - w.pad_left) * c);
        let mut g = 0;
        while g + LANES <= c {
            let f = |t: usize| load(self.filter.add(t * c + g));
            let (w0, w1, w2, w3, w4, w5, w6, w7, w8) = (f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7), f(8));
            let b = load(self.bias.add(g));
            let mut src = first.add(g);
            let mut dst = out_row.add(ox_lo * c + g);
            for _ in ox_lo..ox_hi {
                let (r1, r2) = (src.add(line), src.add(2 * line));
                let mut acc = madd(f32x4_splat(0.0), load(src), w0);
                acc = madd(acc, load(src.add(c)), w1);
                acc = madd(acc, load(src.add(2 * c)), w2);
                acc = madd(acc, load(r1), w3);
                acc = madd(acc, load(r1.add(c)), w4);
                acc = madd(acc, load(r1.add(2 * c)), w5);
                acc = madd(acc, load(r2), w6);
                acc = madd(acc, load(r2.add(c)), w7);
                acc = madd(acc, load(r2.add(2 * c)), w8);
                store(dst, clamp(f32x4_add(acc, b), lo, hi));
                src = src.add(step);
                dst = dst.add(c);
            }
            g += LANES;
        }
        if g < c {
            for ox in ox_lo..ox_hi {
                let src = first.add((ox - ox_lo) * step);
                for ch in g..c {
                    let mut total = 0.0f32;
                    for t in 0..9 {
                        total += *src.add((t / 3) * line + (t % 3) * c + ch) * *self.filter.add(t * c + ch);
                    }
                    let v = activation_with_min_max(total + *self.bias.add(ch), self.act_min, self.act_max);
                    *out_row.add(ox * c + ch) = v;
                }
            }
        }
    }
}
