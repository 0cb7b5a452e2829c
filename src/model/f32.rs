//! The float32 network: how each recognised layer is planned and run. The choice of kernel variant for every
//! float layer is made here, in one place ([`plan_f32`]):
//!
//! | layer                       | wasm32 (SIMD128, or relaxed SIMD when built with it) | native        |
//! |-----------------------------|-------------------------------------------------------|---------------|
//! | 1×1 stride-1 conv           | GEMM over weights packed at load (`Pointwise`)        | `conv2d_ref`  |
//! | other conv (the 3×3/2 stem) | the same GEMM, rows read from the image (`ConvSimd`)  | `conv2d_ref`  |
//! | depthwise                   | channel-vectorised, 3×3 fast path (`DepthwiseSimd`)  | reference     |
//! | average pool, softmax       | scalar reference (well under 1 % of the time)        | reference     |

use super::executor::Arena;
use super::plan::{constant, le_words, Planned};
use super::recognise::{LayerKind, LayerSpec};
use crate::error::{Error, Result};
use crate::kernels::f32 as kf32;
use crate::kernels::Window2d;
use crate::parallel;
use crate::tflite::{self, Graph};

/// One float layer with everything its kernel needs.
#[derive(Debug, Clone)]
pub enum F32Layer {
    /// Reference convolution, TFLite's OHWI filter (native builds; wasm32 convolutions no SIMD kernel takes).
    Conv { filter: Vec<f32>, bias: Vec<f32>, act_min: f32, act_max: f32 },
    /// Reference depthwise convolution, filter `[kh][kw][c]` (native builds).
    Depthwise { filter: Vec<f32>, bias: Vec<f32>, act_min: f32, act_max: f32 },
    /// 1×1 stride-1 convolution: the SIMD GEMM straight over the input.
    #[cfg(target_arch = "wasm32")]
    Pointwise { weights: kf32::PackedGemm, act_min: f32, act_max: f32 },
    /// Any other convolution with a small receptive field (the stem): the SIMD GEMM reading the image directly.
    #[cfg(target_arch = "wasm32")]
    ConvSimd { weights: kf32::PackedGemm, act_min: f32, act_max: f32 },
    /// SIMD depthwise convolution, filter `[kh][kw][c]`, bias `c` entries.
    #[cfg(target_arch = "wasm32")]
    DepthwiseSimd { filter: Vec<f32>, bias: Vec<f32>, act_min: f32, act_max: f32 },
    AveragePool { act_min: f32, act_max: f32 },
    Softmax { beta: f32 },
}

fn f32_range(a: tflite::Activation) -> (f32, f32) {
    match a {
        tflite::Activation::Relu => (0.0, f32::INFINITY),
        tflite::Activation::Relu6 => (0.0, 6.0),
        tflite::Activation::ReluN1To1 => (-1.0, 1.0),
        _ => (f32::NEG_INFINITY, f32::INFINITY),
    }
}

pub(super) fn plan_f32(g: &Graph<'_>, l: &LayerSpec) -> Result<Planned<F32Layer>> {
    let (act_min, act_max) = f32_range(l.activation);
    let floats = |t: usize| -> Result<Vec<f32>> { Ok(le_words(constant(g, t)?).map(f32::from_le_bytes).collect()) };
    let params = match l.kind {
        LayerKind::Conv | LayerKind::Depthwise => {
            let filter = floats(l.filter.unwrap_or(0))?;
            let bias = floats(l.bias.unwrap_or(0))?;
            // Finite weights are also what lets the SIMD kernels pad with zero taps and stay exact.
            if filter.iter().chain(&bias).any(|v| !v.is_finite()) {
                return Err(Error::malformed(format!("operator {}: non-finite weights", l.op_index)));
            }
            choose_kernel(l, &l.window, filter, bias, act_min, act_max)?
        }
        LayerKind::AveragePool => F32Layer::AveragePool { act_min, act_max },
        LayerKind::Softmax => F32Layer::Softmax { beta: l.beta },
    };
    Ok(Planned { kind: l.kind, op_index: l.op_index, window: l.window, params })
}

/// The SIMD128 kernels, weights packed now so a frame only computes.
#[cfg(target_arch = "wasm32")]
fn choose_kernel(
    l: &LayerSpec,
    w: &Window2d,
    filter: Vec<f32>,
    bias: Vec<f32>,
    act_min: f32,
    act_max: f32,
) -> Result<F32Layer> {
    let size_error = || Error::malformed(format!("operator {}: weight sizes do not match the layer", l.op_index));
    if l.kind == LayerKind::Depthwise {
        if filter.len() != w.kernel_h * w.kernel_w * w.out_c || w.in_c != w.out_c {
            return Err(size_error());
        }
        let bias = if bias.is_empty() { vec![0.0; w.out_c] } else { bias };
        if bias.len() != w.out_c {
            return Err(size_error());
        }
        return Ok(F32Layer::DepthwiseSimd { filter, bias, act_min, act_max });
    }
    let (pointwise, direct) = (kf32::is_pointwise(w), kf32::conv2d_simd128_supported(w));
    if !pointwise && !direct {
        return Ok(F32Layer::Conv { filter, bias, act_min, act_max });
    }
    let k = w.kernel_h * w.kernel_w * w.in_c;
    let weights = kf32::PackedGemm::from_ohwi(&filter, &bias, w.out_c, k).ok_or_else(size_error)?;
    Ok(if pointwise {
        F32Layer::Pointwise { weights, act_min, act_max }
    } else {
        F32Layer::ConvSimd { weights, act_min, act_max }
    })
}

/// Native builds run the scalar reference kernels.
#[cfg(not(target_arch = "wasm32"))]
fn choose_kernel(
    l: &LayerSpec,
    _w: &Window2d,
    filter: Vec<f32>,
    bias: Vec<f32>,
    act_min: f32,
    act_max: f32,
) -> Result<F32Layer> {
    Ok(if l.kind == LayerKind::Conv {
        F32Layer::Conv { filter, bias, act_min, act_max }
    } else {
        F32Layer::Depthwise { filter, bias, act_min, act_max }
    })
}

/// Run every float layer; see [`run_q8`](super::q8::run_q8). The kernels keep no state between calls, so a
/// threaded build can hand each of them a block of rows (a smaller [`Window2d`]) on any thread.
pub fn run_f32(layers: &[Planned<F32Layer>], arena: &mut Arena<f32>, mut observe: Option<super::LayerObserver<'_, f32>>) {
    for (i, l) in layers.iter().enumerate() {
        let w = &l.window;
        let (input, output) = arena.io(i, w.input_len(), w.output_len());
        // Window ops run in row/pixel blocks across the thread pool (one block without the `threads` feature).
        let split = |output: &mut [f32], kernel: &super::BlockKernel<'_, f32>| {
            parallel::for_each_block(w, super::work_of(l), input, output, kernel)
        };
        match &l.params {
            F32Layer::Conv { filter, bias, act_min, act_max } => {
                split(output, &|w, i, o| kf32::conv2d_ref(w, i, filter, bias, *act_min, *act_max, o))
            }
            F32Layer::Depthwise { filter, bias, act_min, act_max } => {
                split(output, &|w, i, o| kf32::depthwise_conv2d_ref(w, i, filter, bias, *act_min, *act_max, o))
            }
            // One output pixel (the classifier): split by 16-channel units instead of pixels.
            #[cfg(target_arch = "wasm32")]
            F32Layer::Pointwise { weights, act_min, act_max } if w.out_h * w.out_w == 1 => {
                parallel::for_each_channel_block(w.out_c, 2 * kf32::PANEL_WIDTH, super::work_of(l), output, |u, o| {
                    kf32::pointwise_channel_units_simd128(w, input, weights, *act_min, *act_max, u, o)
                })
            }
            #[cfg(target_arch = "wasm32")]
            F32Layer::Pointwise { weights, act_min, act_max } => {
                split(output, &|w, i, o| kf32::pointwise_conv2d_simd128(w, i, weights, *act_min, *act_max, o))
            }
            #[cfg(target_arch = "wasm32")]
            F32Layer::ConvSimd { weights, act_min, act_max } => {
                split(output, &|w, i, o| kf32::conv2d_simd128(w, i, weights, *act_min, *act_max, o))
            }
            #[cfg(target_arch = "wasm32")]
            F32Layer::DepthwiseSimd { filter, bias, act_min, act_max } => {
                split(output, &|w, i, o| kf32::depthwise_conv2d_simd128(w, i, filter, bias, *act_min, *act_max, o))
            }
            F32Layer::AveragePool { act_min, act_max } => kf32::average_pool_ref(w, *act_min, *act_max, input, output),
            F32Layer::Softmax { beta } => kf32::softmax_ref(*beta, input, output),
        }
        if let Some(f) = observe.as_mut() {
            f(l.op_index, output);
        }
    }
}
