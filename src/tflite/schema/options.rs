//! `BuiltinOptions` tables of the ops we read. Enum-typed fields (padding, activation) are bytes whose default 0
//! means SAME / NONE; other defaults as in the TFLite schema (strides 0, dilation factors 1, depth multiplier 0).

use flatbuffers::{ForwardsUOffset, Table, VOffsetT, Vector, Verifiable, Verifier};

use super::{slot, Result};

table!(Conv2DOptions);

impl Conv2DOptions<'_> {
    const PADDING: VOffsetT = slot(0);
    const STRIDE_W: VOffsetT = slot(1);
    const STRIDE_H: VOffsetT = slot(2);
    const ACTIVATION: VOffsetT = slot(3);
    const DILATION_W: VOffsetT = slot(4);
    const DILATION_H: VOffsetT = slot(5);

    pub fn padding(&self) -> i8 {
        self.scalar::<i8>(Self::PADDING, 0)
    }
    pub fn stride_w(&self) -> i32 {
        self.scalar::<i32>(Self::STRIDE_W, 0)
    }
    pub fn stride_h(&self) -> i32 {
        self.scalar::<i32>(Self::STRIDE_H, 0)
    }
    pub fn fused_activation_function(&self) -> i8 {
        self.scalar::<i8>(Self::ACTIVATION, 0)
    }
    pub fn dilation_w_factor(&self) -> i32 {
        self.scalar::<i32>(Self::DILATION_W, 1)
    }
    pub fn dilation_h_factor(&self) -> i32 {
        self.scalar::<i32>(Self::DILATION_H, 1)
    }
}

impl Verifiable for Conv2DOptions<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result {
        v.visit_table(pos)?
            .visit_field::<i8>("padding", Self::PADDING, false)?
            .visit_field::<i32>("stride_w", Self::STRIDE_W, false)?
            .visit_field::<i32>("stride_h", Self::STRIDE_H, false)?
            .visit_field::<i8>("fused_activation_function", Self::ACTIVATION, false)?
            .visit_field::<i32>("dilation_w_factor", Self::DILATION_W, false)?
            .visit_field::<i32>("dilation_h_factor", Self::DILATION_H, false)?
            .finish();
        Ok(())
    }
}

table!(DepthwiseConv2DOptions);

impl DepthwiseConv2DOptions<'_> {
    const PADDING: VOffsetT = slot(0);
    const STRIDE_W: VOffsetT = slot(1);
    const STRIDE_H: VOffsetT = slot(2);
    const DEPTH_MULTIPLIER: VOffsetT = slot(3);
    const ACTIVATION: VOffsetT = slot(4);
    const DILATION_W: VOffsetT = slot(5);
    const DILATION_H: VOffsetT = slot(6);

    pub fn padding(&self) -> i8 {
        self.scalar::<i8>(Self::PADDING, 0)
    }
    pub fn stride_w(&self) -> i32 {
        self.scalar::<i32>(Self::STRIDE_W, 0)
    }
    pub fn stride_h(&self) -> i32 {
        self.scalar::<i32>(Self::STRIDE_H, 0)
    }
    pub fn depth_multiplier(&self) -> i32 {
        self.scalar::<i32>(Self::DEPTH_MULTIPLIER, 0)
    }
    pub fn fused_activation_function(&self) -> i8 {
        self.scalar::<i8>(Self::ACTIVATION, 0)
    }
    pub fn dilation_w_factor(&self) -> i32 {
        self.scalar::<i32>(Self::DILATION_W, 1)
    }
    pub fn dilation_h_factor(&self) -> i32 {
        self.scalar::<i32>(Self::DILATION_H, 1)
    }
}

impl Verifiable for DepthwiseConv2DOptions<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result {
        v.visit_table(pos)?
            .visit_field::<i8>("padding", Self::PADDING, false)?
            .visit_field::<i32>("stride_w", Self::STRIDE_W, false)?
            .visit_field::<i32>("stride_h", Self::STRIDE_H, false)?
            .visit_field::<i32>("depth_multiplier", Self::DEPTH_MULTIPLIER, false)?
            .visit_field::<i8>("fused_activation_function", Self::ACTIVATION, false)?
            .visit_field::<i32>("dilation_w_factor", Self::DILATION_W, false)?
            .visit_field::<i32>("dilation_h_factor", Self::DILATION_H, false)?
            .finish();
        Ok(())
    }
}

table!(Pool2DOptions);

impl Pool2DOptions<'_> {
    const PADDING: VOffsetT = slot(0);
    const STRIDE_W: VOffsetT = slot(1);
    const STRIDE_H: VOffsetT = slot(2);
    const FILTER_W: VOffsetT = slot(3);
    const FILTER_H: VOffsetT = slot(4);
    const ACTIVATION: VOffsetT = slot(5);

    pub fn padding(&self) -> i8 {
        self.scalar::<i8>(Self::PADDING, 0)
    }
    pub fn stride_w(&self) -> i32 {
        self.scalar::<i32>(Self::STRIDE_W, 0)
    }
    pub fn stride_h(&self) -> i32 {
        self.scalar::<i32>(Self::STRIDE_H, 0)
    }
    pub fn filter_width(&self) -> i32 {
        self.scalar::<i32>(Self::FILTER_W, 0)
    }
    pub fn filter_height(&self) -> i32 {
        self.scalar::<i32>(Self::FILTER_H, 0)
    }
    pub fn fused_activation_function(&self) -> i8 {
        self.scalar::<i8>(Self::ACTIVATION, 0)
    }
}

impl Verifiable for Pool2DOptions<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result {
        v.visit_table(pos)?
            .visit_field::<i8>("padding", Self::PADDING, false)?
            .visit_field::<i32>("stride_w", Self::STRIDE_W, false)?
            .visit_field::<i32>("stride_h", Self::STRIDE_H, false)?
            .visit_field::<i32>("filter_width", Self::FILTER_W, false)?
            .visit_field::<i32>("filter_height", Self::FILTER_H, false)?
            .visit_field::<i8>("fused_activation_function", Self::ACTIVATION, false)?
            .finish();
        Ok(())
    }
}

table!(SoftmaxOptions);

impl SoftmaxOptions<'_> {
    const BETA: VOffsetT = slot(0);

    pub fn beta(&self) -> f32 {
        self.scalar::<f32>(Self::BETA, 0.0)
    }
}

impl Verifiable for SoftmaxOptions<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result {
        v.visit_table(pos)?.visit_field::<f32>("beta", Self::BETA, false)?.finish();
        Ok(())
    }
}

table!(ReshapeOptions);

impl<'a> ReshapeOptions<'a> {
    const NEW_SHAPE: VOffsetT = slot(0);

    pub fn new_shape(&self) -> Option<Vector<'a, i32>> {
        self.offset::<Vector<'a, i32>>(Self::NEW_SHAPE)
    }
}

impl Verifiable for ReshapeOptions<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result {
        v.visit_table(pos)?
            .visit_field::<ForwardsUOffset<Vector<'_, i32>>>("new_shape", Self::NEW_SHAPE, false)?
            .finish();
        Ok(())
    }
}

table!(SqueezeOptions);

impl<'a> SqueezeOptions<'a> {
    const SQUEEZE_DIMS: VOffsetT = slot(0);

    pub fn squeeze_dims(&self) -> Option<Vector<'a, i32>> {
        self.offset::<Vector<'a, i32>>(Self::SQUEEZE_DIMS)
    }
}

impl Verifiable for SqueezeOptions<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result {
        v.visit_table(pos)?
            .visit_field::<ForwardsUOffset<Vector<'_, i32>>>("squeeze_dims", Self::SQUEEZE_DIMS, false)?
            .finish();
        Ok(())
    }
}
