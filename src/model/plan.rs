//! The plan: a recognised graph turned into typed layers with their constants decoded (and, for the fast kernels,
//! repacked) once at load, requantisation parameters precomputed, and every buffer size known.

use super::f32::{plan_f32, F32Layer};
use super::q8::{plan_q8, Q8Layer};
use super::recognise::{DType, LayerKind, Recognised};
use crate::error::{Error, Result};
use crate::kernels::{Activation, Window2d};
use crate::tflite::{self, Graph, Tensor};

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
pub(super) fn quant(t: &Tensor) -> Result<QuantParams> {
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

pub(super) fn constant<'a>(g: &Graph<'a>, t: usize) -> Result<&'a [u8]> {
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

pub(super) fn le_words(bytes: &[u8]) -> impl Iterator<Item = [u8; 4]> + '_ {
    bytes.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]])
}

pub(super) fn act_of(a: tflite::Activation) -> Activation {
    match a {
        tflite::Activation::Relu => Activation::Relu,
        tflite::Activation::Relu6 => Activation::Relu6,
        _ => Activation::None,
    }
}

