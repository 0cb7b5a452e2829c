//! uint8 3×3 depthwise convolution (depth multiplier 1, any stride and padding) over weights packed at load,
//! byte-identical to [`depthwise_conv2d_ref`](super::depthwise_conv2d_ref).
//!
//! Exactness as in `gemm`: `Σ (w - zw)·(x - zx) + bias = Σ b·x + (bias - zx·Σ b)` in wrapping `i32`, with
//! `b = w - zw` over all nine taps and the bracket folded at load. A tap outside the image reads the input zero
//! point, contributing `zx·b`, which the fold cancels, just as TFLite's skipping it does — so the inner loops have
//! no padding branches: a filter row above or below the image reads a row of zero points, and inside a row only the
//! first and last output columns (whose taps can leave the image sideways) take per-tap pointers.
//!
//! Weights: per group of 8 channels, per tap pair (see [`TAP_SLOT`]), per half (4 channels): the two taps' `b` of
//! each channel — the `i16` pairs one `i32x4.dot_i16x8_s` multiplies against two interleaved taps. Taps
//! `t = 3·fy + fx` pair as `(0, 3)`, `(1, 4)`, `(2, 5)`, `(6, 7)`, `(8, –)`: the first three pairs are the top two
//! filter rows at one column each, so along a stride-1 row the interleaved pair of one input column serves three
//! outputs in turn (as `fx` = 2, 1, 0) and is built once instead of three times.

use super::output_stage::{OutputStage, FORM_FLOAT, FORM_GENERAL, FORM_SINGLE};
use super::ConvQuant;
use crate::kernels::Window2d;

/// `i16` values per group of 8 channels: 5 tap pairs × 2 halves × 8.
pub(super) const GROUP_LEN: usize = 80;

/// Tap `t` → (pair, slot in the pair); pair 4's second slot has weight 0.
pub(super) const TAP_SLOT: [(usize, usize); 9] = [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1), (3, 0), (3, 1), (4, 0)];

/// A 3×3 depthwise filter packed as above, its folded bias and output stage.
#[derive(Debug, Clone)]
pub struct PackedDepthwise3x3 {
    channels: usize,
    /// `ceil(channels / 8) · GROUP_LEN` values.
    weights: Vec<i16>,
    /// Per channel (padded to a multiple of 8): `bias - zx·Σ b`.
    bias: Vec<i32>,
    /// An input row of zero points (`in_w · channels` bytes, at least 16): what taps outside the image read.
    zero_row: Vec<u8>,
    stage: OutputStage,
}

impl PackedDepthwise3x3 {
    /// Pack a `[3][3][c]` `filter` and its `bias` (empty = none). `None` when the window is not a 3×3 depthwise
    /// one, the sizes disagree, or the requantisation is refused by [`OutputStage::new`].
    pub fn new(w: &Window2d, filter: &[u8], bias: &[i32], q: &ConvQuant) -> Option<PackedDepthwise3x3> {
        let c = w.out_c;
        let shape_ok = (w.kernel_h, w.kernel_w) == (3, 3) && w.in_c == c && c > 0 && w.stride_h > 0 && w.stride_w > 0;
        if !shape_ok || filter.len() != 9 * c || !(bias.is_empty() || bias.len() == c) {
            return None;
        }
        if !(0..=255).contains(&q.input_zero_point) {
            return None;
        }
        let zx = q.input_zero_point;
        let b = |tap: usize, ch: usize| -> i32 {
            if tap < 9 && ch < c {
                i32::from(filter[tap * c + ch]) - q.filter_zero_point
            } else {
                0
            }
        };
        let stage = OutputStage::new(q)?.with_accumulator_bound(OutputStage::accumulator_bound(bias, c, 9, b));
        let groups = c.div_ceil(8);
        let mut weights = vec![0i16; groups * GROUP_LEN];
        for g in 0..groups {
            for (t, &(p, slot)) in TAP_SLOT.iter().enumerate() {
                for half in 0..2 {
                    for lane in 0..4 {
                        let ch = 8 * g + 4 * half + lane;
                        weights[g * GROUP_LEN + p * 16 + half * 8 + 2 * lane + slot] = b(t, ch) as i16;
                    }
                }
            }
        }
        let folded = (0..groups * 8)
            .map(|ch| {
                let sum_b: i32 = (0..9).map(|t| b(t, ch)).sum();
                let bias_c = if ch < c { bias.get(ch).copied().unwrap_or(0) } else { 0 };
                bias_c.wrapping_sub(zx.wrapping_mul(sum_b))
            })
            .collect();
        let zero_row = vec![zx as u8; (w.in_w * c).max(16)];
        Some(PackedDepthwise3x3 { channels: c, weights, bias: folded, zero_row, stage })
    }

    /// Whether `w` is a 3×3 depthwise window over the channel count (and at most the input width) this was packed
    /// for.
    pub fn accepts(&self, w: &Window2d) -> bool {
        (w.kernel_h, w.kernel_w) == (3, 3)
            && w.in_w * w.in_c <= self.zero_row.len()
            && w.in_c == self.channels
            && w.out_c == self.channels
            && w.stride_h > 0
            && w.stride_w > 0
    }
}

/// uint8 3×3 depthwise convolution of one HWC image with a filter packed by [`PackedDepthwise3x3::new`]. Panics if
/// `w`, `input` or `output` do not match the packing (a caller bug).
pub fn depthwise3x3_packed(w: &Window2d, p: &PackedDepthwise3x3, input: &[u8], output: &mut [u8]) {
    assert!(p.accepts(w), "window {w:?} does not match the packed filter");
    assert_eq!(input.len(), w.input_len());
    assert_eq!(output.len(), w.output_len());
    let pixel = kernel::Pixel::new(p.channels, &p.weights, &p.bias, &p.stage);
    match pixel.form() {
        FORM_FLOAT => rows::<FORM_FLOAT>(w, &pixel, input, &p.zero_row, output),
        FORM_SINGLE => rows::<FORM_SINGLE>(w, &pixel, input, &p.zero_row, output),
        _ => rows::<FORM_GENERAL>(w, &pixel, input, &p.zero_row, output),
    }
}

/// Every output row; `FORM` is the output stage's form ([`kernel::Pixel::form`]).
fn rows<const FORM: u8>(w: &Window2d, pixel: &kernel::Pixel<'_>, input: &[u8], zero_row: &[u8], output: &mut [u8]) {
    let c = w.out_c;
    let row_len = w.in_w * c;
    // Output columns whose three taps are all inside the image (as columns).
    let first_inner = w.pad_left.div_ceil(w.stride_w).min(w.out_w);
    let inner_end = (w.in_w + w.pad_left).saturating_sub(2).div_ceil(w.stride_w).clamp(first_inner, w.out_w);
    for oy in 0..w.out_h {
        // Each filter row: an input row, or the row of zero points above / below the image.
        let rows: [&[u8]; 3] = core::array::from_fn(|fy| {
            let iy = (oy * w.stride_h + fy).wrapping_sub(w.pad_top);
            if iy < w.in_h {
                &input[iy * row_len..][..row_len]
            } else {
                &zero_row[..row_len]
            }
        });
        let out_row = &mut output[oy * w.out_w * c..][..w.out_w * c];
        for ox in (0..first_inner).chain(inner_end..w.out_w) {
            let taps: [*const u8; 9] = core::array::from_fn(|t| {
                let ix = (ox * w.stride_w + t % 3).wrapping_sub(w.pad_left);
                // A column outside the image reads zero points (any pixel of the zero row).
                if ix < w.in_w { rows[t / 3][ix * c..].as_ptr() } else { zero_row.as_ptr() }
            });
            // SAFETY: every tap points at `c` readable bytes (an input pixel or zero points).
            unsafe { pixel.run::<FORM>(&taps, &mut out_row[ox * c..][..c]) };
        }
        if first_inner < inner_end {
            let starts = rows.map(|r| r.as_ptr());
            let (x, count) = ((first_inner * w.stride_w - w.pad_left) * c, inner_end - first_inner);
            // SAFETY: inner columns keep all three taps of each row inside its `row_len` bytes.
            unsafe { pixel.run_span::<FORM>(&starts, x, w.stride_w, count, &mut out_row[first_inner * c..][..count * c]) };
        }
    }
}

#[cfg(target_arch = "wasm32")]
use super::depthwise3x3_simd128 as kernel;

#[cfg(not(target_arch = "wasm32"))]
use portable as kernel;

/// One output pixel in plain scalar code over the same packed layout (native builds; on wasm32 the SIMD128 version
/// in `depthwise3x3_simd128` runs instead).
#[cfg(not(target_arch = "wasm32"))]
mod portable {
    use super::{OutputStage, GROUP_LEN, TAP_SLOT};

    pub struct Pixel<'a> {
        channels: usize,
        weights: &'a [i16],
        bias: &'a [i32],
        stage: &'a OutputStage,
    }

    impl<'a> Pixel<'a> {
        pub fn new(channels: usize, weights: &'a [i16], bias: &'a [i32], stage: &'a OutputStage) -> Self {
            Pixel { channels, weights, bias, stage }
        }

        /// The scalar code has one form (the exact [`OutputStage::apply`]): the parameter is ignored.
        pub fn form(&self) -> u8 {
            super::FORM_FLOAT
        }

        /// # Safety
        /// `rows[fy] + x` must start three whole pixels of `channels` bytes.
        pub unsafe fn run_rows<const FORM: u8>(&self, rows: &[*const u8; 3], x: usize, out: &mut [u8]) {
            let taps = core::array::from_fn(|t| rows[t / 3].add(x + (t % 3) * self.channels));
            self.run::<FORM>(&taps, out)
        }

        /// `count` consecutive inner output pixels, the first at `x`, the next `stride` pixels on.
        ///
        /// # Safety
        /// As [`Pixel::run_rows`] for each of them.
        pub unsafe fn run_span<const FORM: u8>(&self, rows: &[*const u8; 3], x: usize, stride: usize, count: usize, out: &mut [u8]) {
            let c = self.channels;
            for i in 0..count {
                self.run_rows::<FORM>(rows, x + i * stride * c, &mut out[i * c..][..c]);
            }
        }

        /// # Safety
        /// Every tap must point at `channels` readable bytes.
        pub unsafe fn run<const FORM: u8>(&self, taps: &[*const u8; 9], out: &mut [u8]) {
            for (ch, o) in out.iter_mut().enumerate().take(self.channels) {
                let (g, half, lane) = (ch / 8, (ch % 8) / 4, ch % 4);
                let mut acc = self.bias[ch];
                for (&tap, &(p, slot)) in taps.iter().zip(&TAP_SLOT) {
                    let w = self.weights[g * GROUP_LEN + p * 16 + half * 8 + 2 * lane + slot];
                    acc = acc.wrapping_add(i32::from(*tap.add(ch)) * i32::from(w));
                }
                *o = self.stage.apply(acc);
            }
        }
    }
}
