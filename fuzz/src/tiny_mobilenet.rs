//! Builds small but complete MobileNet V1 `.tflite` files (stem conv → depthwise/pointwise blocks → global average
//! pool → 1×1 classifier → optional RESHAPE/SQUEEZE → softmax), uint8 or float32, so fuzzers and regression tests get
//! models that pass the recogniser and run in microseconds, and can then break them one field at a time.
//!
//! Two levels: [`TinyNet`] describes a well-formed network; [`ModelSpec`] is the generic graph it lowers to (tensors,
//! operators, buffers), which callers may edit freely before [`ModelSpec::to_tflite`] serialises it. Field slots are
//! written from TFLite's `schema.fbs` (field id n at vtable offset 4 + 2n), independently of the crate's reader.
//! Shared by `fuzz/` and `tests/regressions.rs` (included there with `#[path]`); depends only on `flatbuffers`.

use flatbuffers::{FlatBufferBuilder, WIPOffset};

/// TFLite builtin operator codes and tensor types used here.
pub mod code {
    pub const AVERAGE_POOL_2D: i32 = 1;
    pub const CONV_2D: i32 = 3;
    pub const DEPTHWISE_CONV_2D: i32 = 4;
    pub const RESHAPE: i32 = 22;
    pub const SOFTMAX: i32 = 25;
    pub const SQUEEZE: i32 = 43;
    pub const FLOAT32: i8 = 0;
    pub const INT32: i8 = 2;
    pub const UINT8: i8 = 3;
}

/// Per-tensor quantisation: (scales, zero points, quantized_dimension).
pub type Quant = (Vec<f32>, Vec<i64>, i32);

#[derive(Clone, Debug, PartialEq)]
pub struct TensorSpec {
    pub name: String,
    pub shape: Vec<i32>,
    pub ty: i8,
    pub buffer: u32,
    pub quant: Option<Quant>,
}

/// Builtin options of one operator, with every field TFLite's schema gives it.
#[derive(Clone, Debug, PartialEq)]
pub enum Options {
    Conv { padding: i8, stride_w: i32, stride_h: i32, activation: i8, dilation_w: i32, dilation_h: i32 },
    Depthwise { padding: i8, stride_w: i32, stride_h: i32, depth_multiplier: i32, activation: i8, dilation_w: i32, dilation_h: i32 },
    Pool { padding: i8, stride_w: i32, stride_h: i32, filter_w: i32, filter_h: i32, activation: i8 },
    Softmax { beta: f32 },
    Reshape { new_shape: Vec<i32> },
    Squeeze { squeeze_dims: Vec<i32> },
}

impl Options {
    /// The `BuiltinOptions` union tag of this options table.
    pub fn tag(&self) -> u8 {
        match self {
            Options::Conv { .. } => 1,
            Options::Depthwise { .. } => 2,
            Options::Pool { .. } => 5,
            Options::Softmax { .. } => 9,
            Options::Reshape { .. } => 17,
            Options::Squeeze { .. } => 30,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct OpSpec {
    pub code: i32,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    /// `None` writes no options table (and tag 0).
    pub options: Option<Options>,
}

/// A whole single-subgraph model, ready to serialise.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    pub tensors: Vec<TensorSpec>,
    pub ops: Vec<OpSpec>,
    pub buffers: Vec<Vec<u8>>,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
}

/// What follows the classifier before the softmax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    Direct,
    Reshape,
    Squeeze,
}

/// A well-formed MobileNet V1 in miniature. Every convolution uses SAME padding, as the published models do.
#[derive(Clone, Debug, PartialEq)]
pub struct TinyNet {
    pub float: bool,
    /// Input resolution ρ (≥ 1).
    pub input_size: u32,
    /// Output channels of the 3×3 stride-2 stem (≥ 1).
    pub stem_channels: u32,
    /// (depthwise stride 1 or 2, pointwise output channels ≥ 1) per depthwise-separable block; MobileNet V1 has
    /// at least one.
    pub blocks: Vec<(u32, u32)>,
    pub classes: u32,
    pub head: Head,
    /// Fused activation of the hidden layers: 0 none, 1 ReLU, 3 ReLU6.
    pub activation: i8,
    /// Seeds the pseudo-random weights.
    pub seed: u64,
}

impl Default for TinyNet {
    /// Input 8×8, stem 4 channels, two blocks, 5 classes, RESHAPE head, uint8, ReLU6.
    fn default() -> Self {
        TinyNet { float: false, input_size: 8, stem_channels: 4, blocks: vec![(1, 6), (2, 8)], classes: 5, head: Head::Reshape, activation: 3, seed: 1 }
    }
}

/// xorshift64*: deterministic weights without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

const ACT_SCALE: f32 = 6.0 / 255.0;
const WEIGHT_SCALE: f32 = 0.02;
const LOGIT_SCALE: f32 = 0.1;

impl TinyNet {
    /// Lowers the network to a [`ModelSpec`] (valid for the recogniser when every size is ≥ 1).
    pub fn spec(&self) -> ModelSpec {
        let mut b = SpecBuilder { spec: ModelSpec { tensors: vec![], ops: vec![], buffers: vec![vec![]], inputs: vec![], outputs: vec![] }, net: self, rng: Rng(self.seed | 1) };
        let r = self.input_size as i32;
        let input = b.activation("input", vec![1, r, r, 3], (1.0 / 128.0, 128));
        b.spec.inputs = vec![input];
        let conv = |stride| Options::Conv { padding: 0, stride_w: stride, stride_h: stride, activation: self.activation, dilation_w: 1, dilation_h: 1 };
        let (mut x, mut side, mut ch) = (input, (r + 1) / 2, self.stem_channels as i32);
        x = b.conv("stem", x, [ch, 3, 3, 3], vec![1, side, side, ch], conv(2));
        for (k, &(stride, out_ch)) in self.blocks.iter().enumerate() {
            let stride = stride.clamp(1, 2) as i32;
            side = (side + stride - 1) / stride;
            let dw = Options::Depthwise { padding: 0, stride_w: stride, stride_h: stride, depth_multiplier: 1, activation: self.activation, dilation_w: 1, dilation_h: 1 };
            x = b.conv(&format!("dw{k}"), x, [1, 3, 3, ch], vec![1, side, side, ch], dw);
            let out_ch = out_ch as i32;
            x = b.conv(&format!("pw{k}"), x, [out_ch, 1, 1, ch], vec![1, side, side, out_ch], conv(1));
            ch = out_ch;
        }
        let pool_q = b.quant_of(x);
        let pooled = b.activation("pool", vec![1, 1, 1, ch], pool_q);
        let pool = Options::Pool { padding: 1, stride_w: 2, stride_h: 2, filter_w: side, filter_h: side, activation: 0 };
        b.op(code::AVERAGE_POOL_2D, vec![x], pooled, pool);
        let k = self.classes as i32;
        let classifier = Options::Conv { padding: 0, stride_w: 1, stride_h: 1, activation: 0, dilation_w: 1, dilation_h: 1 };
        let mut logits = b.conv_with_out_quant("logits", pooled, [k, 1, 1, ch], vec![1, 1, 1, k], classifier, (LOGIT_SCALE, 128));
        let lq = b.quant_of(logits);
        match self.head {
            Head::Direct => {}
            Head::Reshape => {
                let t = b.activation("reshape", vec![1, k], lq);
                b.op(code::RESHAPE, vec![logits], t, Options::Reshape { new_shape: vec![1, k] });
                logits = t;
            }
            Head::Squeeze => {
                let t = b.activation("squeeze", vec![1, k], lq);
                b.op(code::SQUEEZE, vec![logits], t, Options::Squeeze { squeeze_dims: vec![1, 2] });
                logits = t;
            }
        }
        let probs_shape = if self.head == Head::Direct { vec![1, 1, 1, k] } else { vec![1, k] };
        let probs = b.activation("probs", probs_shape, (1.0 / 256.0, 0));
        b.op(code::SOFTMAX, vec![logits], probs, Options::Softmax { beta: 1.0 });
        b.spec.outputs = vec![probs];
        b.spec
    }

    pub fn to_tflite(&self) -> Vec<u8> {
        self.spec().to_tflite()
    }
}

struct SpecBuilder<'n> {
    spec: ModelSpec,
    net: &'n TinyNet,
    rng: Rng,
}

impl SpecBuilder<'_> {
    fn push(&mut self, name: &str, shape: Vec<i32>, ty: i8, data: Vec<u8>, quant: Option<Quant>) -> i32 {
        let buffer = if data.is_empty() {
            0
        } else {
            self.spec.buffers.push(data);
            (self.spec.buffers.len() - 1) as u32
        };
        self.spec.tensors.push(TensorSpec { name: name.to_string(), shape, ty, buffer, quant });
        (self.spec.tensors.len() - 1) as i32
    }

    fn activation(&mut self, name: &str, shape: Vec<i32>, (scale, zp): (f32, i64)) -> i32 {
        if self.net.float {
            self.push(name, shape, code::FLOAT32, vec![], None)
        } else {
            self.push(name, shape, code::UINT8, vec![], Some((vec![scale], vec![zp], 0)))
        }
    }

    fn quant_of(&self, t: i32) -> (f32, i64) {
        match &self.spec.tensors[t as usize].quant {
            Some((s, z, _)) => (s[0], z[0]),
            None => (1.0, 0),
        }
    }

    fn op(&mut self, code: i32, inputs: Vec<i32>, output: i32, options: Options) {
        self.spec.ops.push(OpSpec { code, inputs, outputs: vec![output], options: Some(options) });
    }

    fn conv(&mut self, name: &str, x: i32, filter_shape: [i32; 4], out_shape: Vec<i32>, options: Options) -> i32 {
        let out_q = if self.net.activation == 0 { (ACT_SCALE, 128) } else { (ACT_SCALE, 0) };
        self.conv_with_out_quant(name, x, filter_shape, out_shape, options, out_q)
    }

    /// A CONV_2D or DEPTHWISE_CONV_2D with pseudo-random weights and bias; returns the output tensor.
    fn conv_with_out_quant(&mut self, name: &str, x: i32, filter_shape: [i32; 4], out_shape: Vec<i32>, options: Options, out_q: (f32, i64)) -> i32 {
        let n: usize = filter_shape.iter().map(|&d| d.max(0) as usize).product();
        let depthwise = matches!(options, Options::Depthwise { .. });
        let out_ch = if depthwise { filter_shape[3] } else { filter_shape[0] } as usize;
        let (filter, bias) = if self.net.float {
            let f: Vec<u8> = (0..n).flat_map(|_| ((self.rng.next() % 1000) as f32 / 1000.0 - 0.5).to_le_bytes()).collect();
            let b: Vec<u8> = (0..out_ch).flat_map(|_| ((self.rng.next() % 100) as f32 / 100.0 - 0.5).to_le_bytes()).collect();
            let fi = self.push(&format!("{name}/weights"), filter_shape.to_vec(), code::FLOAT32, f, None);
            let bi = self.push(&format!("{name}/bias"), vec![out_ch as i32], code::FLOAT32, b, None);
            (fi, bi)
        } else {
            let (in_scale, _) = self.quant_of(x);
            let f: Vec<u8> = (0..n).map(|_| self.rng.next() as u8).collect();
            let b: Vec<u8> = (0..out_ch).flat_map(|_| ((self.rng.next() % 2001) as i32 - 1000).to_le_bytes()).collect();
            let fq = Some((vec![WEIGHT_SCALE], vec![128 + (self.rng.next() % 16) as i64 - 8], 0));
            let fi = self.push(&format!("{name}/weights"), filter_shape.to_vec(), code::UINT8, f, fq);
            let bq = Some((vec![in_scale * WEIGHT_SCALE], vec![0], 0));
            let bi = self.push(&format!("{name}/bias"), vec![out_ch as i32], code::INT32, b, bq);
            (fi, bi)
        };
        let out = self.activation(name, out_shape, out_q);
        let code = if depthwise { code::DEPTHWISE_CONV_2D } else { code::CONV_2D };
        self.op(code, vec![x, filter, bias], out, options);
        out
    }
}

impl ModelSpec {
    /// Serialises to `.tflite` bytes (version 3, identifier "TFL3", one subgraph, one operator code per distinct
    /// builtin code in order of first use).
    pub fn to_tflite(&self) -> Vec<u8> {
        let mut codes: Vec<i32> = Vec::new();
        for op in &self.ops {
            if !codes.contains(&op.code) {
                codes.push(op.code);
            }
        }
        let mut b = FlatBufferBuilder::with_capacity(1024 + self.buffers.iter().map(Vec::len).sum::<usize>());
        let code_tables: Vec<_> = codes
            .iter()
            .map(|&c| {
                let t = b.start_table();
                b.push_slot_always::<i8>(4, c.clamp(0, 127) as i8);
                b.push_slot_always::<i32>(8, 1);
                b.push_slot_always::<i32>(10, c);
                b.end_table(t)
            })
            .collect();
        let buffers: Vec<_> = self
            .buffers
            .iter()
            .map(|data| {
                let d = (!data.is_empty()).then(|| b.create_vector(data));
                let t = b.start_table();
                if let Some(d) = d {
                    b.push_slot_always(4, d);
                }
                b.end_table(t)
            })
            .collect();
        let tensors: Vec<_> = self.tensors.iter().map(|t| tensor(&mut b, t)).collect();
        let ops: Vec<_> = self
            .ops
            .iter()
            .map(|o| {
                let (i, out) = (b.create_vector(&o.inputs), b.create_vector(&o.outputs));
                let opts = o.options.as_ref().map(|opt| options(&mut b, opt));
                let index = codes.iter().position(|&c| c == o.code).unwrap_or(0) as u32;
                let t = b.start_table();
                b.push_slot::<u32>(4, index, 0);
                b.push_slot_always(6, i);
                b.push_slot_always(8, out);
                if let Some((tag, x)) = opts {
                    b.push_slot_always::<u8>(10, tag);
                    b.push_slot_always(12, x);
                }
                b.end_table(t)
            })
            .collect();
        let (tv, ov) = (b.create_vector(&tensors), b.create_vector(&ops));
        let (iv, outv) = (b.create_vector(&self.inputs), b.create_vector(&self.outputs));
        let sg = b.start_table();
        b.push_slot_always(4, tv);
        b.push_slot_always(6, iv);
        b.push_slot_always(8, outv);
        b.push_slot_always(10, ov);
        let sg = b.end_table(sg);
        let (cv, sv, bv) = (b.create_vector(&code_tables), b.create_vector(&[sg]), b.create_vector(&buffers));
        let desc = b.create_string("tiny mobilenet");
        let m = b.start_table();
        b.push_slot::<u32>(4, 3, 0);
        b.push_slot_always(6, cv);
        b.push_slot_always(8, sv);
        b.push_slot_always(10, desc);
        b.push_slot_always(12, bv);
        let m = b.end_table(m);
        b.finish(m, Some("TFL3"));
        b.finished_data().to_vec()
    }
}

fn tensor<'b>(b: &mut FlatBufferBuilder<'b>, t: &TensorSpec) -> WIPOffset<flatbuffers::TableFinishedWIPOffset> {
    let shape = b.create_vector(&t.shape);
    let name = b.create_string(&t.name);
    let q = t.quant.as_ref().map(|(sc, zp, qd)| {
        let (sc, zp) = (b.create_vector(sc), b.create_vector(zp));
        let q = b.start_table();
        b.push_slot_always(8, sc);
        b.push_slot_always(10, zp);
        b.push_slot::<i32>(16, *qd, 0);
        b.end_table(q)
    });
    let tt = b.start_table();
    b.push_slot_always(4, shape);
    b.push_slot::<i8>(6, t.ty, 0);
    b.push_slot::<u32>(8, t.buffer, 0);
    b.push_slot_always(10, name);
    if let Some(q) = q {
        b.push_slot_always(12, q);
    }
    b.end_table(tt)
}

fn options<'b>(b: &mut FlatBufferBuilder<'b>, o: &Options) -> (u8, WIPOffset<flatbuffers::TableFinishedWIPOffset>) {
    let list = match o {
        Options::Reshape { new_shape: v } | Options::Squeeze { squeeze_dims: v } => Some(b.create_vector(v)),
        _ => None,
    };
    let t = b.start_table();
    match *o {
        Options::Conv { padding, stride_w, stride_h, activation, dilation_w, dilation_h } => {
            b.push_slot_always::<i8>(4, padding);
            b.push_slot_always::<i32>(6, stride_w);
            b.push_slot_always::<i32>(8, stride_h);
            b.push_slot_always::<i8>(10, activation);
            b.push_slot_always::<i32>(12, dilation_w);
            b.push_slot_always::<i32>(14, dilation_h);
        }
        Options::Depthwise { padding, stride_w, stride_h, depth_multiplier, activation, dilation_w, dilation_h } => {
            b.push_slot_always::<i8>(4, padding);
            b.push_slot_always::<i32>(6, stride_w);
            b.push_slot_always::<i32>(8, stride_h);
            b.push_slot_always::<i32>(10, depth_multiplier);
            b.push_slot_always::<i8>(12, activation);
            b.push_slot_always::<i32>(14, dilation_w);
            b.push_slot_always::<i32>(16, dilation_h);
        }
        Options::Pool { padding, stride_w, stride_h, filter_w, filter_h, activation } => {
            b.push_slot_always::<i8>(4, padding);
            b.push_slot_always::<i32>(6, stride_w);
            b.push_slot_always::<i32>(8, stride_h);
            b.push_slot_always::<i32>(10, filter_w);
            b.push_slot_always::<i32>(12, filter_h);
            b.push_slot_always::<i8>(14, activation);
        }
        Options::Softmax { beta } => b.push_slot_always::<f32>(4, beta),
        Options::Reshape { .. } | Options::Squeeze { .. } => {
            if let Some(v) = list {
                b.push_slot_always(4, v);
            }
        }
    }
    (o.tag(), b.end_table(t))
}
