//! uint8 AVERAGE_POOL_2D, TFLite reference arithmetic (kernels/internal/reference/pooling.h, uint8 overload): the
//! window is clipped to the image (padding cells are not counted), `avg = (sum + count / 2) / count` in integers
//! (round half up; sums are non-negative), then `max(act_min)`, `min(act_max)`. Input and output share one
//! quantisation, so there is no requantisation.

use crate::kernels::{valid_taps, Window2d};

/// uint8 average pool of one HWC image; `kernel_h × kernel_w` is the filter size, `in_c == out_c`. `act_min` /
/// `act_max` come from [`super::activation_range`] on the output. A window with no cell inside the image (impossible
/// for SAME / VALID geometry; TFLite reports an error there) yields the clamped value 0 instead of dividing by zero.
pub fn average_pool_ref(w: &Window2d, act_min: i32, act_max: i32, input: &[u8], output: &mut [u8]) {
    let (in_w, out_w, c) = (w.in_w, w.out_w, w.out_c);
    debug_assert_eq!(w.in_c, w.out_c);
    debug_assert_eq!(input.len(), w.input_len());
    debug_assert_eq!(output.len(), w.output_len());
    let in_c = w.in_c;
    for oy in 0..w.out_h {
        let (fy0, fy1, iy0) = valid_taps(oy, w.stride_h, w.pad_top, w.kernel_h, w.in_h);
        for ox in 0..out_w {
            let (fx0, fx1, ix0) = valid_taps(ox, w.stride_w, w.pad_left, w.kernel_w, in_w);
            // At most kernel_h * kernel_w cells of at most 255: far from i32 overflow for any real window.
            let count = ((fy1 - fy0) * (fx1 - fx0)) as i32;
            let out_px = &mut output[(oy * out_w + ox) * c..][..c];
            for (ch, out) in out_px.iter_mut().enumerate() {
                let mut acc: i32 = 0;
                for iy in iy0..iy0 + (fy1 - fy0) {
                    for ix in ix0..ix0 + (fx1 - fx0) {
                        acc = acc.wrapping_add(i32::from(input[(iy * in_w + ix) * in_c + ch]));
                    }
                }
                let avg = if count > 0 { acc.wrapping_add(count / 2) / count } else { 0 };
                *out = avg.max(act_min).min(act_max) as u8;
            }
        }
    }
}
