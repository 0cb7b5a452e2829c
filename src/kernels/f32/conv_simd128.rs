//! Any other float convolution with a small receptive field (in MobileNet V1, the 3×3 stride-2 stem over RGB) on
//! the SIMD GEMM, with no copy for interior pixels.
//!
//! An output pixel whose taps all lie inside the image reads its GEMM row straight from the image: `kernel_h` runs
//! of `kernel_w·in_c` contiguous floats (NHWC keeps a filter row's taps and channels together), one image row apart,
//! and the next pixel's row starts `stride·in_c` floats later (see [`Lhs`]). Pixels touching the padding (the
//! first/last rows and columns) are copied into a 16 KiB stack buffer in TFLite's tap order (`filter_y`,
//! `filter_x`, `in_channel`) with zeros for out-of-image taps (im2col), and go through the same GEMM. Stack scratch
//! keeps the kernel stateless, so any number of row blocks can run at once.
//!
//! The zero taps keep the result bit-identical to [`conv2d_ref`](super::conv2d_ref), which skips those taps: a
//! sum that starts at +0 never becomes −0, so adding a `0·w = ±0` product (weights are finite; the plan checks)
//! leaves it unchanged.

use super::gemm_simd128::{gemm, Lhs};
use super::packing::PackedGemm;
use crate::kernels::{valid_taps, Window2d};

/// Floats of stack scratch for im2col'd border pixels.
const CHUNK_FLOATS: usize = 4096;
/// Fewest border pixels per scratch chunk worth a GEMM call (one full micro-kernel tile).
const MIN_CHUNK_PIXELS: usize = 4;

/// Whether [`conv2d_simd128`] takes window `w`: its receptive field (`kernel_h·kernel_w·in_c` floats) must leave
/// room for a few border pixels per scratch chunk, i.e. at most 1024 floats.
pub fn conv2d_simd128_supported(w: &Window2d) -> bool {
    w.kernel_h * w.kernel_w * w.in_c * MIN_CHUNK_PIXELS <= CHUNK_FLOATS
}

/// float convolution of one HWC image with packed weights (`weights.k() == kernel_h·kernel_w·in_c`), clamped to
/// `[act_min, act_max]`. Dilation 1.
///
/// # Panics
/// If the slices or `weights` disagree with `w`, or `w` is not [`conv2d_simd128_supported`] (plan bugs).
pub fn conv2d_simd128(
    w: &Window2d,
    input: &[f32],
    weights: &PackedGemm,
    act_min: f32,
    act_max: f32,
    output: &mut [f32],
) {
    assert!(conv2d_simd128_supported(w), "conv: receptive field too large");
    assert!(weights.k() == w.kernel_h * w.kernel_w * w.in_c && weights.n() == w.out_c, "conv: weights do not match");
    assert!(input.len() == w.input_len() && output.len() == w.output_len(), "conv: buffer sizes");
    let mut border = Border { w, input, weights, act_min, act_max, scratch: [0.0; CHUNK_FLOATS], start: 0, len: 0 };
    let (ox_lo, ox_hi) = interior_columns(w);
    for oy in 0..w.out_h {
        let (fy0, fy1, iy0) = valid_taps(oy, w.stride_h, w.pad_top, w.kernel_h, w.in_h);
        let row = oy * w.out_w;
        if fy1 - fy0 < w.kernel_h || ox_hi == ox_lo {
            border.add(row, w.out_w, output);
            continue;
        }
        border.add(row, ox_lo, output);
        let lhs = Lhs {
            base: input[(iy0 * w.in_w + ox_lo * w.stride_w - w.pad_left) * w.in_c..].as_ptr(),
            row_step: w.stride_w * w.in_c,
            segments: w.kernel_h,
            run: w.kernel_w * w.in_c,
            segment_step: w.in_w * w.in_c,
        };
        let out = &mut output[(row + ox_lo) * w.out_c..(row + ox_hi) * w.out_c];
        // SAFETY: every tap of pixels `ox_lo..ox_hi` of this row is inside the image (`interior_columns`, full
        // filter rows), and `out` holds their outputs.
        unsafe { gemm(ox_hi - ox_lo, &lhs, weights, act_min, act_max, out.as_mut_ptr(), w.out_c) };
        border.add(row + ox_hi, w.out_w - ox_hi, output);
    }
    border.flush(output);
}

/// Output columns `[lo, hi)` whose `kernel_w` column taps all lie inside the image (`lo == hi` when none do).
fn interior_columns(w: &Window2d) -> (usize, usize) {
    let lo = w.pad_left.div_ceil(w.stride_w).min(w.out_w);
    // ox·s − pad + kernel_w ≤ in_w  ⇔  ox ≤ (in_w + pad − kernel_w) / s
    let hi = match (w.in_w + w.pad_left).checked_sub(w.kernel_w) {
        Some(last) => (last / w.stride_w + 1).min(w.out_w),
        None => 0,
    };
    (lo, hi.max(lo))
}

/// Border pixels waiting in the im2col scratch: a run of consecutive output pixels `start..start+len` (the last
/// columns of one row and the first of the next are neighbours in memory, so runs merge across rows).
struct Border<'a> {
    w: &'a Window2d,
    input: &'a [f32],
    weights: &'a PackedGemm,
    act_min: f32,
    act_max: f32,
    scratch: [f32; CHUNK_FLOATS],
    start: usize,
    len: usize,
}

impl Border<'_> {
    /// Queue output pixels `first..first+count` (flat indices), computing whenever the scratch fills.
    fn add(&mut self, first: usize, count: usize, output: &mut [f32]) {
        let k = self.weights.k();
        for p in first..first + count {
            if self.len > 0 && (self.start + self.len != p || (self.len + 1) * k > CHUNK_FLOATS) {
                self.flush(output);
            }
            if self.len == 0 {
                self.start = p;
            }
            let w = self.w;
            gather_patch(w, self.input, p / w.out_w, p % w.out_w, &mut self.scratch[self.len * k..][..k]);
            self.len += 1;
        }
    }

    /// Run the GEMM over the queued pixels.
    fn flush(&mut self, output: &mut [f32]) {
        if self.len == 0 {
            return;
        }
        let (k, n) = (self.weights.k(), self.w.out_c);
        let out = &mut output[self.start * n..][..self.len * n];
        // SAFETY: the scratch holds `len` gathered rows of `k`; `out` holds their outputs.
        unsafe {
            let lhs = Lhs::matrix(self.scratch.as_ptr(), k, k);
            gemm(self.len, &lhs, self.weights, self.act_min, self.act_max, out.as_mut_ptr(), n);
        }
        self.len = 0;
    }
}

/// Copy the receptive field of output pixel (`oy`, `ox`) into `patch` (`kernel_h·kernel_w·in_c` floats), taps in
/// TFLite order, zeros outside the image.
fn gather_patch(w: &Window2d, input: &[f32], oy: usize, ox: usize, patch: &mut [f32]) {
    let (c, kw) = (w.in_c, w.kernel_w);
    let (fy0, fy1, iy0) = valid_taps(oy, w.stride_h, w.pad_top, w.kernel_h, w.in_h);
    let (fx0, fx1, ix0) = valid_taps(ox, w.stride_w, w.pad_left, kw, w.in_w);
    patch.fill(0.0);
    let run = (fx1 - fx0) * c;
    for fy in fy0..fy1 {
        let iy = iy0 + (fy - fy0);
        let src = &input[(iy * w.in_w + ix0) * c..][..run];
        patch[(fy * kw + fx0) * c..][..run].copy_from_slice(src);
    }
}
