//! float AVERAGE_POOL_2D as TFLite's reference kernel computes it (kernels/internal/reference/pooling.h, float
//! overload): the window is clipped to the image, `total` sums the cells in row-major window order, the cell count is
//! itself a float, `average = total / count`, then the activation clamp.

use super::activation_with_min_max;
use crate::kernels::{valid_taps, Window2d};

/// float average pool of one HWC image; `kernel_h × kernel_w` is the filter size, `in_c == out_c`. A window with no
/// cell inside the image (impossible for SAME / VALID geometry; TFLite reports an error) yields the clamped 0.
pub fn average_pool_ref(w: &Window2d, act_min: f32, act_max: f32, input: &[f32], output: &mut [f32]) {
    let (in_w, out_w, c) = (w.in_w, w.out_w, w.out_c);
    debug_assert_eq!(w.in_c, w.out_c);
    debug_assert_eq!(input.len(), w.input_len());
    debug_assert_eq!(output.len(), w.output_len());
    let in_c = w.in_c;
    for oy in 0..w.out_h {
        let (fy0, fy1, iy0) = valid_taps(oy, w.stride_h, w.pad_top, w.kernel_h, w.in_h);
        for ox in 0..out_w {
            let (fx0, fx1, ix0) = valid_taps(ox, w.stride_w, w.pad_left, w.kernel_w, in_w);
            let out_px = &mut output[(oy * out_w + ox) * c..][..c];
            for (ch, out) in out_px.iter_mut().enumerate() {
                let mut total = 0.0f32;
                let mut count = 0.0f32;
                for iy in iy0..iy0 + (fy1 - fy0) {
                    for ix in ix0..ix0 + (fx1 - fx0) {
                        total += input[(iy * in_w + ix) * in_c + ch];
                        count += 1.0;
                    }
                }
                let average = if count > 0.0 { total / count } else { 0.0 };
                *out = activation_with_min_max(average, act_min, act_max);
            }
        }
    }
}
