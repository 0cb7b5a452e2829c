//! Structure-aware model mutation: a [`TinyNet`] drawn from the fuzzer's bytes, then a few field-level [`Edit`]s
//! of its graph (one shape dimension, one quantisation parameter, one operator index…), then a few byte patches of
//! the serialised flatbuffer. Most inputs thus stay close to a runnable MobileNet, which is where the recogniser,
//! the planner and the kernels hide their edge cases; raw byte flips alone almost never get past the verifier.

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::tiny_mobilenet::{Head, ModelSpec, Options, TinyNet};

/// A value for an integer field: mostly small, sometimes at a boundary.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Int {
    Small(i8),
    Boundary(u8),
    Any(i32),
}

impl Int {
    pub fn value(self) -> i32 {
        const EDGES: [i32; 10] = [0, -1, 1, 2, 3, 7, 8, 65_536, i32::MAX, i32::MIN];
        match self {
            Int::Small(v) => i32::from(v),
            Int::Boundary(k) => EDGES[k as usize % EDGES.len()],
            Int::Any(v) => v,
        }
    }
}

/// A value for a float field (scales, beta).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Real {
    Boundary(u8),
    Any(f32),
}

impl Real {
    pub fn value(self) -> f32 {
        const EDGES: [f32; 10] = [0.0, -1.0, 1e-30, 1e30, f32::NAN, f32::INFINITY, 1.0, 0.5, 2.0, f32::MIN_POSITIVE];
        match self {
            Real::Boundary(k) => EDGES[k as usize % EDGES.len()],
            Real::Any(v) => v,
        }
    }
}

/// One field-level change to a [`ModelSpec`]. Indices are taken modulo the number of items.
#[derive(Arbitrary, Debug, Clone)]
pub enum Edit {
    Dim { tensor: u8, axis: u8, value: Int },
    Rank { tensor: u8, rank: u8 },
    Type { tensor: u8, ty: i8 },
    Buffer { tensor: u8, buffer: u8 },
    Scale { tensor: u8, scale: Real },
    ZeroPoint { tensor: u8, zero_point: i64 },
    PerAxis { tensor: u8, scales: u8, dim: i8 },
    DropQuant { tensor: u8 },
    ResizeBuffer { buffer: u8, len: u16 },
    OpInput { op: u8, k: u8, value: Int },
    OpOutput { op: u8, value: Int },
    OpCode { op: u8, code: u8 },
    Stride { op: u8, value: Int },
    Padding { op: u8, value: i8 },
    Activation { op: u8, value: i8 },
    Dilation { op: u8, value: Int },
    Filter { op: u8, value: Int },
    DepthMultiplier { op: u8, value: Int },
    Beta { op: u8, beta: Real },
    DropOptions { op: u8 },
    NewShape { op: u8, shape: Vec<i8> },
    RemoveOp { op: u8 },
    DuplicateOp { op: u8 },
    SwapOps { a: u8, b: u8 },
    GraphInput { value: Int },
    GraphOutput { value: Int },
}

fn pick<T>(v: &mut [T], i: u8) -> Option<&mut T> {
    let n = v.len();
    if n == 0 {
        None
    } else {
        v.get_mut(i as usize % n)
    }
}

impl Edit {
    pub fn apply(&self, s: &mut ModelSpec) {
        use Edit::*;
        match self.clone() {
            Dim { tensor, axis, value } => {
                if let Some(t) = pick(&mut s.tensors, tensor) {
                    if let Some(d) = pick(&mut t.shape, axis) {
                        *d = value.value();
                    }
                }
            }
            Rank { tensor, rank } => {
                if let Some(t) = pick(&mut s.tensors, tensor) {
                    t.shape.resize(rank as usize % 10, 1);
                }
            }
            Type { tensor, ty } => pick(&mut s.tensors, tensor).into_iter().for_each(|t| t.ty = ty % 18),
            Buffer { tensor, buffer } => pick(&mut s.tensors, tensor).into_iter().for_each(|t| t.buffer = u32::from(buffer)),
            Scale { tensor, scale } => {
                if let Some((sc, _, _)) = pick(&mut s.tensors, tensor).and_then(|t| t.quant.as_mut()) {
                    sc.iter_mut().for_each(|x| *x = scale.value());
                }
            }
            ZeroPoint { tensor, zero_point } => {
                if let Some((_, zp, _)) = pick(&mut s.tensors, tensor).and_then(|t| t.quant.as_mut()) {
                    zp.iter_mut().for_each(|x| *x = zero_point);
                }
            }
            PerAxis { tensor, scales, dim } => {
                if let Some(t) = pick(&mut s.tensors, tensor) {
                    let n = scales as usize % 9;
                    t.quant = Some((vec![0.01; n], vec![0; n], i32::from(dim)));
                }
            }
            DropQuant { tensor } => pick(&mut s.tensors, tensor).into_iter().for_each(|t| t.quant = None),
            ResizeBuffer { buffer, len } => pick(&mut s.buffers, buffer).into_iter().for_each(|b| b.resize(len as usize, 7)),
            OpInput { op, k, value } => {
                if let Some(o) = pick(&mut s.ops, op) {
                    if let Some(i) = pick(&mut o.inputs, k) {
                        *i = value.value();
                    } else {
                        o.inputs.push(value.value());
                    }
                }
            }
            OpOutput { op, value } => pick(&mut s.ops, op).into_iter().for_each(|o| o.outputs = vec![value.value()]),
            OpCode { op, code } => pick(&mut s.ops, op).into_iter().for_each(|o| o.code = i32::from(code % 50)),
            Stride { op, value } => edit_options(s, op, |o| match o {
                Options::Conv { stride_w, .. } | Options::Depthwise { stride_w, .. } | Options::Pool { stride_w, .. } => *stride_w = value.value(),
                _ => {}
            }),
            Padding { op, value } => edit_options(s, op, |o| match o {
                Options::Conv { padding, .. } | Options::Depthwise { padding, .. } | Options::Pool { padding, .. } => *padding = value,
                _ => {}
            }),
            Activation { op, value } => edit_options(s, op, |o| match o {
                Options::Conv { activation, .. } | Options::Depthwise { activation, .. } | Options::Pool { activation, .. } => *activation = value,
                _ => {}
            }),
            Dilation { op, value } => edit_options(s, op, |o| match o {
                Options::Conv { dilation_h, .. } | Options::Depthwise { dilation_h, .. } => *dilation_h = value.value(),
                _ => {}
            }),
            Filter { op, value } => edit_options(s, op, |o| {
                if let Options::Pool { filter_w, .. } = o {
                    *filter_w = value.value();
                }
            }),
            DepthMultiplier { op, value } => edit_options(s, op, |o| {
                if let Options::Depthwise { depth_multiplier, .. } = o {
                    *depth_multiplier = value.value();
                }
            }),
            Beta { op, beta } => edit_options(s, op, |o| {
                if let Options::Softmax { beta: b } = o {
                    *b = beta.value();
                }
            }),
            DropOptions { op } => pick(&mut s.ops, op).into_iter().for_each(|o| o.options = None),
            NewShape { op, shape } => edit_options(s, op, |o| match o {
                Options::Reshape { new_shape: v } | Options::Squeeze { squeeze_dims: v } => *v = shape.iter().map(|&d| i32::from(d)).collect(),
                _ => {}
            }),
            RemoveOp { op } => {
                if !s.ops.is_empty() {
                    let n = s.ops.len();
                    s.ops.remove(op as usize % n);
                }
            }
            DuplicateOp { op } => {
                if let Some(o) = pick(&mut s.ops, op).cloned() {
                    s.ops.push(o);
                }
            }
            SwapOps { a, b } => {
                let n = s.ops.len();
                if n > 0 {
                    s.ops.swap(a as usize % n, b as usize % n);
                }
            }
            GraphInput { value } => s.inputs = vec![value.value()],
            GraphOutput { value } => s.outputs = vec![value.value()],
        }
    }
}

fn edit_options(s: &mut ModelSpec, op: u8, f: impl FnOnce(&mut Options)) {
    if let Some(o) = pick(&mut s.ops, op).and_then(|o| o.options.as_mut()) {
        f(o);
    }
}

/// A miniature MobileNet V1 with sizes small enough that one fuzz execution runs the whole network.
pub fn tiny_net(u: &mut Unstructured<'_>) -> Result<TinyNet> {
    let blocks = u.int_in_range(1..=3)?;
    Ok(TinyNet {
        float: u.arbitrary()?,
        input_size: u.int_in_range(1..=24)?,
        stem_channels: u.int_in_range(1..=6)?,
        blocks: (0..blocks).map(|_| Ok((u.int_in_range(1..=2)?, u.int_in_range(1..=6)?))).collect::<Result<_>>()?,
        classes: u.int_in_range(1..=12)?,
        head: *u.choose(&[Head::Direct, Head::Reshape, Head::Squeeze])?,
        activation: *u.choose(&[0i8, 1, 3])?,
        seed: u.arbitrary()?,
    })
}

/// A fuzzed model file and how it was made.
pub struct FuzzModel {
    pub net: TinyNet,
    pub edits: Vec<Edit>,
    /// Byte patches (offset, xor) applied to the serialised file; a zero xor changes nothing.
    pub patches: Vec<(u32, u8)>,
    pub bytes: Vec<u8>,
}

impl FuzzModel {
    /// True when the file is exactly the well-formed net (no edit, no effective patch).
    pub fn pristine(&self) -> bool {
        self.edits.is_empty() && self.patches.iter().all(|&(_, x)| x == 0)
    }
}

/// A model from fuzzer bytes: a tiny net, up to 4 field edits, then up to 4 byte patches (offset, xor) of the
/// serialised file.
pub fn model_from(u: &mut Unstructured<'_>) -> Result<FuzzModel> {
    let net = tiny_net(u)?;
    let mut spec = net.spec();
    let n_edits = u.int_in_range(0..=4)?;
    let edits: Vec<Edit> = (0..n_edits).map(|_| u.arbitrary()).collect::<Result<_>>()?;
    for e in &edits {
        e.apply(&mut spec);
    }
    let mut bytes = spec.to_tflite();
    let n_patches = u.int_in_range(0..=4)?;
    let patches: Vec<(u32, u8)> = (0..n_patches).map(|_| u.arbitrary()).collect::<Result<_>>()?;
    let len = bytes.len();
    for &(offset, xor) in &patches {
        bytes[offset as usize % len] ^= xor;
    }
    Ok(FuzzModel { net, edits, patches, bytes })
}
