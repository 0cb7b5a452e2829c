//! The plan: a recognised graph turned into typed layers with their constants decoded (and, for the fast kernels,
//! repacked) once at load, requantisation parameters precomputed, and every buffer size known.

use super::recognise::{DType, LayerKind, LayerSpec, Recognised};
use crate::error::{Error, Result};
use crate::kernels::q8::{ConvQuant, SoftmaxQuant};
use crate::kernels::{q8, Activation, Window2d};
use crate::tflite::{self, Graph, Tensor};

/// One uint8 layer with everything its kernel needs.
#[derive(Debug, Clone)]
pub enum Q8Layer {
    Conv { filter: Vec<u8>, bias: Vec<i32>, q: ConvQuant },
    Depthwise { filter: Vec<u8>, bias: Vec<i32>, q: ConvQuant },
    AveragePool { act_min: i32, act_max: i32 },
    Softmax { q: SoftmaxQuant },
}

/// One float layer with everything its kernel needs.
#[derive(Debug, Clone)]
pub enum F32Layer {
    Conv { filter: Vec<f32>, bias: Vec<f32>, act_min: f32, act_max: f32 },
    Depthwise { filter: Vec<f32>, bias: Vec<f32>, act_min: f32, act_max: f32 },
    AveragePool { act_min: f32, act_max: f32 },
    Softmax { beta: f32 },
}

/// A layer's kernel parameters plus where it sits in the graph.
#[derive(Debug, Clone)]
pub struct Planned<L> {
    pub kind: LayerKind,
    pub op_index: usize,
    pub window: Window2d,
    pub params: L,
}

/// Affine quantisation of one tensor: `real = scale * (q - zero_point)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantParams {
    pub scale: f32,
    pub zero_point: i32,
}

impl QuantParams {
    pub fn dequantize(&self, q: u8) -> f32 {
        self.scale * (i32::from(q) - self.zero_point) as f32
    }
}

#[derive(Debug, Clone)]
pub enum PlannedLayers {
    Q8 { layers: Vec<Planned<Q8Layer>>, embedding: QuantParams, output: QuantParams },
    F32 { layers: Vec<Planned<F32Layer>> },
}

pub fn plan(g: &Graph<'_>, r: &Recognised) -> Result<PlannedLayers> {
    match r.dtype {
        DType::UInt8 => {
            let layers = r.layers.iter().map(|l| plan_q8(g, l)).collect::<Result<Vec<_>>>()?;
            let pool = r.layers.iter().find(|l| l.kind == LayerKind::AveragePool).map(|l| l.output);
            let embedding = quant(&g.tensors[pool.unwrap_or(r.output_tensor)])?;
            let output = quant(&g.tensors[r.output_tensor])?;
            Ok(PlannedLayers::Q8 { layers, embedding, output })
        }
        DType::Float32 => {
            let layers = r.layers.iter().map(|l| plan_f32(g, l)).collect::<Result<Vec<_>>>()?;
            Ok(PlannedLayers::F32 { layers })
        }
    }
}

/// Per-tensor uint8 quantisation of a tensor, validated.
fn quant(t: &Tensor) -> Result<QuantParams> {
    let q = t
        .quantization
        .as_ref()
        .ok_or_else(|| Error::unsupported(format!("tensor '{}' has no quantisation parameters", t.name)))?;
    let (&[scale], &[zp]) = (q.scale.as_slice(), q.zero_point.as_slice()) else {
        return Err(Error::unsupported(format!(
            "tensor '{}' is quantised per axis ({} scales); only per-tensor uint8 models are supported",
            t.name,
            q.scale.len()
        )));
    };
    if !(scale.is_finite() && scale > 0.0) {
        return Err(Error::malformed(format!("tensor '{}' has quantisation scale {scale}", t.name)));
    }
    if !(0..=255).contains(&zp) {
        return Err(Error::malformed(format!("tensor '{}' has uint8 zero point {zp}", t.name)));
    }
    Ok(QuantParams { scale, zero_point: zp as i32 })
}

fn constant<'a>(g: &Graph<'a>, t: usize) -> Result<&'a [u8]> {
    let tensor = &g.tensors[t];
    let data = g.data(tensor);
    let elems: usize = tensor.shape.iter().map(|&d| d.max(0) as usize).product();
    let need = elems * tensor.ty.size().unwrap_or(0);
    if data.len() != need || need == 0 {
        return Err(Error::malformed(format!(
            "constant tensor '{}' holds {} bytes, its shape {:?} needs {need}",
            tensor.name,
            data.len(),
            tensor.shape
        )));
    }
    Ok(data)
}

fn le_words(bytes: &[u8]) -> impl Iterator<Item = [u8; 4]> + '_ {
    bytes.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]])
}

fn act_of(a: tflite::Activation) -> Activation {
    match a {
        tflite::Activation::Relu => Activation::Relu,
        tflite::Activation::Relu6 => Activation::Relu6,
        _ => Activation::None,
    }
}

fn plan_q8(g: &Graph<'_>, l: &LayerSpec) -> Result<Planned<Q8Layer>> {
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
            let (act_min, act_max) = q8::activation_range(act_of(l.activation), output.scale, output.zero_point);
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

fn f32_range(a: tflite::Activation) -> (f32, f32) {
    match a {
        tflite::Activation::Relu => (0.0, f32::INFINITY),
        tflite::Activation::Relu6 => (0.0, 6.0),
        tflite::Activation::ReluN1To1 => (-1.0, 1.0),
        _ => (f32::NEG_INFINITY, f32::INFINITY),
    }
}

fn plan_f32(g: &Graph<'_>, l: &LayerSpec) -> Result<Planned<F32Layer>> {
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
