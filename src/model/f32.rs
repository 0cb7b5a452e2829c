//! The float32 network: how each recognised layer is planned and run. The choice of kernel variant for every
//! float layer is made here, in one place.

use super::executor::Arena;
use super::plan::{constant, le_words, Planned};
use super::recognise::{LayerKind, LayerSpec};
use crate::error::{Error, Result};
use crate::kernels::f32 as kf32;
use crate::tflite::{self, Graph};

/// One float layer with everything its kernel needs.
#[derive(Debug, Clone)]
pub enum F32Layer {
    Conv { filter: Vec<f32>, bias: Vec<f32>, act_min: f32, act_max: f32 },
    Depthwise { filter: Vec<f32>, bias: Vec<f32>, act_min: f32, act_max: f32 },
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
            if filter.iter().chain(&bias).any(|v| !v.is_finite()) {
                return Err(Error::malformed(format!("operator {}: non-finite weights", l.op_index)));
            }
            if l.kind == LayerKind::Conv {
                F32Layer::Conv { filter, bias, act_min, act_max }
            } else {
                F32Layer::Depthwise { filter, bias, act_min, act_max }
            }
        }
        LayerKind::AveragePool => F32Layer::AveragePool { act_min, act_max },
        LayerKind::Softmax => F32Layer::Softmax { beta: l.beta },
    };
    Ok(Planned { kind: l.kind, op_index: l.op_index, window: l.window, params })
}

/// Run every float layer; see [`run_q8`].
pub fn run_f32(layers: &[Planned<F32Layer>], arena: &mut Arena<f32>, mut observe: Option<&mut dyn FnMut(usize, &[f32])>) {
    for (i, l) in layers.iter().enumerate() {
        let w = &l.window;
        let (input, output) = arena.io(i, w.input_len(), w.output_len());
        match &l.params {
            F32Layer::Conv { filter, bias, act_min, act_max } => {
                kf32::conv2d_ref(w, input, filter, bias, *act_min, *act_max, output)
            }
            F32Layer::Depthwise { filter, bias, act_min, act_max } => {
                kf32::depthwise_conv2d_ref(w, input, filter, bias, *act_min, *act_max, output)
            }
            F32Layer::AveragePool { act_min, act_max } => kf32::average_pool_ref(w, *act_min, *act_max, input, output),
            F32Layer::Softmax { beta } => kf32::softmax_ref(*beta, input, output),
        }
        if let Some(f) = observe.as_mut() {
            f(l.op_index, output);
        }
    }
}
