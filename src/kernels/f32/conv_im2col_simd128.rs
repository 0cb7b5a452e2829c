//! Any other float convolution (in MobileNet V1, the 3×3 stride-2 stem over RGB) as im2col + the SIMD GEMM.
//!
//! A few output rows at a time, every output pixel's receptive field is copied into a row of `scratch` in TFLite's
//! tap order (`filter_y`, `filter_x`, `in_channel`), with zeros for taps outside the image, and the GEMM turns those
//! rows into output pixels. The chunk is sized to stay in L1/L2 (about 64 KiB), so the copy costs little next to
//! the `kernel_h·kernel_w·in_c` multiply-adds per output value.
//!
//! The zero taps keep the result bit-identical to [`conv2d_ref`](super::conv2d_ref), which skips those taps: a
//! sum that starts at +0 never becomes −0, so adding a `0·w = ±0` product (weights are finite; the plan checks)
//! leaves it unchanged.

use super::gemm_simd128::gemm;
use super::packing::PackedGemm;
use crate::kernels::{valid_taps, Window2d};

/// Floats of im2col scratch to aim for per chunk of output rows.
const CHUNK_FLOATS: usize = 16 * 1024;

/// Output rows per im2col chunk for window `w` (at least 1).
fn rows_per_chunk(w: &Window2d) -> usize {
    let row = w.out_w * w.kernel_h * w.kernel_w * w.in_c;
    (CHUNK_FLOATS / row.max(1)).clamp(1, w.out_h.max(1))
}

/// Length of the scratch buffer [`conv2d_im2col_simd128`] needs for window `w` (allocate it once, at load).
pub fn conv2d_im2col_scratch_len(w: &Window2d) -> usize {
    rows_per_chunk(w) * w.out_w * w.kernel_h * w.kernel_w * w.in_c
}

/// float convolution of one HWC image with packed weights (`weights.k() == kernel_h·kernel_w·in_c`), clamped to
/// `[act_min, act_max]`; `scratch` needs [`conv2d_im2col_scratch_len`] floats. Dilation 1.
///
/// # Panics
/// If the slices or `weights` disagree with `w` (a plan bug).
pub fn conv2d_im2col_simd128(
    w: &Window2d,
    input: &[f32],
    weights: &PackedGemm,
    act_min: f32,
    act_max: f32,
    scratch: &mut [f32],
    output: &mut [f32],
) {
    let k = w.kernel_h * w.kernel_w * w.in_c;
    assert!(weights.k() == k && weights.n() == w.out_c, "im2col conv: weights do not match the window");
    assert!(input.len() == w.input_len() && output.len() == w.output_len(), "im2col conv: buffer sizes");
    assert!(scratch.len() >= conv2d_im2col_scratch_len(w), "im2col conv: scratch too short");
    let chunk = rows_per_chunk(w);
    let mut oy0 = 0;
    while oy0 < w.out_h {
        let rows = chunk.min(w.out_h - oy0);
        let pixels = rows * w.out_w;
        for (p, patch) in scratch[..pixels * k].chunks_exact_mut(k).enumerate() {
            gather_patch(w, input, oy0 + p / w.out_w, p % w.out_w, patch);
        }
        let out = &mut output[oy0 * w.out_w * w.out_c..][..pixels * w.out_c];
        // SAFETY: `scratch` holds `pixels` rows of `k`, `out` holds `pixels` rows of `out_c`.
        unsafe { gemm(pixels, scratch.as_ptr(), k, weights, act_min, act_max, out.as_mut_ptr(), w.out_c) };
        oy0 += rows;
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
