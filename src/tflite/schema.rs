//! Hand-written flatbuffer accessors for the small part of TensorFlow Lite's `schema.fbs` that MobileNet-style
//! graphs use. Not generated code: only the tables and fields the reader needs are declared.
//!
//! Safety model: every table type implements [`flatbuffers::Verifiable`] for exactly the fields its accessors
//! read, with the same types. [`root_model`] runs the verifier over everything reachable from the root before
//! handing out a [`Model`], so every accessor below only follows offsets the verifier has bounds-checked.
//! Union members are only followed when their tag names a variant the verifier checked.
//!
//! Field slots: a field with id `n` lives at vtable byte offset `4 + 2n`; a union takes two ids (tag, value).

use flatbuffers::{ForwardsUOffset, InvalidFlatbuffer, Table, VOffsetT, Vector, Verifiable, Verifier, VerifierOptions};

/// Vtable byte offset of field id `n`.
const fn slot(n: VOffsetT) -> VOffsetT {
    4 + 2 * n
}

/// `BuiltinOperator` codes we name.
pub mod op_code {
    pub const AVERAGE_POOL_2D: i32 = 1;
    pub const CONV_2D: i32 = 3;
    pub const DEPTHWISE_CONV_2D: i32 = 4;
    pub const RESHAPE: i32 = 22;
    pub const SOFTMAX: i32 = 25;
    pub const CUSTOM: i32 = 32;
    pub const SQUEEZE: i32 = 43;
}

/// `TensorType` codes.
pub mod tensor_type {
    pub const FLOAT32: i8 = 0;
    pub const INT32: i8 = 2;
    pub const UINT8: i8 = 3;
    pub const INT64: i8 = 4;
    pub const INT8: i8 = 9;
}

/// `BuiltinOptions` union tags we read.
pub mod options_tag {
    pub const NONE: u8 = 0;
    pub const CONV_2D: u8 = 1;
    pub const DEPTHWISE_CONV_2D: u8 = 2;
    pub const POOL_2D: u8 = 5;
    pub const SOFTMAX: u8 = 9;
    pub const RESHAPE: u8 = 17;
    pub const SQUEEZE: u8 = 30;
}

/// `QuantizationDetails` union tag of `CustomQuantization`.
const DETAILS_CUSTOM_QUANTIZATION: u8 = 1;

/// Declares a table wrapper: a `Copy` struct around a verified [`Table`], plus its `Follow` impl.
macro_rules! table {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy)]
        pub struct $name<'a> {
            tab: Table<'a>,
        }
        impl<'a> flatbuffers::Follow<'a> for $name<'a> {
            type Inner = $name<'a>;
            #[inline]
            unsafe fn follow(buf: &'a [u8], loc: usize) -> Self::Inner {
                // SAFETY: forwarded to the caller (a verified offset to a table of this type).
                $name { tab: unsafe { Table::new(buf, loc) } }
            }
        }
        impl<'a> $name<'a> {
            /// A scalar field, or `default` when absent.
            #[inline]
            #[allow(dead_code)]
            fn scalar<T: flatbuffers::Follow<'a, Inner = T> + Copy + 'a>(&self, slot: VOffsetT, default: T) -> T {
                // SAFETY: the verifier checked this slot holds a `T` inside the buffer (see `Verifiable` below).
                unsafe { self.tab.get::<T>(slot, Some(default)) }.unwrap_or(default)
            }
            /// An offset field (vector, string, table), or `None` when absent.
            #[inline]
            #[allow(dead_code)]
            fn offset<T: flatbuffers::Follow<'a> + 'a>(&self, slot: VOffsetT) -> Option<T::Inner> {
                // SAFETY: the verifier checked this slot holds an offset to a valid `T` (see `Verifiable` below).
                unsafe { self.tab.get::<ForwardsUOffset<T>>(slot, None) }
            }
        }
    };
}

type Result = std::result::Result<(), InvalidFlatbuffer>;
type Tables<'a, T> = Vector<'a, ForwardsUOffset<T>>;

// Declared after `table!` so the macro is in scope there.
mod options;
pub use options::*;

// ---------------------------------------------------------------------------------------------------------------
// Model

table!(
    /// Root table.
    Model
);

impl<'a> Model<'a> {
    const VERSION: VOffsetT = slot(0);
    const OPERATOR_CODES: VOffsetT = slot(1);
    const SUBGRAPHS: VOffsetT = slot(2);
    const DESCRIPTION: VOffsetT = slot(3);
    const BUFFERS: VOffsetT = slot(4);

    pub fn version(&self) -> u32 {
        self.scalar::<u32>(Self::VERSION, 0)
    }
    pub fn operator_codes(&self) -> Option<Tables<'a, OperatorCode<'a>>> {
        self.offset::<Tables<'a, OperatorCode<'a>>>(Self::OPERATOR_CODES)
    }
    pub fn subgraphs(&self) -> Option<Tables<'a, SubGraph<'a>>> {
        self.offset::<Tables<'a, SubGraph<'a>>>(Self::SUBGRAPHS)
    }
    pub fn description(&self) -> Option<&'a str> {
        self.offset::<&'a str>(Self::DESCRIPTION)
    }
    pub fn buffers(&self) -> Option<Tables<'a, Buffer<'a>>> {
        self.offset::<Tables<'a, Buffer<'a>>>(Self::BUFFERS)
    }
}

impl Verifiable for Model<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result {
        v.visit_table(pos)?
            .visit_field::<u32>("version", Self::VERSION, false)?
            .visit_field::<ForwardsUOffset<Tables<'_, OperatorCode>>>("operator_codes", Self::OPERATOR_CODES, false)?
            .visit_field::<ForwardsUOffset<Tables<'_, SubGraph>>>("subgraphs", Self::SUBGRAPHS, false)?
            .visit_field::<ForwardsUOffset<&str>>("description", Self::DESCRIPTION, false)?
            .visit_field::<ForwardsUOffset<Tables<'_, Buffer>>>("buffers", Self::BUFFERS, false)?
            .finish();
        Ok(())
    }
}

/// Verifies the whole reachable flatbuffer under `opts` and returns its root [`Model`].
pub fn root_model<'a>(opts: &VerifierOptions, bytes: &'a [u8]) -> std::result::Result<Model<'a>, InvalidFlatbuffer> {
    flatbuffers::root_with_opts::<Model>(opts, bytes)
}

// ---------------------------------------------------------------------------------------------------------------
// OperatorCode

table!(OperatorCode);

impl OperatorCode<'_> {
    const DEPRECATED_BUILTIN_CODE: VOffsetT = slot(0);
    const CUSTOM_CODE: VOffsetT = slot(1);
    const VERSION: VOffsetT = slot(2);
    const BUILTIN_CODE: VOffsetT = slot(3);

    pub fn deprecated_builtin_code(&self) -> i8 {
        self.scalar::<i8>(Self::DEPRECATED_BUILTIN_CODE, 0)
    }
    pub fn builtin_code(&self) -> i32 {
        self.scalar::<i32>(Self::BUILTIN_CODE, 0)
    }
    /// The effective builtin code: old files only fill the 8-bit field, new ones both (or only the 32-bit one
    /// for codes ≥ 127), so the larger of the two is the real one.
    pub fn code(&self) -> i32 {
        i32::from(self.deprecated_builtin_code()).max(self.builtin_code())
    }
    #[allow(dead_code)]
    pub fn version(&self) -> i32 {
        self.scalar::<i32>(Self::VERSION, 1)
    }
}

impl<'a> OperatorCode<'a> {
    #[allow(dead_code)]
    pub fn custom_code(&self) -> Option<&'a str> {
        self.offset::<&'a str>(Self::CUSTOM_CODE)
    }
}

impl Verifiable for OperatorCode<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result {
        v.visit_table(pos)?
            .visit_field::<i8>("deprecated_builtin_code", Self::DEPRECATED_BUILTIN_CODE, false)?
            .visit_field::<ForwardsUOffset<&str>>("custom_code", Self::CUSTOM_CODE, false)?
            .visit_field::<i32>("version", Self::VERSION, false)?
            .visit_field::<i32>("builtin_code", Self::BUILTIN_CODE, false)?
            .finish();
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// SubGraph

table!(SubGraph);

impl<'a> SubGraph<'a> {
    const TENSORS: VOffsetT = slot(0);
    const INPUTS: VOffsetT = slot(1);
    const OUTPUTS: VOffsetT = slot(2);
    const OPERATORS: VOffsetT = slot(3);
    const NAME: VOffsetT = slot(4);

    pub fn tensors(&self) -> Option<Tables<'a, Tensor<'a>>> {
        self.offset::<Tables<'a, Tensor<'a>>>(Self::TENSORS)
    }
    pub fn inputs(&self) -> Option<Vector<'a, i32>> {
        self.offset::<Vector<'a, i32>>(Self::INPUTS)
    }
    pub fn outputs(&self) -> Option<Vector<'a, i32>> {
        self.offset::<Vector<'a, i32>>(Self::OUTPUTS)
    }
    pub fn operators(&self) -> Option<Tables<'a, Operator<'a>>> {
        self.offset::<Tables<'a, Operator<'a>>>(Self::OPERATORS)
    }
    #[allow(dead_code)]
    pub fn name(&self) -> Option<&'a str> {
        self.offset::<&'a str>(Self::NAME)
    }
}

impl Verifiable for SubGraph<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result {
        v.visit_table(pos)?
            .visit_field::<ForwardsUOffset<Tables<'_, Tensor>>>("tensors", Self::TENSORS, false)?
            .visit_field::<ForwardsUOffset<Vector<'_, i32>>>("inputs", Self::INPUTS, false)?
            .visit_field::<ForwardsUOffset<Vector<'_, i32>>>("outputs", Self::OUTPUTS, false)?
            .visit_field::<ForwardsUOffset<Tables<'_, Operator>>>("operators", Self::OPERATORS, false)?
            .visit_field::<ForwardsUOffset<&str>>("name", Self::NAME, false)?
            .finish();
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Tensor

table!(Tensor);

impl<'a> Tensor<'a> {
    const SHAPE: VOffsetT = slot(0);
    const TYPE: VOffsetT = slot(1);
    const BUFFER: VOffsetT = slot(2);
    const NAME: VOffsetT = slot(3);
    const QUANTIZATION: VOffsetT = slot(4);

    pub fn shape(&self) -> Option<Vector<'a, i32>> {
        self.offset::<Vector<'a, i32>>(Self::SHAPE)
    }
    pub fn type_(&self) -> i8 {
        self.scalar::<i8>(Self::TYPE, tensor_type::FLOAT32)
    }
    pub fn buffer(&self) -> u32 {
        self.scalar::<u32>(Self::BUFFER, 0)
    }
    pub fn name(&self) -> Option<&'a str> {
        self.offset::<&'a str>(Self::NAME)
    }
    pub fn quantization(&self) -> Option<QuantizationParameters<'a>> {
        self.offset::<QuantizationParameters<'a>>(Self::QUANTIZATION)
    }
}

impl Verifiable for Tensor<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result {
        v.visit_table(pos)?
            .visit_field::<ForwardsUOffset<Vector<'_, i32>>>("shape", Self::SHAPE, false)?
            .visit_field::<i8>("type", Self::TYPE, false)?
            .visit_field::<u32>("buffer", Self::BUFFER, false)?
            .visit_field::<ForwardsUOffset<&str>>("name", Self::NAME, false)?
            .visit_field::<ForwardsUOffset<QuantizationParameters>>("quantization", Self::QUANTIZATION, false)?
            .finish();
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// QuantizationParameters (+ CustomQuantization, only so the `details` union is verified like generated code would)

table!(QuantizationParameters);

impl<'a> QuantizationParameters<'a> {
    const MIN: VOffsetT = slot(0);
    const MAX: VOffsetT = slot(1);
    const SCALE: VOffsetT = slot(2);
    const ZERO_POINT: VOffsetT = slot(3);
    const DETAILS_TYPE: VOffsetT = slot(4);
    const DETAILS: VOffsetT = slot(5);
    const QUANTIZED_DIMENSION: VOffsetT = slot(6);

    #[allow(dead_code)]
    pub fn min(&self) -> Option<Vector<'a, f32>> {
        self.offset::<Vector<'a, f32>>(Self::MIN)
    }
    #[allow(dead_code)]
    pub fn max(&self) -> Option<Vector<'a, f32>> {
        self.offset::<Vector<'a, f32>>(Self::MAX)
    }
    pub fn scale(&self) -> Option<Vector<'a, f32>> {
        self.offset::<Vector<'a, f32>>(Self::SCALE)
    }
    pub fn zero_point(&self) -> Option<Vector<'a, i64>> {
        self.offset::<Vector<'a, i64>>(Self::ZERO_POINT)
    }
    pub fn details_type(&self) -> u8 {
        self.scalar::<u8>(Self::DETAILS_TYPE, 0)
    }
    pub fn quantized_dimension(&self) -> i32 {
        self.scalar::<i32>(Self::QUANTIZED_DIMENSION, 0)
    }
}

impl Verifiable for QuantizationParameters<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result {
        v.visit_table(pos)?
            .visit_field::<ForwardsUOffset<Vector<'_, f32>>>("min", Self::MIN, false)?
            .visit_field::<ForwardsUOffset<Vector<'_, f32>>>("max", Self::MAX, false)?
            .visit_field::<ForwardsUOffset<Vector<'_, f32>>>("scale", Self::SCALE, false)?
            .visit_field::<ForwardsUOffset<Vector<'_, i64>>>("zero_point", Self::ZERO_POINT, false)?
            .visit_union::<u8, _>(
                "details_type",
                Self::DETAILS_TYPE,
                "details",
                Self::DETAILS,
                false,
                |tag, v, pos| match tag {
                    DETAILS_CUSTOM_QUANTIZATION => {
                        v.verify_union_variant::<ForwardsUOffset<CustomQuantization>>("CustomQuantization", pos)
                    }
                    _ => Ok(()),
                },
            )?
            .visit_field::<i32>("quantized_dimension", Self::QUANTIZED_DIMENSION, false)?
            .finish();
        Ok(())
    }
}

table!(
    /// Only verified, never read.
    CustomQuantization
);

impl CustomQuantization<'_> {
    const CUSTOM: VOffsetT = slot(0);
}

impl Verifiable for CustomQuantization<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result {
        v.visit_table(pos)?.visit_field::<ForwardsUOffset<Vector<'_, u8>>>("custom", Self::CUSTOM, false)?.finish();
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Buffer

table!(Buffer);

impl<'a> Buffer<'a> {
    const DATA: VOffsetT = slot(0);
    const OFFSET: VOffsetT = slot(1);
    const SIZE: VOffsetT = slot(2);

    /// Inline data (the usual case).
    pub fn data(&self) -> Option<&'a [u8]> {
        self.offset::<Vector<'a, u8>>(Self::DATA).map(|v| v.bytes())
    }
    /// For models stored with data outside the flatbuffer: byte offset from the start of the file (> 1), …
    pub fn offset_(&self) -> u64 {
        self.scalar::<u64>(Self::OFFSET, 0)
    }
    /// … and byte length of that data.
    pub fn size(&self) -> u64 {
        self.scalar::<u64>(Self::SIZE, 0)
    }
}

impl Verifiable for Buffer<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result {
        v.visit_table(pos)?
            .visit_field::<ForwardsUOffset<Vector<'_, u8>>>("data", Self::DATA, false)?
            .visit_field::<u64>("offset", Self::OFFSET, false)?
            .visit_field::<u64>("size", Self::SIZE, false)?
            .finish();
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Operator

table!(Operator);

impl<'a> Operator<'a> {
    const OPCODE_INDEX: VOffsetT = slot(0);
    const INPUTS: VOffsetT = slot(1);
    const OUTPUTS: VOffsetT = slot(2);
    const BUILTIN_OPTIONS_TYPE: VOffsetT = slot(3);
    const BUILTIN_OPTIONS: VOffsetT = slot(4);

    pub fn opcode_index(&self) -> u32 {
        self.scalar::<u32>(Self::OPCODE_INDEX, 0)
    }
    pub fn inputs(&self) -> Option<Vector<'a, i32>> {
        self.offset::<Vector<'a, i32>>(Self::INPUTS)
    }
    pub fn outputs(&self) -> Option<Vector<'a, i32>> {
        self.offset::<Vector<'a, i32>>(Self::OUTPUTS)
    }
    pub fn builtin_options_type(&self) -> u8 {
        self.scalar::<u8>(Self::BUILTIN_OPTIONS_TYPE, options_tag::NONE)
    }
    /// The options table when the union tag is `tag` (one of the tags the verifier checks).
    fn options_if<T: flatbuffers::Follow<'a> + 'a>(&self, tag: u8) -> Option<T::Inner> {
        if self.builtin_options_type() == tag {
            self.offset::<T>(Self::BUILTIN_OPTIONS)
        } else {
            None
        }
    }
    pub fn conv2d_options(&self) -> Option<Conv2DOptions<'a>> {
        self.options_if::<Conv2DOptions<'a>>(options_tag::CONV_2D)
    }
    pub fn depthwise_conv2d_options(&self) -> Option<DepthwiseConv2DOptions<'a>> {
        self.options_if::<DepthwiseConv2DOptions<'a>>(options_tag::DEPTHWISE_CONV_2D)
    }
    pub fn pool2d_options(&self) -> Option<Pool2DOptions<'a>> {
        self.options_if::<Pool2DOptions<'a>>(options_tag::POOL_2D)
    }
    pub fn softmax_options(&self) -> Option<SoftmaxOptions<'a>> {
        self.options_if::<SoftmaxOptions<'a>>(options_tag::SOFTMAX)
    }
    pub fn reshape_options(&self) -> Option<ReshapeOptions<'a>> {
        self.options_if::<ReshapeOptions<'a>>(options_tag::RESHAPE)
    }
    pub fn squeeze_options(&self) -> Option<SqueezeOptions<'a>> {
        self.options_if::<SqueezeOptions<'a>>(options_tag::SQUEEZE)
    }
}

impl Verifiable for Operator<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result {
        v.visit_table(pos)?
            .visit_field::<u32>("opcode_index", Self::OPCODE_INDEX, false)?
            .visit_field::<ForwardsUOffset<Vector<'_, i32>>>("inputs", Self::INPUTS, false)?
            .visit_field::<ForwardsUOffset<Vector<'_, i32>>>("outputs", Self::OUTPUTS, false)?
            .visit_union::<u8, _>(
                "builtin_options_type",
                Self::BUILTIN_OPTIONS_TYPE,
                "builtin_options",
                Self::BUILTIN_OPTIONS,
                false,
                |tag, v, pos| match tag {
                    options_tag::CONV_2D => {
                        v.verify_union_variant::<ForwardsUOffset<Conv2DOptions>>("Conv2DOptions", pos)
                    }
                    options_tag::DEPTHWISE_CONV_2D => {
                        v.verify_union_variant::<ForwardsUOffset<DepthwiseConv2DOptions>>("DepthwiseConv2DOptions", pos)
                    }
                    options_tag::POOL_2D => {
                        v.verify_union_variant::<ForwardsUOffset<Pool2DOptions>>("Pool2DOptions", pos)
                    }
                    options_tag::SOFTMAX => {
                        v.verify_union_variant::<ForwardsUOffset<SoftmaxOptions>>("SoftmaxOptions", pos)
                    }
                    options_tag::RESHAPE => {
                        v.verify_union_variant::<ForwardsUOffset<ReshapeOptions>>("ReshapeOptions", pos)
                    }
                    options_tag::SQUEEZE => {
                        v.verify_union_variant::<ForwardsUOffset<SqueezeOptions>>("SqueezeOptions", pos)
                    }
                    // Other option tables are never read, so they need no verification.
                    _ => Ok(()),
                },
            )?
            .finish();
        Ok(())
    }
}
