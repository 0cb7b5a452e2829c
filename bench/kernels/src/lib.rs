//! Times single kernels of mobilenet-wasm in the browser, so bench/ can report a kernel's GFLOP/s next to the
//! machine's f32x4 peak (bench/lib/peak.mjs). Not shipped; built by bench/bench.mjs into bench/kernels/pkg*.
//! It uses only the crate's public kernel API, so a change there shows up here as a build error that the harness
//! reports and skips.

use mobilenet_wasm::kernels::f32::{gemm_simd128, PackedGemm};
use wasm_bindgen::prelude::*;

/// One pointwise (1×1, stride 1) convolution as the model runs it: `m` pixels × `k` input channels → `n` output
/// channels through the packed-weight GEMM, ReLU6 clamp. Weights are packed once here, as the plan does at load.
#[wasm_bindgen]
pub struct Pointwise {
    m: usize,
    input: Vec<f32>,
    weights: PackedGemm,
    output: Vec<f32>,
}

#[wasm_bindgen]
impl Pointwise {
    #[wasm_bindgen(constructor)]
    pub fn new(m: usize, k: usize, n: usize) -> Result<Pointwise, JsError> {
        // xorshift32: fixed pseudo-random data in [-0.5, 0.5), so no zeros or denormals skew the timing.
        let mut state = 0x2545_f491_u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        let input = (0..m * k).map(|_| next()).collect();
        let filter: Vec<f32> = (0..n * k).map(|_| 0.1 * next()).collect(); // OHWI = [n][1][1][k]
        let bias: Vec<f32> = (0..n).map(|_| next()).collect();
        let weights = PackedGemm::from_ohwi(&filter, &bias, n, k).ok_or_else(|| JsError::new("weight packing refused the shape"))?;
        Ok(Pointwise { m, input, weights, output: vec![0.0; m * n] })
    }

    /// One convolution; returns one output value so the work cannot be optimised away.
    pub fn run(&mut self) -> f32 {
        let (k, n) = (self.weights.k(), self.weights.n());
        gemm_simd128(self.m, &self.input, k, &self.weights, 0.0, 6.0, &mut self.output, n);
        self.output[self.output.len() / 2]
    }
}
