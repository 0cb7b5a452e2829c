//! uint8 CONV_2D, TFLite reference arithmetic (kernels/internal/reference/conv.h, uint8 overload): for each output
//! value `acc = Σ (filter + filter_offset) * (input + input_offset)` over the taps inside the image (padding taps are
//! skipped, which is the same as reading the input zero point), in wrapping `i32`; then bias, requantisation
//! ([`super::multiply_by_quantized_multiplier`]), output zero point and the activation clamp ([`ConvQuant::finish`]).
//! Scalar and allocation-free: the reference the SIMD variants are tested against.

use super::ConvQuant;
use crate::kernels::{valid_taps, Window2d};

/// uint8 convolution of one HWC image. `filter` is OHWI (`[out_c][kernel_h][kernel_w][in_c]`), `bias` has `out_c`
/// entries (an empty `bias` means no bias, like TFLite's null bias), `output` is HWC. Dilation 1.
pub fn conv2d_ref(w: &Window2d, input: &[u8], filter: &[u8], bias: &[i32], q: &ConvQuant, output: &mut [u8]) {
    let (in_w, in_c, out_w, out_c) = (w.in_w, w.in_c, w.out_w, w.out_c);
    let (kh, kw) = (w.kernel_h, w.kernel_w);
    debug_assert_eq!(input.len(), w.input_len());
    debug_assert_eq!(filter.len(), out_c * kh * kw * in_c);
    debug_assert!(bias.is_empty() || bias.len() == out_c);
    debug_assert_eq!(output.len(), w.output_len());
    let input_offset = q.input_zero_point.wrapping_neg();
    let filter_offset = q.filter_zero_point.wrapping_neg();

    for oy in 0..w.out_h {
        let (fy0, fy1, iy0) = valid_taps(oy, w.stride_h, w.pad_top, kh, w.in_h);
        for ox in 0..out_w {
            let (fx0, fx1, ix0) = valid_taps(ox, w.stride_w, w.pad_left, kw, in_w);
            let out_px = &mut output[(oy * out_w + ox) * out_c..][..out_c];
            for (oc, out) in out_px.iter_mut().enumerate() {
                let mut acc: i32 = 0;
                for fy in fy0..fy1 {
                    let iy = iy0 + (fy - fy0);
                    for fx in fx0..fx1 {
                        let ix = ix0 + (fx - fx0);
                        let inp = &input[(iy * in_w + ix) * in_c..][..in_c];
                        let flt = &filter[((oc * kh + fy) * kw + fx) * in_c..][..in_c];
                        for (&i, &f) in inp.iter().zip(flt) {
                            let term = (i32::from(f) + filter_offset).wrapping_mul(i32::from(i) + input_offset);
                            acc = acc.wrapping_add(term);
                        }
                    }
                }
                *out = q.finish(acc, bias.get(oc).copied().unwrap_or(0));
            }
        }
    }
}
