//! float SOFTMAX as TFLite's reference kernel computes it (kernels/internal/reference/softmax.h, float overload):
//! `max` starts at the lowest float and takes `max < x ? x : max`; each `exp((x - max) * beta)` is stored and summed
//! left to right in `f32`; each output is `exp / sum`. `exp` is the platform `expf` (libm natively, Rust's `libm`
//! port on wasm), the one place where bit-exactness depends on the math library rather than on the order.

/// float softmax of one row (`input.len() == output.len()`). Empty rows are a no-op.
pub fn softmax_ref(beta: f32, input: &[f32], output: &mut [f32]) {
    debug_assert_eq!(input.len(), output.len());
    let mut max = f32::MIN;
    for &x in input {
        if max < x {
            max = x;
        }
    }
    let mut sum = 0.0f32;
    for (o, &x) in output.iter_mut().zip(input) {
        let e = ((x - max) * beta).exp();
        *o = e;
        sum += e;
    }
    for o in output.iter_mut() {
        *o /= sum;
    }
}
