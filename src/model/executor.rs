//! The executor's memory: a fixed set of buffers allocated once at load, and the route of every layer through them.
//! Classifying a frame allocates nothing. The per-dtype run loops live in `q8.rs` and `f32.rs`.

use super::plan::Planned;
use super::recognise::LayerKind;
use crate::error::{Error, Result};

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
    /// Size every slot for the layers' windows and route each layer's input and output, refusing (`TooLarge`,
    /// before allocating anything) when the slots together would exceed `max_bytes`, and failing softly rather
    /// than aborting when the allocator (in wasm: `memory.grow`) says no.
    pub fn try_new<L>(layers: &[Planned<L>], max_bytes: u64) -> Result<Self> {
        let (sizes, routes) = Self::layout(layers);
        let elements: u64 = sizes.iter().map(|&n| n as u64).sum();
        let bytes = elements.saturating_mul(std::mem::size_of::<T>() as u64);
        if bytes > max_bytes {
            return Err(Error::too_large(format!(
                "the model needs {bytes} bytes of activation buffers, more than the limit of {max_bytes}"
            )));
        }
        let mut bufs: [Vec<T>; SLOTS] = Default::default();
        for (buf, &n) in bufs.iter_mut().zip(&sizes) {
            buf.try_reserve_exact(n)
                .map_err(|_| Error::too_large(format!("cannot allocate {n} activation elements")))?;
            buf.resize(n, T::default());
        }
        Ok(Arena { bufs, routes })
    }

    /// Slot sizes (elements) and per-layer (source, destination) slots.
    fn layout<L>(layers: &[Planned<L>]) -> ([usize; SLOTS], Vec<(usize, usize)>) {
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
        (sizes, routes)
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
    pub(super) fn io(&mut self, i: usize, in_len: usize, out_len: usize) -> (&[T], &mut [T]) {
        let (s, d) = self.routes[i];
        debug_assert_ne!(s, d);
        let (lo, hi) = self.bufs.split_at_mut(s.max(d));
        let (src, dst) = if s < d { (&lo[s], &mut hi[0]) } else { (&hi[0] as &Vec<T>, &mut lo[d]) };
        (&src[..in_len], &mut dst[..out_len])
    }
}

