//! A MobileNet V1 ready to run: recognised from a `.tflite` graph, planned, with its buffers allocated.
//!
//! ```text
//! bytes ─▶ tflite::parse ─▶ recognise (shape/dtype checks) ─▶ plan (weights decoded, requant precomputed)
//!       ─▶ Model { layers, arena }  ─▶ run() per frame, no allocation
//! ```

mod executor;
mod f32;
mod plan;
mod q8;
mod recognise;

pub use f32::F32Layer;
pub use plan::{Planned, PlannedLayers, QuantParams};
pub use q8::Q8Layer;

/// Sees each layer's output, keyed by TFLite operator index (per-layer golden tests, debugging).
pub type LayerObserver<'a, T> = &'a mut dyn FnMut(usize, &[T]);

/// A window kernel as the executor hands it a block of rows: `(block window, input, output)`.
type BlockKernel<'a, T> = dyn Fn(&crate::kernels::Window2d, &[T], &mut [T]) + Sync + 'a;
pub use recognise::{recognise, DType, LayerKind, LayerSpec, Recognised, MAX_ACTIVATION_ELEMENTS, MAX_INPUT_SIZE};

use crate::error::{Error, Result};
use crate::limits::Limits;
use executor::{Arena, INPUT, POOLED, PROBS};

/// What the model is, as read from the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    /// Input resolution ρ (the model takes ρ×ρ RGB).
    pub input_size: usize,
    /// Width multiplier α, derived from the pooled feature width (1024·α).
    pub alpha: f32,
    pub num_classes: usize,
    /// Length of the embedding (the global-average-pooled features).
    pub embedding_len: usize,
    pub dtype: DType,
    /// Depthwise-separable blocks (13 in MobileNet V1).
    pub blocks: usize,
    /// The flatbuffer's description string.
    pub description: String,
}

enum Net {
    Q8 { layers: Vec<Planned<Q8Layer>>, arena: Arena<u8>, embedding: QuantParams, output: QuantParams },
    /// `rgb` stages the u8 frame; it is normalised into the float input slot at run time.
    F32 { layers: Vec<Planned<F32Layer>>, arena: Arena<f32>, rgb: Vec<u8> },
}

/// Multiply-adds of one planned layer (only convolutions combine input channels).
pub(super) fn work_of<P>(l: &Planned<P>) -> usize {
    crate::parallel::layer_work(&l.window, l.kind != recognise::LayerKind::Conv)
}

/// A loaded, runnable model. Not `Sync`: one inference at a time per instance.
pub struct Model {
    info: ModelInfo,
    net: Net,
    /// Multiply-adds of one inference (fixed at load: it decides whether the thread pool is used).
    work: usize,
}

impl Model {
    /// Parse, recognise and plan a `.tflite` file under the default [`Limits`]. Every failure is a typed [`Error`].
    pub fn from_tflite(bytes: &[u8]) -> Result<Model> {
        Self::from_tflite_with_limits(bytes, &Limits::default())
    }

    /// [`Model::from_tflite`] with explicit caps on input resolution and activation memory, both checked against
    /// the sizes the file declares before the buffers are allocated (`TooLarge` otherwise).
    pub fn from_tflite_with_limits(bytes: &[u8], limits: &Limits) -> Result<Model> {
        limits.validate()?;
        let graph = crate::tflite::parse(bytes)?;
        let r = recognise(&graph)?;
        if r.input_size > limits.max_input_size {
            return Err(Error::too_large(format!(
                "input resolution {} is above the limit of {}",
                r.input_size, limits.max_input_size
            )));
        }
        let info = ModelInfo {
            input_size: r.input_size,
            alpha: r.alpha,
            num_classes: r.num_classes,
            embedding_len: r.embedding_len,
            dtype: r.dtype,
            blocks: r.layers.iter().filter(|l| l.kind == LayerKind::Depthwise).count(),
            description: graph.description.clone(),
        };
        let net = match plan::plan(&graph, &r)? {
            PlannedLayers::Q8 { layers, embedding, output } => {
                let arena = Arena::try_new(&layers, limits.max_activation_bytes)?;
                Net::Q8 { layers, arena, embedding, output }
            }
            PlannedLayers::F32 { layers } => {
                // The u8 staging frame counts against the same cap (the input size is capped, so no overflow).
                let rgb_len = r.input_size * r.input_size * 3;
                let arena = Arena::try_new(&layers, limits.max_activation_bytes.saturating_sub(rgb_len as u64))?;
                Net::F32 { layers, arena, rgb: vec![0; rgb_len] }
            }
        };
        let work = match &net {
            Net::Q8 { layers, .. } => layers.iter().map(work_of).sum(),
            Net::F32 { layers, .. } => layers.iter().map(work_of).sum(),
        };
        Ok(Model { info, net, work })
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Elements of one model input (ρ·ρ·3).
    pub fn input_len(&self) -> usize {
        self.info.input_size * self.info.input_size * 3
    }

    /// The buffer a frame is preprocessed into: RGB u8, ρ×ρ. For uint8 models it *is* the network input.
    pub fn rgb_input_mut(&mut self) -> &mut [u8] {
        match &mut self.net {
            Net::Q8 { arena, .. } => arena.slot_mut(INPUT),
            Net::F32 { rgb, .. } => rgb,
        }
    }

    /// Run on the RGB frame staged in [`Model::rgb_input_mut`] (float models normalise it as `(p-127.5)/127.5`).
    pub fn run_rgb(&mut self) {
        if let Net::F32 { arena, rgb, .. } = &mut self.net {
            crate::preprocess::normalize_to_f32(rgb, arena.slot_mut(INPUT));
        }
        self.run_staged(None, None);
    }

    /// Run on an exact uint8 input tensor (uint8 models only; for exactness tests and raw use).
    pub fn run_u8(&mut self, input: &[u8]) -> Result<()> {
        self.check_len(input.len())?;
        match &mut self.net {
            Net::Q8 { arena, .. } => arena.slot_mut(INPUT).copy_from_slice(input),
            Net::F32 { .. } => return Err(Error::invalid("this is a float32 model: pass a Float32Array input")),
        }
        self.run_staged(None, None);
        Ok(())
    }

    /// Run on an exact float32 input tensor (float models only).
    pub fn run_f32(&mut self, input: &[f32]) -> Result<()> {
        self.check_len(input.len())?;
        match &mut self.net {
            Net::F32 { arena, .. } => arena.slot_mut(INPUT).copy_from_slice(input),
            Net::Q8 { .. } => return Err(Error::invalid("this is a uint8 model: pass a Uint8Array input")),
        }
        self.run_staged(None, None);
        Ok(())
    }

    /// Run with an observer of every layer's output, keyed by TFLite operator index (tests, debugging).
    pub fn run_observed(&mut self, on_u8: Option<LayerObserver<'_, u8>>, on_f32: Option<LayerObserver<'_, f32>>) {
        self.run_staged(on_u8, on_f32);
    }

    fn run_staged(&mut self, on_u8: Option<LayerObserver<'_, u8>>, on_f32: Option<LayerObserver<'_, f32>>) {
        if on_u8.is_none() && on_f32.is_none() {
            // The inference itself led from this thread, with the pool's threads helping (a no-op without threads
            // or for small networks); observers stay on one thread.
            let net = &mut self.net;
            return crate::parallel::on_pool(self.work, move || match net {
                Net::Q8 { layers, arena, .. } => q8::run_q8(layers, arena, None),
                Net::F32 { layers, arena, .. } => f32::run_f32(layers, arena, None),
            });
        }
        match &mut self.net {
            Net::Q8 { layers, arena, .. } => q8::run_q8(layers, arena, on_u8),
            Net::F32 { layers, arena, .. } => f32::run_f32(layers, arena, on_f32),
        }
    }

    /// Threads each inference of this model runs on (the pool is used only for networks large enough to gain).
    pub fn threads(&self) -> usize {
        crate::parallel::threads_for(self.work)
    }

    fn check_len(&self, len: usize) -> Result<()> {
        let want = self.input_len();
        if len != want {
            let r = self.info.input_size;
            return Err(Error::invalid(format!("input has {len} elements, the model takes {r}×{r}×3 = {want}")));
        }
        Ok(())
    }

    /// The raw uint8 output of the last run (uint8 models).
    pub fn output_u8(&self) -> Option<&[u8]> {
        match &self.net {
            Net::Q8 { arena, .. } => Some(arena.slot(PROBS)),
            Net::F32 { .. } => None,
        }
    }

    /// The raw float output of the last run (float models).
    pub fn output_f32(&self) -> Option<&[f32]> {
        match &self.net {
            Net::F32 { arena, .. } => Some(arena.slot(PROBS)),
            Net::Q8 { .. } => None,
        }
    }

    /// Probabilities of the last run, dequantised for uint8 models. `out.len()` must be `num_classes`.
    pub fn probabilities_into(&self, out: &mut [f32]) {
        match &self.net {
            Net::Q8 { arena, output, .. } => {
                for (o, &q) in out.iter_mut().zip(arena.slot(PROBS)) {
                    *o = output.dequantize(q);
                }
            }
            Net::F32 { arena, .. } => out.copy_from_slice(&arena.slot(PROBS)[..out.len()]),
        }
    }

    /// The pooled feature vector of the last run (the embedding), dequantised. `out.len()` must be `embedding_len`.
    pub fn embedding_into(&self, out: &mut [f32]) {
        match &self.net {
            Net::Q8 { arena, embedding, .. } => {
                for (o, &q) in out.iter_mut().zip(arena.slot(POOLED)) {
                    *o = embedding.dequantize(q);
                }
            }
            Net::F32 { arena, .. } => out.copy_from_slice(&arena.slot(POOLED)[..out.len()]),
        }
    }
}
