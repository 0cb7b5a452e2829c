//! The typed, validated view of a `.tflite` file that the rest of the crate sees. Only what MobileNet-style
//! graphs need is represented; anything else is carried as `Other(..)` so the recogniser can name it in an error.
//! Every index in here has been range-checked by the reader: `tensors[i]`, `buffers[t.buffer]` never panic.

/// Element type of a tensor (TFLite `TensorType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorType {
    Float32,
    UInt8,
    Int8,
    Int32,
    Int64,
    /// Any other TFLite type code.
    Other(i8),
}

impl TensorType {
    /// Size of one element in bytes, for the types we can hold constant data of.
    pub fn size(self) -> Option<usize> {
        match self {
            TensorType::Float32 | TensorType::Int32 => Some(4),
            TensorType::UInt8 | TensorType::Int8 => Some(1),
            TensorType::Int64 => Some(8),
            TensorType::Other(_) => None,
        }
    }
}

/// Per-tensor or per-axis affine quantisation: `real = scale * (q - zero_point)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantization {
    pub scale: Vec<f32>,
    pub zero_point: Vec<i64>,
    /// Quantised dimension for per-axis quantisation (0 when per-tensor).
    pub quantized_dimension: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub name: String,
    /// Shape as stored (NHWC for activations, OHWI for conv filters, 1HWC for depthwise filters).
    pub shape: Vec<i32>,
    pub ty: TensorType,
    /// Index into [`Graph::buffers`]; buffer 0 is TFLite's conventional empty buffer.
    pub buffer: usize,
    /// `None` when the file has no (or empty) quantisation parameters.
    pub quantization: Option<Quantization>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    Same,
    Valid,
}

/// Fused activation function of an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    None,
    Relu,
    ReluN1To1,
    Relu6,
    /// Tanh, sign-bit, … (not supported by the recogniser).
    Other(i8),
}

/// Builtin operator codes we name; everything else is `Other(code)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinOp {
    AveragePool2d,
    Conv2d,
    DepthwiseConv2d,
    Reshape,
    Softmax,
    Squeeze,
    /// A builtin code we do not handle (or a custom op, reported as -1).
    Other(i32),
}

#[derive(Debug, Clone, PartialEq)]
pub enum OpOptions {
    Conv2d { padding: Padding, stride_w: i32, stride_h: i32, activation: Activation, dilation_w: i32, dilation_h: i32 },
    DepthwiseConv2d {
        padding: Padding,
        stride_w: i32,
        stride_h: i32,
        depth_multiplier: i32,
        activation: Activation,
        dilation_w: i32,
        dilation_h: i32,
    },
    Pool2d { padding: Padding, stride_w: i32, stride_h: i32, filter_w: i32, filter_h: i32, activation: Activation },
    Softmax { beta: f32 },
    Reshape { new_shape: Vec<i32> },
    Squeeze { squeeze_dims: Vec<i32> },
    /// The op has no options table, or options of a kind we do not read.
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub op: BuiltinOp,
    /// Tensor indices; -1 means "optional input absent" (TFLite convention).
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    pub options: OpOptions,
}

/// The first subgraph of a model, with its constant buffers borrowed from the file bytes.
#[derive(Debug, Clone)]
pub struct Graph<'a> {
    pub version: u32,
    pub description: String,
    pub tensors: Vec<Tensor>,
    pub operators: Vec<Operator>,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    /// Raw bytes of every buffer (empty for buffers without data).
    pub buffers: Vec<&'a [u8]>,
}

impl<'a> Graph<'a> {
    /// Constant data of a tensor (empty for activations).
    pub fn data(&self, tensor: &Tensor) -> &'a [u8] {
        self.buffers.get(tensor.buffer).copied().unwrap_or(&[])
    }
}
