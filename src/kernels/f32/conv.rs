//! float CONV_2D as TFLite's reference kernel computes it (kernels/internal/reference/conv.h, float overload): per
//! output value, `total = 0` then `total += input * filter` over taps in `filter_y`, `filter_x`, `in_channel` order,
//! skipping taps outside the image; then `total + bias` and the activation clamp. Keeping that order (and no fused
//! multiply-add) is what makes the float sums identical.

use super::activation_with_min_max;
use crate::kernels::{valid_taps, Window2d};

/// float convolution of one HWC image. `filter` is OHWI (`[out_c][kernel_h][kernel_w][in_c]`), `bias` has `out_c`
/// entries (empty = no bias, i.e. 0), `output` is HWC; the result is clamped to `[act_min, act_max]` (use
/// `-inf`/`inf` for none). Dilation 1.
pub fn conv2d_ref(
    w: &Window2d,
    input: &[f32],
    filter: &[f32],
    bias: &[f32],
    act_min: f32,
    act_max: f32,
    output: &mut [f32],
) {
    let (in_w, in_c, out_w, out_c) = (w.in_w, w.in_c, w.out_w, w.out_c);
    let (kh, kw) = (w.kernel_h, w.kernel_w);
    debug_assert_eq!(input.len(), w.input_len());
    debug_assert_eq!(filter.len(), out_c * kh * kw * in_c);
    debug_assert!(bias.is_empty() || bias.len() == out_c);
    debug_assert_eq!(output.len(), w.output_len());

    for oy in 0..w.out_h {
        let (fy0, fy1, iy0) = valid_taps(oy, w.stride_h, w.pad_top, kh, w.in_h);
        for ox in 0..out_w {
            let (fx0, fx1, ix0) = valid_taps(ox, w.stride_w, w.pad_left, kw, in_w);
            let out_px = &mut output[(oy * out_w + ox) * out_c..][..out_c];
            for (oc, out) in out_px.iter_mut().enumerate() {
                let mut total = 0.0f32;
                for fy in fy0..fy1 {
                    let iy = iy0 + (fy - fy0);
                    for fx in fx0..fx1 {
                        let ix = ix0 + (fx - fx0);
                        let inp = &input[(iy * in_w + ix) * in_c..][..in_c];
                        let flt = &filter[((oc * kh + fy) * kw + fx) * in_c..][..in_c];
                        for (&i, &f) in inp.iter().zip(flt) {
                            total += i * f;
                        }
                    }
                }
                let b = bias.get(oc).copied().unwrap_or(0.0);
                *out = activation_with_min_max(total + b, act_min, act_max);
            }
        }
    }
}
