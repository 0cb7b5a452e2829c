//! The uint8 network: how each recognised layer is planned (constants decoded, requantisation precomputed) and
//! run. The choice of kernel variant for every uint8 layer is made here, in one place.

use super::executor::Arena;
use super::plan::{act_of, constant, le_words, quant, Planned, QuantParams};
use super::recognise::{LayerKind, LayerSpec};
use crate::error::{Error, Result};
use crate::kernels::q8::{self as kq8, ConvQuant, SoftmaxQuant};
use crate::tflite::Graph;

/// One uint8 layer with everything its kernel needs.
#[derive(Debug, Clone)]
pub enum Q8Layer {
    Conv { filter: Vec<u8>, bias: Vec<i32>, q: ConvQuant },
    Depthwise { filter: Vec<u8>, bias: Vec<i32>, q: ConvQuant },
    AveragePool { act_min: i32, act_max: i32 },
    Softmax { q: SoftmaxQuant },
}

pub(super) fn plan_q8(g: &Graph<'_>, l: &LayerSpec) -> Result<Planned<Q8Layer>> {
    let input = quant(&g.tensors[l.input])?;
    let output = quant(&g.tensors[l.output])?;
    let params = match l.kind {
        LayerKind::Conv | LayerKind::Depthwise => {
            let (f, b) = (l.filter.unwrap_or(0), l.bias.unwrap_or(0));
            let fq = quant(&g.tensors[f])?;
            let filter = constant(g, f)?.to_vec();
            let bias = le_words(constant(g, b)?).map(i32::from_le_bytes).collect();
            let q = ConvQuant::new(
                input.scale,
                input.zero_point,
                fq.scale,
                fq.zero_point,
                output.scale,
                output.zero_point,
                act_of(l.activation),
            )
            .map_err(|m| Error::unsupported(format!("operator {}: {m}", l.op_index)))?;
            if l.kind == LayerKind::Conv {
                Q8Layer::Conv { filter, bias, q }
            } else {
                Q8Layer::Depthwise { filter, bias, q }
            }
        }
        LayerKind::AveragePool => {
            if input != output {
                return Err(Error::unsupported(format!(
                    "operator {}: average pool changes quantisation ({input:?} → {output:?})",
                    l.op_index
                )));
            }
            let (act_min, act_max) = kq8::activation_range(act_of(l.activation), output.scale, output.zero_point);
            Q8Layer::AveragePool { act_min, act_max }
        }
        LayerKind::Softmax => {
            if output != (QuantParams { scale: 1.0 / 256.0, zero_point: 0 }) {
                return Err(Error::unsupported(format!(
                    "operator {}: uint8 softmax output must have scale 1/256 and zero point 0, not {output:?}",
                    l.op_index
                )));
            }
            Q8Layer::Softmax { q: SoftmaxQuant::new(f64::from(l.beta), f64::from(input.scale)) }
        }
    };
    Ok(Planned { kind: l.kind, op_index: l.op_index, window: l.window, params })
}

/// Run every uint8 layer; `observe(op_index, output)` sees each layer's output (for per-layer golden tests).
pub fn run_q8(layers: &[Planned<Q8Layer>], arena: &mut Arena<u8>, mut observe: Option<&mut dyn FnMut(usize, &[u8])>) {
    for (i, l) in layers.iter().enumerate() {
        let w = &l.window;
        let (input, output) = arena.io(i, w.input_len(), w.output_len());
        match &l.params {
            Q8Layer::Conv { filter, bias, q } => kq8::conv2d_ref(w, input, filter, bias, q, output),
            Q8Layer::Depthwise { filter, bias, q } => kq8::depthwise_conv2d_ref(w, input, filter, bias, q, output),
            Q8Layer::AveragePool { act_min, act_max } => kq8::average_pool_ref(w, *act_min, *act_max, input, output),
            Q8Layer::Softmax { q } => kq8::softmax_ref(q, input, output),
        }
        if let Some(f) = observe.as_mut() {
            f(l.op_index, output);
        }
    }
}

