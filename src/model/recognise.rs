//! Recognise a MobileNet V1 classifier in a parsed TFLite graph, whatever its width multiplier, resolution, class
//! count and dtype: `CONV_2D 3×3` → N × (`DEPTHWISE_CONV_2D 3×3`, `CONV_2D 1×1`) → `AVERAGE_POOL_2D` →
//! `CONV_2D 1×1` (classifier) → optional `RESHAPE`/`SQUEEZE` → `SOFTMAX`. Everything is checked against the file's
//! own shapes, so the plan can trust every size it is given.

use crate::error::{Error, Result};
use crate::kernels::Window2d;
use crate::tflite::{Activation, BuiltinOp, Graph, OpOptions, Operator, Padding, Tensor, TensorType};

/// Caps that stop a hostile model from making us allocate absurd activation buffers.
pub const MAX_ACTIVATION_ELEMENTS: usize = 16 * 1024 * 1024;
pub const MAX_INPUT_SIZE: usize = 2048;
pub const MAX_CLASSES: usize = 100_000;

/// Numeric family of the whole network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    UInt8,
    Float32,
}

/// What a recognised layer computes; tensor indices point into the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    /// Full convolution (the stem 3×3 s2, every pointwise 1×1, and the classifier 1×1).
    Conv,
    Depthwise,
    AveragePool,
    Softmax,
}

#[derive(Debug, Clone)]
pub struct LayerSpec {
    pub kind: LayerKind,
    /// Index of the TFLite operator (for per-layer golden checks and error messages).
    pub op_index: usize,
    pub window: Window2d,
    pub input: usize,
    pub output: usize,
    /// Filter and bias tensors for convolutions.
    pub filter: Option<usize>,
    pub bias: Option<usize>,
    pub activation: Activation,
    /// Softmax beta.
    pub beta: f32,
}

/// A recognised MobileNet V1.
#[derive(Debug, Clone)]
pub struct Recognised {
    pub dtype: DType,
    pub input_size: usize,
    pub num_classes: usize,
    /// Channels of the pooled feature vector (1024·α).
    pub embedding_len: usize,
    pub alpha: f32,
    pub input_tensor: usize,
    pub output_tensor: usize,
    /// Layers in execution order. RESHAPE/SQUEEZE are no-ops on a [1,1,1,C] → [1,C] tensor and are folded away.
    pub layers: Vec<LayerSpec>,
    /// Operator index of each folded no-op, and the operator index of the layer whose output it repeats.
    pub folded: Vec<(usize, usize)>,
}

fn tensor<'g>(g: &'g Graph<'_>, idx: i32, what: &str, op: usize) -> Result<(usize, &'g Tensor)> {
    usize::try_from(idx)
        .ok()
        .and_then(|i| g.tensors.get(i).map(|t| (i, t)))
        .ok_or_else(|| Error::malformed(format!("operator {op}: {what} tensor index {idx} out of range")))
}

fn op_input(g: &Graph<'_>, op: &Operator, k: usize, what: &str, i: usize) -> Result<usize> {
    let idx = *op.inputs.get(k).ok_or_else(|| Error::malformed(format!("operator {i}: missing {what} input")))?;
    Ok(tensor(g, idx, what, i)?.0)
}

fn dims(t: &Tensor) -> Result<Vec<usize>> {
    t.shape
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| Error::malformed(format!("tensor '{}' has negative dimension {d}", t.name))))
        .collect()
}

/// [1, H, W, C] activation shape.
fn nhwc(t: &Tensor) -> Result<[usize; 3]> {
    match dims(t)?.as_slice() {
        &[1, h, w, c] if h > 0 && w > 0 && c > 0 => Ok([h, w, c]),
        other => Err(Error::not_mobilenet(format!("tensor '{}' has shape {other:?}, expected [1, H, W, C]", t.name))),
    }
}

fn out_size(input: usize, kernel: usize, stride: usize, padding: Padding) -> usize {
    match padding {
        Padding::Same => input.div_ceil(stride),
        Padding::Valid => (input + stride).saturating_sub(kernel) / stride,
    }
}

/// TFLite's padding rule: total padding split with the smaller half before.
fn pad_before(input: usize, out: usize, kernel: usize, stride: usize, padding: Padding) -> usize {
    match padding {
        Padding::Same => ((out.saturating_sub(1)) * stride + kernel).saturating_sub(input) / 2,
        Padding::Valid => 0,
    }
}

fn positive(v: i32, what: &str, op: usize) -> Result<usize> {
    usize::try_from(v)
        .ok()
        .filter(|&v| v > 0 && v <= 64)
        .ok_or_else(|| Error::not_mobilenet(format!("operator {op}: {what} = {v}")))
}

#[allow(clippy::too_many_arguments)]
fn window(
    g: &Graph<'_>,
    i: usize,
    input: usize,
    output: usize,
    kernel: (usize, usize),
    stride: (i32, i32),
    padding: Padding,
    out_c_expected: Option<usize>,
) -> Result<Window2d> {
    let [in_h, in_w, in_c] = nhwc(&g.tensors[input])?;
    let [out_h, out_w, out_c] = nhwc(&g.tensors[output])?;
    let (stride_h, stride_w) = (positive(stride.0, "stride_h", i)?, positive(stride.1, "stride_w", i)?);
    let (kernel_h, kernel_w) = kernel;
    let (eh, ew) = (out_size(in_h, kernel_h, stride_h, padding), out_size(in_w, kernel_w, stride_w, padding));
    if (eh, ew) != (out_h, out_w) || out_c_expected.is_some_and(|c| c != out_c) {
        return Err(Error::malformed(format!(
            "operator {i}: output '{}' is {out_h}×{out_w}×{out_c} but the op computes {eh}×{ew}×{}",
            g.tensors[output].name,
            out_c_expected.unwrap_or(out_c)
        )));
    }
    for (t, len) in [(input, in_h * in_w * in_c), (output, out_h * out_w * out_c)] {
        if len > MAX_ACTIVATION_ELEMENTS {
            return Err(Error::too_large(format!(
                "tensor '{}' has {len} elements (cap {MAX_ACTIVATION_ELEMENTS})",
                g.tensors[t].name
            )));
        }
    }
    Ok(Window2d {
        in_h,
        in_w,
        in_c,
        out_h,
        out_w,
        out_c,
        kernel_h,
        kernel_w,
        stride_h,
        stride_w,
        pad_top: pad_before(in_h, out_h, kernel_h, stride_h, padding),
        pad_left: pad_before(in_w, out_w, kernel_w, stride_w, padding),
    })
}

fn check_activation(a: Activation, i: usize) -> Result<Activation> {
    match a {
        Activation::None | Activation::Relu | Activation::Relu6 => Ok(a),
        other => Err(Error::unsupported(format!("operator {i}: fused activation {other:?}"))),
    }
}

fn conv_layer(g: &Graph<'_>, i: usize, op: &Operator, input: usize) -> Result<LayerSpec> {
    let OpOptions::Conv2d { padding, stride_w, stride_h, activation, dilation_w, dilation_h } = op.options else {
        return Err(Error::malformed(format!("operator {i}: CONV_2D without Conv2DOptions")));
    };
    if dilation_w != 1 || dilation_h != 1 {
        return Err(Error::unsupported(format!("operator {i}: dilated convolution ({dilation_h}×{dilation_w})")));
    }
    let filter = op_input(g, op, 1, "filter", i)?;
    let bias = op_input(g, op, 2, "bias", i)?;
    let output = single_output(g, op, i)?;
    let [_, _, in_c] = nhwc(&g.tensors[input])?;
    let (oc, kh, kw) = match dims(&g.tensors[filter])?.as_slice() {
        &[oc, kh, kw, ic] if ic == in_c && oc > 0 && (1..=7).contains(&kh) && (1..=7).contains(&kw) => (oc, kh, kw),
        other => {
            return Err(Error::not_mobilenet(format!(
                "operator {i}: conv filter shape {other:?} does not fit an input with {in_c} channels"
            )))
        }
    };
    check_bias(g, bias, oc, i)?;
    let w = window(g, i, input, output, (kh, kw), (stride_h, stride_w), padding, Some(oc))?;
    Ok(LayerSpec {
        kind: LayerKind::Conv,
        op_index: i,
        window: w,
        input,
        output,
        filter: Some(filter),
        bias: Some(bias),
        activation: check_activation(activation, i)?,
        beta: 0.0,
    })
}

fn depthwise_layer(g: &Graph<'_>, i: usize, op: &Operator, input: usize) -> Result<LayerSpec> {
    let OpOptions::DepthwiseConv2d { padding, stride_w, stride_h, depth_multiplier, activation, dilation_w, dilation_h } =
        op.options
    else {
        return Err(Error::malformed(format!("operator {i}: DEPTHWISE_CONV_2D without its options")));
    };
    if dilation_w != 1 || dilation_h != 1 {
        return Err(Error::unsupported(format!("operator {i}: dilated depthwise convolution")));
    }
    let filter = op_input(g, op, 1, "filter", i)?;
    let bias = op_input(g, op, 2, "bias", i)?;
    let output = single_output(g, op, i)?;
    let [_, _, in_c] = nhwc(&g.tensors[input])?;
    // depth_multiplier is advisory in TFLite (often 0 in converted files); the filter shape is authoritative.
    let (kh, kw) = match dims(&g.tensors[filter])?.as_slice() {
        &[1, kh, kw, c] if c == in_c && (1..=7).contains(&kh) && (1..=7).contains(&kw) => (kh, kw),
        other => {
            return Err(Error::unsupported(format!(
                "operator {i}: depthwise filter {other:?} for {in_c} channels (only depth multiplier 1 is supported)"
            )))
        }
    };
    if depth_multiplier > 1 {
        return Err(Error::unsupported(format!("operator {i}: depth multiplier {depth_multiplier}")));
    }
    check_bias(g, bias, in_c, i)?;
    let w = window(g, i, input, output, (kh, kw), (stride_h, stride_w), padding, Some(in_c))?;
    Ok(LayerSpec {
        kind: LayerKind::Depthwise,
        op_index: i,
        window: w,
        input,
        output,
        filter: Some(filter),
        bias: Some(bias),
        activation: check_activation(activation, i)?,
        beta: 0.0,
    })
}

fn pool_layer(g: &Graph<'_>, i: usize, op: &Operator, input: usize) -> Result<LayerSpec> {
    let OpOptions::Pool2d { padding, stride_w, stride_h, filter_w, filter_h, activation } = op.options else {
        return Err(Error::malformed(format!("operator {i}: AVERAGE_POOL_2D without Pool2DOptions")));
    };
    let output = single_output(g, op, i)?;
    let [in_h, in_w, in_c] = nhwc(&g.tensors[input])?;
    let (kh, kw) = (positive(filter_h, "filter_height", i)?, positive(filter_w, "filter_width", i)?);
    let w = window(g, i, input, output, (kh, kw), (stride_h, stride_w), padding, Some(in_c))?;
    if (w.out_h, w.out_w) != (1, 1) || (kh, kw) != (in_h, in_w) {
        return Err(Error::not_mobilenet(format!(
            "operator {i}: average pool {kh}×{kw} over {in_h}×{in_w} is not a global pool"
        )));
    }
    Ok(LayerSpec {
        kind: LayerKind::AveragePool,
        op_index: i,
        window: w,
        input,
        output,
        filter: None,
        bias: None,
        activation: check_activation(activation, i)?,
        beta: 0.0,
    })
}

fn check_bias(g: &Graph<'_>, bias: usize, channels: usize, i: usize) -> Result<()> {
    match dims(&g.tensors[bias])?.as_slice() {
        &[c] if c == channels => Ok(()),
        other => Err(Error::malformed(format!("operator {i}: bias shape {other:?}, expected [{channels}]"))),
    }
}

fn single_output(g: &Graph<'_>, op: &Operator, i: usize) -> Result<usize> {
    match op.outputs.as_slice() {
        &[o] => Ok(tensor(g, o, "output", i)?.0),
        other => Err(Error::not_mobilenet(format!("operator {i}: {} outputs", other.len()))),
    }
}

fn op_name(op: BuiltinOp) -> String {
    match op {
        BuiltinOp::Other(code) => format!("builtin op {code}"),
        named => format!("{named:?}"),
    }
}

/// Recognise MobileNet V1 in `g`, or say precisely why it is not one.
pub fn recognise(g: &Graph<'_>) -> Result<Recognised> {
    let input_tensor = match g.inputs.as_slice() {
        &[t] => tensor(g, t, "graph input", 0)?.0,
        other => return Err(Error::not_mobilenet(format!("the graph has {} inputs, expected 1", other.len()))),
    };
    let inp = &g.tensors[input_tensor];
    let dtype = match inp.ty {
        TensorType::UInt8 => DType::UInt8,
        TensorType::Float32 => DType::Float32,
        other => return Err(Error::unsupported(format!("input tensor type {other:?} (only uint8 and float32)"))),
    };
    let [h, w, c] = nhwc(inp)?;
    if h != w || c != 3 {
        return Err(Error::not_mobilenet(format!("input is {h}×{w}×{c}, expected a square RGB image")));
    }
    if h > MAX_INPUT_SIZE {
        return Err(Error::too_large(format!("input resolution {h} (cap {MAX_INPUT_SIZE})")));
    }

    let mut layers = Vec::new();
    let mut folded = Vec::new();
    let mut current = input_tensor;
    let mut stage = Stage::Stem;
    for (i, op) in g.operators.iter().enumerate() {
        let first_in = op_input(g, op, 0, "data", i)?;
        if first_in != current {
            return Err(Error::not_mobilenet(format!(
                "operator {i} ({}) does not consume the previous layer's output: the graph is not a chain",
                op_name(op.op)
            )));
        }
        let layer = match (stage, op.op) {
            (Stage::Stem, BuiltinOp::Conv2d) => {
                stage = Stage::Depthwise;
                conv_layer(g, i, op, current)?
            }
            (Stage::Depthwise | Stage::DepthwiseOrPool, BuiltinOp::DepthwiseConv2d) => {
                stage = Stage::Pointwise;
                depthwise_layer(g, i, op, current)?
            }
            (Stage::Pointwise, BuiltinOp::Conv2d) => {
                stage = Stage::DepthwiseOrPool;
                let l = conv_layer(g, i, op, current)?;
                if (l.window.kernel_h, l.window.kernel_w, l.window.stride_h, l.window.stride_w) != (1, 1, 1, 1) {
                    return Err(Error::not_mobilenet(format!("operator {i}: expected a pointwise 1×1 convolution")));
                }
                l
            }
            (Stage::DepthwiseOrPool, BuiltinOp::AveragePool2d) => {
                stage = Stage::Classifier;
                pool_layer(g, i, op, current)?
            }
            (Stage::Classifier, BuiltinOp::Conv2d) => {
                stage = Stage::Head;
                let l = conv_layer(g, i, op, current)?;
                if (l.window.kernel_h, l.window.kernel_w, l.window.out_h, l.window.out_w) != (1, 1, 1, 1) {
                    return Err(Error::not_mobilenet(format!("operator {i}: expected the 1×1 classifier")));
                }
                l
            }
            (Stage::Head, BuiltinOp::Reshape | BuiltinOp::Squeeze) => {
                let out = single_output(g, op, i)?;
                let n: usize = dims(&g.tensors[out])?.iter().product();
                if n != dims(&g.tensors[current])?.iter().product::<usize>() {
                    return Err(Error::malformed(format!("operator {i}: reshape changes the element count")));
                }
                let prev = layers.last().map_or(0, |l: &LayerSpec| l.op_index);
                folded.push((i, prev));
                current = out;
                continue;
            }
            (Stage::Head, BuiltinOp::Softmax) => {
                let OpOptions::Softmax { beta } = op.options else {
                    return Err(Error::malformed(format!("operator {i}: SOFTMAX without SoftmaxOptions")));
                };
                if !beta.is_finite() || beta <= 0.0 {
                    return Err(Error::unsupported(format!("operator {i}: softmax beta {beta}")));
                }
                let output = single_output(g, op, i)?;
                let classes = layers.last().map_or(0, |l: &LayerSpec| l.window.out_c);
                let n: usize = dims(&g.tensors[output])?.iter().product();
                if n != classes {
                    return Err(Error::malformed(format!("operator {i}: softmax output has {n} elements, not {classes}")));
                }
                stage = Stage::Done;
                LayerSpec {
                    kind: LayerKind::Softmax,
                    op_index: i,
                    window: Window2d { in_h: 1, in_w: 1, in_c: classes, out_h: 1, out_w: 1, out_c: classes, kernel_h: 1, kernel_w: 1, stride_h: 1, stride_w: 1, pad_top: 0, pad_left: 0 },
                    input: current,
                    output,
                    filter: None,
                    bias: None,
                    activation: Activation::None,
                    beta,
                }
            }
            (_, other) => {
                return Err(Error::not_mobilenet(format!(
                    "operator {i} is {} where MobileNet V1 has {}",
                    op_name(other),
                    stage.expects()
                )))
            }
        };
        for t in [layer.input, layer.output].into_iter().chain(layer.filter).chain(layer.bias) {
            check_dtype(g, t, dtype, &layer)?;
        }
        current = layer.output;
        layers.push(layer);
    }
    if stage != Stage::Done {
        return Err(Error::not_mobilenet(format!("the graph ends where MobileNet V1 has {}", stage.expects())));
    }
    if !matches!(g.outputs.as_slice(), &[o] if o as i64 == current as i64) {
        return Err(Error::not_mobilenet("the graph output is not the softmax output"));
    }
    let pool = layers.iter().find(|l| l.kind == LayerKind::AveragePool).map_or(0, |l| l.window.out_c);
    let num_classes = layers.last().map_or(0, |l| l.window.out_c);
    if num_classes == 0 || num_classes > MAX_CLASSES {
        return Err(Error::too_large(format!("{num_classes} classes (cap {MAX_CLASSES})")));
    }
    Ok(Recognised {
        dtype,
        input_size: h,
        num_classes,
        embedding_len: pool,
        alpha: pool as f32 / 1024.0,
        input_tensor,
        output_tensor: current,
        layers,
        folded,
    })
}

fn check_dtype(g: &Graph<'_>, t: usize, dtype: DType, l: &LayerSpec) -> Result<()> {
    let tensor = &g.tensors[t];
    let is_bias = Some(t) == l.bias;
    let ok = match (dtype, is_bias) {
        (DType::UInt8, true) => tensor.ty == TensorType::Int32,
        (DType::UInt8, false) => tensor.ty == TensorType::UInt8,
        (DType::Float32, _) => tensor.ty == TensorType::Float32,
    };
    if !ok {
        return Err(Error::unsupported(format!(
            "operator {}: tensor '{}' is {:?} in a {dtype:?} model",
            l.op_index, tensor.name, tensor.ty
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Stem,
    Depthwise,
    Pointwise,
    DepthwiseOrPool,
    Classifier,
    Head,
    Done,
}

impl Stage {
    fn expects(self) -> &'static str {
        match self {
            Stage::Stem => "the 3×3 stem CONV_2D",
            Stage::Depthwise => "a DEPTHWISE_CONV_2D",
            Stage::Pointwise => "a pointwise CONV_2D",
            Stage::DepthwiseOrPool => "a DEPTHWISE_CONV_2D or the AVERAGE_POOL_2D",
            Stage::Classifier => "the 1×1 classifier CONV_2D",
            Stage::Head => "RESHAPE/SQUEEZE or SOFTMAX",
            Stage::Done => "nothing more",
        }
    }
}
