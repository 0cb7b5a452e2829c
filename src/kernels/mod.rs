//! Compute kernels. They know nothing of `.tflite`, models or JS: they take slices, shapes and parameters that the
//! plan resolved once at load time. Two families, `f32` and `q8` (uint8, TFLite-exact), each with a plain scalar
//! reference beside any SIMD128 variant.

pub mod f32;
pub mod q8;

/// Fused activation of a convolution or pool, shared by both kernel families (the lead's plan maps TFLite's
/// fused activation onto this; q8 turns it into a clamp range with `q8::activation_range`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    None,
    Relu,
    Relu6,
}

/// Geometry of a 2-D window op (conv, depthwise conv, pooling) over one NHWC image (batch 1), resolved at plan time.
/// Padding is explicit (TFLite SAME: `pad_total = max((out-1)*stride + kernel - in, 0)`, `pad_before = pad_total/2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window2d {
    pub in_h: usize,
    pub in_w: usize,
    pub in_c: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub out_c: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub pad_top: usize,
    pub pad_left: usize,
}

impl Window2d {
    pub fn input_len(&self) -> usize {
        self.in_h * self.in_w * self.in_c
    }
    pub fn output_len(&self) -> usize {
        self.out_h * self.out_w * self.out_c
    }
}

/// The filter taps of one output coordinate that land inside the input, along one axis: `(k_start, k_end, i_start)`
/// with taps `k_start..k_end` reading input indices `i_start..`. TFLite's reference kernels skip out-of-bounds taps
/// (zero padding; for pooling the window is clipped), so iterating only this range visits the same taps in the same
/// order and keeps float sums bit-identical. Saturating arithmetic: never panics, an empty range is `k_end == k_start`.
#[inline]
pub(crate) fn valid_taps(o: usize, stride: usize, pad: usize, kernel: usize, input: usize) -> (usize, usize, usize) {
    let origin = o.saturating_mul(stride); // input index of tap 0, plus `pad`
    let k_start = pad.saturating_sub(origin).min(kernel);
    let k_end = input.saturating_add(pad).saturating_sub(origin).min(kernel).max(k_start);
    (k_start, k_end, origin.saturating_add(k_start).saturating_sub(pad))
}
