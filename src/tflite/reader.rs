//! `.tflite` bytes → [`Graph`]. The flatbuffer is first verified as a whole by the `flatbuffers` verifier (every
//! reachable offset, vector and string bounds-checked), then read through the accessors in [`super::schema`] and
//! checked for consistency: indices in range, shapes sane and within caps, constant data matching its shape.
//! Bytes after the flatbuffer (e.g. the zip of labels appended to models with metadata) are never looked at.

use flatbuffers::{InvalidFlatbuffer, Vector, VerifierOptions};

use super::graph::{Activation, BuiltinOp, Graph, OpOptions, Operator, Padding, Quantization, Tensor, TensorType};
use super::schema::{self, op_code, options_tag, tensor_type};
use crate::error::{Error, ErrorKind, Result};

/// Most tensors a subgraph may declare.
pub const MAX_TENSORS: usize = 10_000;
/// Most operators a subgraph may declare.
pub const MAX_OPERATORS: usize = 10_000;
/// Most operator codes a model may declare.
pub const MAX_OPERATOR_CODES: usize = 10_000;
/// Most buffers a model may declare (constant tensors plus metadata buffers).
pub const MAX_BUFFERS: usize = 2 * MAX_TENSORS;
/// Highest tensor rank (also the longest RESHAPE `new_shape` / SQUEEZE `squeeze_dims`).
pub const MAX_RANK: usize = 8;
/// Most elements one tensor may have (64 Mi).
pub const MAX_TENSOR_ELEMENTS: u64 = 64 * 1024 * 1024;
/// Most inputs or outputs one operator (or the subgraph) may list.
pub const MAX_OP_ARITY: usize = 1024;

/// Verifier limits: enough for models up to the caps above (each tensor/operator/buffer is 1–3 tables) and
/// files of several hundred MB, while bounding the work a hostile file can cause.
const VERIFIER_MAX_TABLES: usize = 200_000;
const VERIFIER_MAX_DEPTH: usize = 16;
const VERIFIER_MAX_APPARENT_SIZE: usize = 1 << 30;

const FILE_IDENTIFIER: &[u8; 4] = b"TFL3";

/// Parses and validates a `.tflite` file, returning its first subgraph. Never panics; errors are `Truncated`,
/// `NotTflite`, `Malformed`, `TooLarge`, or `Unsupported` (custom quantisation details only).
pub fn parse(bytes: &[u8]) -> Result<Graph<'_>> {
    if bytes.len() < 8 {
        return Err(Error::truncated(format!(
            "file is {} bytes, shorter than the 8-byte flatbuffer header (root offset + 'TFL3')",
            bytes.len()
        )));
    }
    let ident = bytes.get(4..8).unwrap_or(&[]);
    if ident != FILE_IDENTIFIER {
        return Err(Error::new(
            ErrorKind::NotTflite,
            format!("file identifier at bytes 4..8 is {:?} ({}), expected \"TFL3\"", escape(ident), hex(ident)),
        ));
    }

    let opts = VerifierOptions {
        max_depth: VERIFIER_MAX_DEPTH,
        max_tables: VERIFIER_MAX_TABLES,
        max_apparent_size: VERIFIER_MAX_APPARENT_SIZE,
        ignore_missing_null_terminator: false,
    };
    let model = schema::root_model(&opts, bytes).map_err(|e| verifier_error(&e, bytes.len()))?;

    let buffers = read_buffers(&model, bytes)?;
    let op_codes = read_operator_codes(&model)?;

    let subgraphs = model.subgraphs().unwrap_or_default();
    if subgraphs.is_empty() {
        return Err(Error::malformed("model has no subgraphs"));
    }
    let sg = subgraphs.get(0);

    let fb_tensors = sg.tensors().unwrap_or_default();
    check_count(fb_tensors.len(), MAX_TENSORS, "subgraph 0: tensors")?;
    let mut tensors = Vec::with_capacity(fb_tensors.len());
    for (i, t) in fb_tensors.iter().enumerate() {
        tensors.push(read_tensor(i, &t, &buffers)?);
    }

    let fb_ops = sg.operators().unwrap_or_default();
    check_count(fb_ops.len(), MAX_OPERATORS, "subgraph 0: operators")?;
    let mut operators = Vec::with_capacity(fb_ops.len());
    for (i, op) in fb_ops.iter().enumerate() {
        operators.push(read_operator(i, &op, &op_codes, tensors.len())?);
    }

    let inputs = tensor_indices(sg.inputs(), tensors.len(), false, "subgraph 0 inputs")?;
    let outputs = tensor_indices(sg.outputs(), tensors.len(), false, "subgraph 0 outputs")?;

    Ok(Graph {
        version: model.version(),
        description: model.description().unwrap_or("").to_string(),
        tensors,
        operators,
        inputs,
        outputs,
        buffers,
    })
}

/// Maps a verifier error: anything pointing past the end of the bytes is `Truncated`, size-limit hits are
/// `TooLarge`, the rest `Malformed`. The verifier's own text is kept (made single-line).
fn verifier_error(e: &InvalidFlatbuffer, len: usize) -> Error {
    let kind = match e {
        InvalidFlatbuffer::RangeOutOfBounds { range, .. } if range.end > len => ErrorKind::Truncated,
        // A positive soffset points backwards (fails only below 0); zero/negative points forwards, past the end.
        InvalidFlatbuffer::SignedOffsetOutOfBounds { soffset, .. } if *soffset <= 0 => ErrorKind::Truncated,
        // An (also misaligned) offset past the end.
        InvalidFlatbuffer::Unaligned { position, .. } if *position >= len => ErrorKind::Truncated,
        // A string whose last byte is the last byte of the file: its terminator was cut off.
        InvalidFlatbuffer::MissingNullTerminator { range, .. } if range.end >= len => ErrorKind::Truncated,
        InvalidFlatbuffer::TooManyTables | InvalidFlatbuffer::ApparentSizeTooLarge => ErrorKind::TooLarge,
        _ => ErrorKind::Malformed,
    };
    let text = e.to_string();
    let text = text.trim_end().replace("\n\t", "; ").replace('\n', "; ").replace('\t', "");
    let what = match kind {
        ErrorKind::Truncated => format!("flatbuffer ends early (file is {len} bytes)"),
        ErrorKind::TooLarge => "flatbuffer exceeds the verifier's size limits".to_string(),
        _ => "invalid flatbuffer".to_string(),
    };
    Error::new(kind, format!("{what}: {text}"))
}

fn check_count(n: usize, max: usize, what: &str) -> Result<()> {
    if n > max {
        Err(Error::too_large(format!("{what}: {n} declared, at most {max} supported")))
    } else {
        Ok(())
    }
}

fn read_buffers<'a>(model: &schema::Model<'a>, bytes: &'a [u8]) -> Result<Vec<&'a [u8]>> {
    let fb = model.buffers().unwrap_or_default();
    check_count(fb.len(), MAX_BUFFERS, "model buffers")?;
    let mut out = Vec::with_capacity(fb.len());
    for (i, b) in fb.iter().enumerate() {
        let offset = b.offset_();
        let data = if offset > 1 {
            // Data stored outside the flatbuffer, at an absolute file offset (TFLite's > 2 GB layout).
            let size = b.size();
            let end = offset.checked_add(size);
            let slice = end.and_then(|end| {
                let start = usize::try_from(offset).ok()?;
                let end = usize::try_from(end).ok()?;
                bytes.get(start..end)
            });
            match slice {
                Some(s) => s,
                None => {
                    return Err(Error::truncated(format!(
                        "buffer {i}: external data at offset {offset}, size {size} extends past the end of the \
                         {}-byte file",
                        bytes.len()
                    )))
                }
            }
        } else {
            b.data().unwrap_or(&[])
        };
        out.push(data);
    }
    Ok(out)
}

fn read_operator_codes(model: &schema::Model<'_>) -> Result<Vec<BuiltinOp>> {
    let fb = model.operator_codes().unwrap_or_default();
    check_count(fb.len(), MAX_OPERATOR_CODES, "operator codes")?;
    Ok(fb
        .iter()
        .map(|c| match c.code() {
            op_code::AVERAGE_POOL_2D => BuiltinOp::AveragePool2d,
            op_code::CONV_2D => BuiltinOp::Conv2d,
            op_code::DEPTHWISE_CONV_2D => BuiltinOp::DepthwiseConv2d,
            op_code::RESHAPE => BuiltinOp::Reshape,
            op_code::SOFTMAX => BuiltinOp::Softmax,
            op_code::SQUEEZE => BuiltinOp::Squeeze,
            op_code::CUSTOM => BuiltinOp::Other(-1),
            other => BuiltinOp::Other(other),
        })
        .collect())
}

fn tensor_type(code: i8) -> TensorType {
    match code {
        tensor_type::FLOAT32 => TensorType::Float32,
        tensor_type::INT32 => TensorType::Int32,
        tensor_type::UINT8 => TensorType::UInt8,
        tensor_type::INT64 => TensorType::Int64,
        tensor_type::INT8 => TensorType::Int8,
        other => TensorType::Other(other),
    }
}

fn type_name(ty: TensorType) -> String {
    match ty {
        TensorType::Float32 => "float32".into(),
        TensorType::UInt8 => "uint8".into(),
        TensorType::Int8 => "int8".into(),
        TensorType::Int32 => "int32".into(),
        TensorType::Int64 => "int64".into(),
        TensorType::Other(c) => format!("type {c}"),
    }
}

fn read_tensor(i: usize, t: &schema::Tensor<'_>, buffers: &[&[u8]]) -> Result<Tensor> {
    let name = t.name().unwrap_or("").to_string();
    let at = || format!("tensor {i} '{name}'");

    let fb_shape = t.shape().unwrap_or_default();
    if fb_shape.len() > MAX_RANK {
        return Err(Error::too_large(format!("{}: rank {} exceeds the maximum of {MAX_RANK}", at(), fb_shape.len())));
    }
    let shape: Vec<i32> = fb_shape.iter().collect();
    let mut elements: u64 = 1;
    for (axis, &d) in shape.iter().enumerate() {
        if d < 0 {
            return Err(Error::malformed(format!(
                "{}: shape {} has negative dimension {d} at axis {axis}",
                at(),
                dims(&shape)
            )));
        }
        elements = elements.saturating_mul(d as u64);
    }
    if elements > MAX_TENSOR_ELEMENTS {
        return Err(Error::too_large(format!(
            "{}: shape {} has {elements} elements, more than the maximum of {MAX_TENSOR_ELEMENTS}",
            at(),
            dims(&shape)
        )));
    }

    let ty = tensor_type(t.type_());
    let buffer_index = t.buffer();
    let buffer = usize::try_from(buffer_index).ok().filter(|&b| b < buffers.len()).ok_or_else(|| {
        Error::malformed(format!(
            "{}: buffer index {buffer_index} out of range (model has {} buffers)",
            at(),
            buffers.len()
        ))
    })?;
    let data_len = buffers.get(buffer).map_or(0, |d| d.len());
    if data_len > 0 {
        if let Some(size) = ty.size() {
            // elements ≤ 64 Mi and size ≤ 8, so this cannot overflow.
            let need = elements * size as u64;
            if data_len as u64 != need {
                return Err(Error::malformed(format!(
                    "{}: buffer {buffer} holds {data_len} bytes, shape {} {} needs {need}",
                    at(),
                    dims(&shape),
                    type_name(ty)
                )));
            }
        }
    }

    let quantization = match t.quantization() {
        Some(q) => read_quantization(&q, &shape, &at())?,
        None => None,
    };

    Ok(Tensor { name, shape, ty, buffer, quantization })
}

/// Quantisation parameters, `None` when there is no scale. Lengths are checked before anything is copied.
fn read_quantization(q: &schema::QuantizationParameters<'_>, shape: &[i32], at: &str) -> Result<Option<Quantization>> {
    let scale = q.scale().unwrap_or_default();
    if scale.is_empty() {
        return Ok(None);
    }
    if q.details_type() != 0 {
        // The schema says custom details replace scale/zero point; we cannot represent (or run) that.
        return Err(Error::unsupported(format!(
            "{at}: quantisation uses custom details (union type {})",
            q.details_type()
        )));
    }
    let zero_point = q.zero_point().unwrap_or_default();
    if zero_point.len() != scale.len() {
        return Err(Error::malformed(format!(
            "{at}: quantisation has {} scales but {} zero points",
            scale.len(),
            zero_point.len()
        )));
    }
    let qdim = q.quantized_dimension();
    if scale.len() > 1 {
        let axis_len = usize::try_from(qdim).ok().and_then(|d| shape.get(d)).copied();
        if axis_len.and_then(|n| usize::try_from(n).ok()) != Some(scale.len()) {
            return Err(Error::malformed(format!(
                "{at}: per-axis quantisation with {} scales on dimension {qdim} does not fit shape {}",
                scale.len(),
                dims(shape)
            )));
        }
    }
    Ok(Some(Quantization {
        scale: scale.iter().collect(),
        zero_point: zero_point.iter().collect(),
        quantized_dimension: qdim,
    }))
}

/// Tensor indices of an operator or the subgraph; `-1` ("absent") is accepted only where `allow_absent`.
fn tensor_indices(v: Option<Vector<'_, i32>>, n_tensors: usize, allow_absent: bool, what: &str) -> Result<Vec<i32>> {
    let v = v.unwrap_or_default();
    check_count(v.len(), MAX_OP_ARITY, what)?;
    let out: Vec<i32> = v.iter().collect();
    for (k, &t) in out.iter().enumerate() {
        let ok = (allow_absent && t == -1) || usize::try_from(t).is_ok_and(|t| t < n_tensors);
        if !ok {
            return Err(Error::malformed(format!(
                "{what}[{k}]: tensor index {t} out of range (subgraph has {n_tensors} tensors)"
            )));
        }
    }
    Ok(out)
}

fn op_name(op: BuiltinOp) -> String {
    match op {
        BuiltinOp::AveragePool2d => "AVERAGE_POOL_2D".into(),
        BuiltinOp::Conv2d => "CONV_2D".into(),
        BuiltinOp::DepthwiseConv2d => "DEPTHWISE_CONV_2D".into(),
        BuiltinOp::Reshape => "RESHAPE".into(),
        BuiltinOp::Softmax => "SOFTMAX".into(),
        BuiltinOp::Squeeze => "SQUEEZE".into(),
        BuiltinOp::Other(-1) => "custom op".into(),
        BuiltinOp::Other(c) => format!("builtin op {c}"),
    }
}

fn read_operator(i: usize, o: &schema::Operator<'_>, op_codes: &[BuiltinOp], n_tensors: usize) -> Result<Operator> {
    let idx = o.opcode_index();
    let op = usize::try_from(idx).ok().and_then(|k| op_codes.get(k)).copied().ok_or_else(|| {
        Error::malformed(format!(
            "operator {i}: opcode index {idx} out of range (model has {} operator codes)",
            op_codes.len()
        ))
    })?;
    let at = format!("operator {i} ({})", op_name(op));
    let inputs = tensor_indices(o.inputs(), n_tensors, true, &format!("{at} inputs"))?;
    let outputs = tensor_indices(o.outputs(), n_tensors, false, &format!("{at} outputs"))?;

    let tag = o.builtin_options_type();
    let expected = match op {
        BuiltinOp::Conv2d => Some(options_tag::CONV_2D),
        BuiltinOp::DepthwiseConv2d => Some(options_tag::DEPTHWISE_CONV_2D),
        BuiltinOp::AveragePool2d => Some(options_tag::POOL_2D),
        BuiltinOp::Softmax => Some(options_tag::SOFTMAX),
        BuiltinOp::Reshape => Some(options_tag::RESHAPE),
        BuiltinOp::Squeeze => Some(options_tag::SQUEEZE),
        BuiltinOp::Other(_) => None,
    };
    if let Some(exp) = expected {
        if tag != options_tag::NONE && tag != exp {
            return Err(Error::malformed(format!("{at}: builtin options of union type {tag}, expected type {exp}")));
        }
    }

    let padding = |p: i8| match p {
        0 => Ok(Padding::Same),
        1 => Ok(Padding::Valid),
        other => Err(Error::malformed(format!("{at}: unknown padding {other}"))),
    };
    let small_list = |v: Option<Vector<'_, i32>>, what: &str| -> Result<Vec<i32>> {
        let v = v.unwrap_or_default();
        if v.len() > MAX_RANK {
            return Err(Error::too_large(format!(
                "{at}: {what} has {} entries, at most {MAX_RANK} supported",
                v.len()
            )));
        }
        Ok(v.iter().collect())
    };

    let options = match op {
        BuiltinOp::Conv2d => match o.conv2d_options() {
            Some(c) => OpOptions::Conv2d {
                padding: padding(c.padding())?,
                stride_w: c.stride_w(),
                stride_h: c.stride_h(),
                activation: activation(c.fused_activation_function()),
                dilation_w: c.dilation_w_factor(),
                dilation_h: c.dilation_h_factor(),
            },
            None => OpOptions::None,
        },
        BuiltinOp::DepthwiseConv2d => match o.depthwise_conv2d_options() {
            Some(c) => OpOptions::DepthwiseConv2d {
                padding: padding(c.padding())?,
                stride_w: c.stride_w(),
                stride_h: c.stride_h(),
                depth_multiplier: c.depth_multiplier(),
                activation: activation(c.fused_activation_function()),
                dilation_w: c.dilation_w_factor(),
                dilation_h: c.dilation_h_factor(),
            },
            None => OpOptions::None,
        },
        BuiltinOp::AveragePool2d => match o.pool2d_options() {
            Some(p) => OpOptions::Pool2d {
                padding: padding(p.padding())?,
                stride_w: p.stride_w(),
                stride_h: p.stride_h(),
                filter_w: p.filter_width(),
                filter_h: p.filter_height(),
                activation: activation(p.fused_activation_function()),
            },
            None => OpOptions::None,
        },
        BuiltinOp::Softmax => match o.softmax_options() {
            Some(s) => OpOptions::Softmax { beta: s.beta() },
            None => OpOptions::None,
        },
        BuiltinOp::Reshape => match o.reshape_options() {
            Some(r) => OpOptions::Reshape { new_shape: small_list(r.new_shape(), "new_shape")? },
            None => OpOptions::None,
        },
        BuiltinOp::Squeeze => match o.squeeze_options() {
            Some(s) => OpOptions::Squeeze { squeeze_dims: small_list(s.squeeze_dims(), "squeeze_dims")? },
            None => OpOptions::None,
        },
        BuiltinOp::Other(_) => OpOptions::None,
    };

    Ok(Operator { op, inputs, outputs, options })
}

fn activation(a: i8) -> Activation {
    match a {
        0 => Activation::None,
        1 => Activation::Relu,
        2 => Activation::ReluN1To1,
        3 => Activation::Relu6,
        other => Activation::Other(other),
    }
}

fn dims(shape: &[i32]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(","))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}

fn escape(b: &[u8]) -> String {
    b.iter().flat_map(|&c| std::ascii::escape_default(c)).map(char::from).collect()
}
