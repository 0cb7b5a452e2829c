//! uint8 DEPTHWISE_CONV_2D, depth multiplier 1, TFLite reference arithmetic
//! (kernels/internal/reference/depthwiseconv_uint8.h). TFLite's uint8 reference entry point instantiates its basic
//! kernel with `DepthwiseConvOutputRounding::kUpward`, whose rounding step is plain `MultiplyByQuantizedMultiplier`,
//! i.e. exactly the conv requantisation ([`ConvQuant::finish`]); the other mode, `kAwayFromZero`, is only used by
//! tests and optimised-kernel comparisons there, and in the default double-rounding build computes the same thing.
//! Accumulation `Σ (filter + filter_offset) * (input + input_offset)` over in-image taps, wrapping `i32`.
//!
//! Channels are processed in blocks with the accumulators in a small stack array, so the inner loop runs over
//! contiguous channels (HWC input, `[kh][kw][c]` filter) without allocating.

use super::ConvQuant;
use crate::kernels::{valid_taps, Window2d};

const BLOCK: usize = 32;

/// uint8 depthwise convolution of one HWC image, `in_c == out_c` (depth multiplier 1). `filter` is `[kernel_h]
/// [kernel_w][c]` (TFLite's `[1][kh][kw][c]`), `bias` has `c` entries (empty = no bias), `output` is HWC. Dilation 1.
pub fn depthwise_conv2d_ref(w: &Window2d, input: &[u8], filter: &[u8], bias: &[i32], q: &ConvQuant, output: &mut [u8]) {
    let (in_w, out_w, c) = (w.in_w, w.out_w, w.out_c);
    let (kh, kw) = (w.kernel_h, w.kernel_w);
    debug_assert_eq!(w.in_c, w.out_c);
    debug_assert_eq!(input.len(), w.input_len());
    debug_assert_eq!(filter.len(), kh * kw * c);
    debug_assert!(bias.is_empty() || bias.len() == c);
    debug_assert_eq!(output.len(), w.output_len());
    let in_c = w.in_c;
    let input_offset = q.input_zero_point.wrapping_neg();
    let filter_offset = q.filter_zero_point.wrapping_neg();

    for oy in 0..w.out_h {
        let (fy0, fy1, iy0) = valid_taps(oy, w.stride_h, w.pad_top, kh, w.in_h);
        for ox in 0..out_w {
            let (fx0, fx1, ix0) = valid_taps(ox, w.stride_w, w.pad_left, kw, in_w);
            let out_px = &mut output[(oy * out_w + ox) * c..][..c];
            let mut c0 = 0;
            while c0 < c {
                let n = BLOCK.min(c - c0);
                let mut acc = [0i32; BLOCK];
                for fy in fy0..fy1 {
                    let iy = iy0 + (fy - fy0);
                    for fx in fx0..fx1 {
                        let ix = ix0 + (fx - fx0);
                        let inp = &input[(iy * in_w + ix) * in_c + c0..][..n];
                        let flt = &filter[(fy * kw + fx) * c + c0..][..n];
                        for ((a, &i), &f) in acc[..n].iter_mut().zip(inp).zip(flt) {
                            let term = (i32::from(f) + filter_offset).wrapping_mul(i32::from(i) + input_offset);
                            *a = a.wrapping_add(term);
                        }
                    }
                }
                for (k, (out, &a)) in out_px[c0..c0 + n].iter_mut().zip(&acc[..n]).enumerate() {
                    *out = q.finish(a, bias.get(c0 + k).copied().unwrap_or(0));
                }
                c0 += n;
            }
        }
    }
}
