//! float DEPTHWISE_CONV_2D, depth multiplier 1, as TFLite's reference kernel computes it
//! (kernels/internal/reference/depthwiseconv_float.h): per channel, `total = 0` then `total += input * filter` over
//! in-image taps in `filter_y`, `filter_x` order, then `total + bias` and the activation clamp.
//!
//! The per-channel totals are kept in the output pixel itself while the taps are walked, so the inner loop runs over
//! contiguous channels; each channel still sees exactly TFLite's sequence of additions.

use super::activation_with_min_max;
use crate::kernels::{valid_taps, Window2d};

/// float depthwise convolution of one HWC image, `in_c == out_c`. `filter` is `[kernel_h][kernel_w][c]`, `bias` has
/// `c` entries (empty = no bias), output clamped to `[act_min, act_max]`. Dilation 1.
pub fn depthwise_conv2d_ref(
    w: &Window2d,
    input: &[f32],
    filter: &[f32],
    bias: &[f32],
    act_min: f32,
    act_max: f32,
    output: &mut [f32],
) {
    let (in_w, out_w, c) = (w.in_w, w.out_w, w.out_c);
    let (kh, kw) = (w.kernel_h, w.kernel_w);
    debug_assert_eq!(w.in_c, w.out_c);
    debug_assert_eq!(input.len(), w.input_len());
    debug_assert_eq!(filter.len(), kh * kw * c);
    debug_assert!(bias.is_empty() || bias.len() == c);
    debug_assert_eq!(output.len(), w.output_len());
    let in_c = w.in_c;

    for oy in 0..w.out_h {
        let (fy0, fy1, iy0) = valid_taps(oy, w.stride_h, w.pad_top, kh, w.in_h);
        for ox in 0..out_w {
            let (fx0, fx1, ix0) = valid_taps(ox, w.stride_w, w.pad_left, kw, in_w);
            let out_px = &mut output[(oy * out_w + ox) * c..][..c];
            out_px.fill(0.0);
            for fy in fy0..fy1 {
                let iy = iy0 + (fy - fy0);
                for fx in fx0..fx1 {
                    let ix = ix0 + (fx - fx0);
                    let inp = &input[(iy * in_w + ix) * in_c..][..c];
                    let flt = &filter[(fy * kw + fx) * c..][..c];
                    for ((t, &i), &f) in out_px.iter_mut().zip(inp).zip(flt) {
                        *t += i * f;
                    }
                }
            }
            for (ch, t) in out_px.iter_mut().enumerate() {
                let b = bias.get(ch).copied().unwrap_or(0.0);
                *t = activation_with_min_max(*t + b, act_min, act_max);
            }
        }
    }
}
