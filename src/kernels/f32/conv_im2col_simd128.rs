//! Any other float convolution (in MobileNet V1, the 3×3 stride-2 stem over RGB) as im2col + the SIMD GEMM.
//!
//! A chunk of output pixels at a time, every pixel's receptive field is copied into a row of a 16 KiB scratch
//! buffer on the stack (so the kernel needs no state and any number of row blocks can run at once) in TFLite's tap
//! order (`filter_y`, `filter_x`, `in_channel`), with zeros for taps outside the image; the GEMM turns those rows
//! into output pixels. The copy costs little next to the `kernel_h·kernel_w·in_c` multiply-adds per output value.
//! Windows whose receptive field is too big for a useful chunk ([`conv2d_im2col_supported`]) stay on the reference.
//!
//! The zero taps keep the result bit-identical to [`conv2d_ref`](super::conv2d_ref), which skips those taps: a
//! sum that starts at +0 never becomes −0, so adding a `0·w = ±0` product (weights are finite; the plan checks)
//! leaves it unchanged.

use super::gemm_simd128::gemm;
use super::packing::PackedGemm;
use crate::kernels::{valid_taps, Window2d};

/// Floats of stack scratch per chunk.
const CHUNK_FLOATS: usize = 4096;
/// Fewest pixels per chunk worth a GEMM call (one full micro-kernel tile).
const MIN_CHUNK_PIXELS: usize = 4;

/// Whether [`conv2d_im2col_simd128`] takes window `w` (its receptive field, `kernel_h·kernel_w·in_c` floats, must
/// leave room for a few pixels per chunk: at most 1024 floats).
pub fn conv2d_im2col_supported(w: &Window2d) -> bool {
    w.kernel_h * w.kernel_w * w.in_c * MIN_CHUNK_PIXELS <= CHUNK_FLOATS
}

/// float convolution of one HWC image with packed weights (`weights.k() == kernel_h·kernel_w·in_c`), clamped to
/// `[act_min, act_max]`. Dilation 1.
///
/// # Panics
/// If the slices or `weights` disagree with `w`, or `w` is not [`conv2d_im2col_supported`] (plan bugs).
pub fn conv2d_im2col_simd128(
    w: &Window2d,
    input: &[f32],
    weights: &PackedGemm,
    act_min: f32,
    act_max: f32,
    output: &mut [f32],
) {
    let k = w.kernel_h * w.kernel_w * w.in_c;
    assert!(conv2d_im2col_supported(w), "im2col conv: receptive field too large");
    assert!(weights.k() == k && weights.n() == w.out_c, "im2col conv: weights do not match the window");
    assert!(input.len() == w.input_len() && output.len() == w.output_len(), "im2col conv: buffer sizes");
    let mut scratch = [0f32; CHUNK_FLOATS];
    let chunk = CHUNK_FLOATS / k;
    let pixels = w.out_h * w.out_w;
    let mut p0 = 0;
    while p0 < pixels {
        let n = chunk.min(pixels - p0);
        for (p, patch) in scratch[..n * k].chunks_exact_mut(k).enumerate() {
            gather_patch(w, input, (p0 + p) / w.out_w, (p0 + p) % w.out_w, patch);
        }
        let out = &mut output[p0 * w.out_c..][..n * w.out_c];
        // SAFETY: `scratch` holds `n` rows of `k`, `out` holds `n` rows of `out_c`.
        unsafe { gemm(n, scratch.as_ptr(), k, weights, act_min, act_max, out.as_mut_ptr(), w.out_c) };
        p0 += n;
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
