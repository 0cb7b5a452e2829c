//! The uint8 network: how each recognised layer is planned (constants decoded, requantisation precomputed) and
//! run. The choice of kernel variant for every uint8 layer is made here, in one place ([`plan_q8`]):
//!
//! | layer                          | kernel (all byte-identical to TFLite's reference)                         |
//! |--------------------------------|---------------------------------------------------------------------------|
//! | convolution (1×1 and the stem) | packed GEMM, `conv2d_packed` (SIMD128 on wasm32, same algorithm scalar natively) |
//! | 3×3 depthwise                  | packed depthwise, `depthwise3x3_packed` (likewise)                         |
//! | softmax                        | `softmax_lut`: the reference's arithmetic, exponentials tabulated at load  |
//! | average pool                   | scalar reference (0.2 % of the time)                                       |
//!
//! A convolution whose parameters the packed kernels refuse (see `kernels::q8::OutputStage`) keeps the scalar
//! reference kernel.

use super::executor::Arena;
use super::plan::{act_of, constant, le_words, quant, Planned, QuantParams};
use super::recognise::{LayerKind, LayerSpec};
use crate::error::{Error, Result};
use crate::kernels::q8::{self as kq8, ConvQuant, SoftmaxQuant};
use crate::parallel;
use crate::tflite::Graph;

/// One uint8 layer with everything its kernel needs.
#[derive(Debug, Clone)]
pub enum Q8Layer {
    /// Reference convolution (parameters the packed kernel refuses).
    Conv { filter: Vec<u8>, bias: Vec<i32>, q: ConvQuant },
    /// Reference depthwise convolution (parameters or a window the packed kernel refuses).
    Depthwise { filter: Vec<u8>, bias: Vec<i32>, q: ConvQuant },
    ConvPacked(kq8::PackedConv),
    Depthwise3x3Packed(kq8::PackedDepthwise3x3),
    AveragePool { act_min: i32, act_max: i32 },
    Softmax { lut: Box<kq8::SoftmaxLut> },
}

pub(super) fn plan_q8(g: &Graph<'_>, l: &LayerSpec) -> Result<Planned<Q8Layer>> {
    let input = quant(&g.tensors[l.input])?;
    let output = quant(&g.tensors[l.output])?;
    let params = match l.kind {
        LayerKind::Conv | LayerKind::Depthwise => {
            let (f, b) = (l.filter.unwrap_or(0), l.bias.unwrap_or(0));
            let fq = quant(&g.tensors[f])?;
            let filter = constant(g, f)?.to_vec();
            let bias: Vec<i32> = le_words(constant(g, b)?).map(i32::from_le_bytes).collect();
            let q = ConvQuant::new(
                input.scale,
                input.zero_point,
                fq.scale,
                fq.zero_point,
                output.scale,
                output.zero_point,
                act_of(l.activation),
            )
            .map_err(|m| Error::unsupported(format!("operator {}: {m}", l.op_index)))?;
            if l.kind == LayerKind::Conv {
                match kq8::PackedConv::new(&l.window, &filter, &bias, &q) {
                    Some(packed) => Q8Layer::ConvPacked(packed),
                    None => Q8Layer::Conv { filter, bias, q },
                }
            } else {
                match kq8::PackedDepthwise3x3::new(&l.window, &filter, &bias, &q) {
                    Some(packed) => Q8Layer::Depthwise3x3Packed(packed),
                    None => Q8Layer::Depthwise { filter, bias, q },
                }
            }
        }
        LayerKind::AveragePool => {
            if input != output {
                return Err(Error::unsupported(format!(
                    "operator {}: average pool changes quantisation ({input:?} → {output:?})",
                    l.op_index
                )));
            }
            let (act_min, act_max) = kq8::activation_range(act_of(l.activation), output.scale, output.zero_point);
            Q8Layer::AveragePool { act_min, act_max }
        }
        LayerKind::Softmax => {
            if output != (QuantParams { scale: 1.0 / 256.0, zero_point: 0 }) {
                return Err(Error::unsupported(format!(
                    "operator {}: uint8 softmax output must have scale 1/256 and zero point 0, not {output:?}",
                    l.op_index
                )));
            }
            let q = SoftmaxQuant::new(f64::from(l.beta), f64::from(input.scale));
            Q8Layer::Softmax { lut: Box::new(kq8::SoftmaxLut::new(&q)) }
        }
    };
    Ok(Planned { kind: l.kind, op_index: l.op_index, window: l.window, params })
}

/// Run every uint8 layer; `observe(op_index, output)` sees each layer's output (for per-layer golden tests).
pub fn run_q8(layers: &[Planned<Q8Layer>], arena: &mut Arena<u8>, mut observe: Option<super::LayerObserver<'_, u8>>) {
    for (i, l) in layers.iter().enumerate() {
        let w = &l.window;
        let (input, output) = arena.io(i, w.input_len(), w.output_len());
        #[cfg(all(feature = "q8-profile", target_arch = "wasm32"))]
        let _timer = profile::Timer::start(i, l);
        // Window ops run in row/pixel blocks across the thread pool (one block without the `threads` feature).
        let split = |output: &mut [u8], kernel: &super::BlockKernel<'_, u8>| {
            parallel::for_each_block(w, super::work_of(l), input, output, kernel)
        };
        match &l.params {
            Q8Layer::Conv { filter, bias, q } => split(output, &|w, i, o| kq8::conv2d_ref(w, i, filter, bias, q, o)),
            Q8Layer::Depthwise { filter, bias, q } => {
                split(output, &|w, i, o| kq8::depthwise_conv2d_ref(w, i, filter, bias, q, o))
            }
            // One output pixel (the classifier): split by channel tiles instead of pixels.
            Q8Layer::ConvPacked(p) if w.out_h * w.out_w == 1 => {
                parallel::for_each_channel_block(w.out_c, kq8::GEMM_NR, super::work_of(l), output, |tiles, o| {
                    kq8::conv2d_packed_channel_tiles(w, p, input, tiles, o)
                })
            }
            Q8Layer::ConvPacked(p) => split(output, &|w, i, o| kq8::conv2d_packed(w, p, i, o)),
            Q8Layer::Depthwise3x3Packed(p) => split(output, &|w, i, o| kq8::depthwise3x3_packed(w, p, i, o)),
            Q8Layer::AveragePool { act_min, act_max } => kq8::average_pool_ref(w, *act_min, *act_max, input, output),
            Q8Layer::Softmax { lut } => kq8::softmax_lut(lut, input, output),
        }
        if let Some(f) = observe.as_mut() {
            f(l.op_index, output);
        }
    }
}


/// Development-only timing of every layer (`--features q8-profile`, wasm32): each run adds each layer's wall time
/// (`performance.now()`); the JS export `q8Profile()` returns the per-layer and per-kind totals and resets them.
#[cfg(all(feature = "q8-profile", target_arch = "wasm32"))]
mod profile {
    use super::{Planned, Q8Layer};
    use std::cell::RefCell;
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = performance)]
        fn now() -> f64;
    }

    thread_local! {
        /// Per layer index: (label, total ms, runs, fastest ms).
        static TOTALS: RefCell<Vec<(String, f64, u32, f64)>> = const { RefCell::new(Vec::new()) };
    }

    fn label(l: &Planned<Q8Layer>) -> String {
        let w = &l.window;
        let kind = match &l.params {
            Q8Layer::ConvPacked(_) | Q8Layer::Conv { .. } if w.kernel_h == 1 && w.out_h * w.out_w == 1 => "classifier",
            Q8Layer::ConvPacked(_) | Q8Layer::Conv { .. } if w.kernel_h == 1 => "pointwise",
            Q8Layer::ConvPacked(_) | Q8Layer::Conv { .. } => "stem",
            Q8Layer::Depthwise3x3Packed(_) | Q8Layer::Depthwise { .. } if w.stride_h == 1 => "depthwise s1",
            Q8Layer::Depthwise3x3Packed(_) | Q8Layer::Depthwise { .. } => "depthwise s2",
            Q8Layer::AveragePool { .. } => "avgpool",
            Q8Layer::Softmax { .. } => "softmax",
        };
        format!("{kind} {}x{}x{}->{}x{}x{}", w.in_h, w.in_w, w.in_c, w.out_h, w.out_w, w.out_c)
    }

    pub struct Timer(usize, f64);

    impl Timer {
        pub fn start(i: usize, l: &Planned<Q8Layer>) -> Timer {
            TOTALS.with(|t| {
                let mut t = t.borrow_mut();
                if t.len() <= i {
                    t.resize(i + 1, (String::new(), 0.0, 0, f64::INFINITY));
                }
                if t[i].0.is_empty() {
                    t[i].0 = label(l);
                }
            });
            Timer(i, now())
        }
    }

    impl Drop for Timer {
        fn drop(&mut self) {
            let dt = now() - self.1;
            TOTALS.with(|t| {
                let e = &mut t.borrow_mut()[self.0];
                e.1 += dt;
                e.2 += 1;
                e.3 = e.3.min(dt);
            });
        }
    }

    /// Mean and fastest ms of every layer, then the fastest times summed per kind and in total (the fastest run of
    /// each layer is the least disturbed by other processes); resets the counters.
    #[wasm_bindgen(js_name = q8Profile)]
    pub fn q8_profile() -> String {
        let rows = TOTALS.with(|t| std::mem::take(&mut *t.borrow_mut()));
        let mut out = String::from("  # layer                                        mean ms   min ms\n");
        let mut kinds: Vec<(String, f64)> = Vec::new();
        let (mut total, mut total_mean) = (0.0, 0.0);
        for (i, (label, ms, runs, min)) in rows.iter().enumerate() {
            let mean = ms / f64::from((*runs).max(1));
            total += min;
            total_mean += mean;
            out += &format!("{i:3} {label:44} {mean:8.3} {min:8.3}\n");
            let kind: String = label.split(' ').take_while(|w| !w.starts_with(|c: char| c.is_ascii_digit())).collect::<Vec<_>>().join(" ");
            match kinds.iter_mut().find(|(k, _)| *k == kind) {
                Some(e) => e.1 += min,
                None => kinds.push((kind, *min)),
            }
        }
        for (kind, ms) in kinds {
            out += &format!("    {kind:44} {:>8} {ms:8.3} {:5.1} %\n", "", 100.0 * ms / total);
        }
        out += &format!("    {:44} {total_mean:8.3} {total:8.3}\n", "total");
        out
    }
}
