//! The executor: runs a plan's layers in order over a fixed set of buffers allocated once at load. Classifying a
//! frame allocates nothing. Which kernel variant runs for a layer is decided here, in one place.

use super::plan::{F32Layer, Planned, Q8Layer};
use super::recognise::LayerKind;
use crate::kernels::{f32 as kf32, q8 as kq8};

/// Buffer slots. Activations ping-pong between `PING` and `PONG`; the pooled feature vector, the logits and the
/// probabilities get slots of their own so they can be read after a run (embedding, raw output).
pub const INPUT: usize = 0;
pub const PING: usize = 1;
pub const PONG: usize = 2;
pub const POOLED: usize = 3;
pub const LOGITS: usize = 4;
pub const PROBS: usize = 5;
const SLOTS: usize = 6;

/// All activation memory of one network, plus the (source, destination) slot of every layer.
#[derive(Debug, Clone)]
pub struct Arena<T> {
    bufs: [Vec<T>; SLOTS],
    routes: Vec<(usize, usize)>,
}

impl<T: Copy + Default> Arena<T> {
    /// Size every slot for the layers' windows and route each layer's input and output.
    pub fn new<L>(layers: &[Planned<L>]) -> Self {
        let mut sizes = [0usize; SLOTS];
        let mut routes = Vec::with_capacity(layers.len());
        let mut src = INPUT;
        let mut after_pool = false;
        for l in layers {
            let dst = match l.kind {
                LayerKind::AveragePool => {
                    after_pool = true;
                    POOLED
                }
                LayerKind::Softmax => PROBS,
                _ if after_pool => LOGITS,
                _ if src == PING => PONG,
                _ => PING,
            };
            sizes[src] = sizes[src].max(l.window.input_len());
            sizes[dst] = sizes[dst].max(l.window.output_len());
            routes.push((src, dst));
            src = dst;
        }
        Arena { bufs: sizes.map(|n| vec![T::default(); n]), routes }
    }
}

impl<T> Arena<T> {
    pub fn slot(&self, s: usize) -> &[T] {
        &self.bufs[s]
    }
    pub fn slot_mut(&mut self, s: usize) -> &mut [T] {
        &mut self.bufs[s]
    }
    /// Layer `i`'s input (shared) and output (exclusive) buffers, trimmed to the layer's sizes.
    fn io(&mut self, i: usize, in_len: usize, out_len: usize) -> (&[T], &mut [T]) {
        let (s, d) = self.routes[i];
        debug_assert_ne!(s, d);
        let (lo, hi) = self.bufs.split_at_mut(s.max(d));
        let (src, dst) = if s < d { (&lo[s], &mut hi[0]) } else { (&hi[0] as &Vec<T>, &mut lo[d]) };
        (&src[..in_len], &mut dst[..out_len])
    }
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

/// Run every float layer; see [`run_q8`].
pub fn run_f32(layers: &[Planned<F32Layer>], arena: &mut Arena<f32>, mut observe: Option<&mut dyn FnMut(usize, &[f32])>) {
    for (i, l) in layers.iter().enumerate() {
        let w = &l.window;
        let (input, output) = arena.io(i, w.input_len(), w.output_len());
        match &l.params {
            F32Layer::Conv { filter, bias, act_min, act_max } => {
                kf32::conv2d_ref(w, input, filter, bias, *act_min, *act_max, output)
            }
            F32Layer::Depthwise { filter, bias, act_min, act_max } => {
                kf32::depthwise_conv2d_ref(w, input, filter, bias, *act_min, *act_max, output)
            }
            F32Layer::AveragePool { act_min, act_max } => kf32::average_pool_ref(w, *act_min, *act_max, input, output),
            F32Layer::Softmax { beta } => kf32::softmax_ref(*beta, input, output),
        }
        if let Some(f) = observe.as_mut() {
            f(l.op_index, output);
        }
    }
}
