//! Pillow-exact separable resampling with the BILINEAR (triangle) filter on 8-bit images.
//!
//! This re-implements, in our own code, the arithmetic of Pillow's `libImaging/Resample.c` (Pillow 13) for the one
//! case the reference pipeline uses: `Image.resize((R, R), Image.BILINEAR)` on an 8-bit RGB image, after `crop()`,
//! so the resampling box is the whole cropped image `(0, 0, s, s)`.
//!
//! The details that matter for bit-exactness:
//! - per output index `i`: `scale = (in1 - in0) / out` (the subtraction done in `f32`, the division in `f64`),
//!   `filterscale = max(scale, 1)`, `support = 1.0 * filterscale` (so the filter widens when downscaling: antialiasing),
//!   `center = in0 + (i + 0.5) * scale`, `xmin = trunc(center - support + 0.5)` clamped to `>= 0`,
//!   `xmax = trunc(center + support + 0.5)` clamped to `<= in_size`;
//! - weights `tri((x + xmin - center + 0.5) / filterscale)` in `f64`, divided by their sum;
//! - fixed point with `PRECISION_BITS = 22`: `trunc(w * 2^22 ± 0.5)`;
//! - accumulation in `i32` starting at `2^21` (rounding), result `clamp(acc >> 22, 0, 255)`;
//! - horizontal pass first (into an 8-bit intermediate, only for the source rows the vertical pass reads), then the
//!   vertical pass; a pass is skipped when that dimension is unchanged and the box is the full image.
//!
//! Rust never contracts `a * b + c` into an FMA, and Pillow's x86-64 builds don't either, so the `f64` steps match.

use crate::error::{Error, Result};

/// Fixed-point fraction bits of the 8-bit resampler (32 - 8 bits of result - 2 bits of headroom).
pub(crate) const PRECISION_BITS: u32 = 32 - 8 - 2;
/// Initial accumulator value: one half in fixed point, so the final shift rounds to nearest.
const HALF: i32 = 1 << (PRECISION_BITS - 1);

/// The triangle filter of Pillow's BILINEAR mode (support 1.0).
#[inline]
fn triangle(x: f64) -> f64 {
    let x = if x < 0.0 { -x } else { x };
    if x < 1.0 {
        1.0 - x
    } else {
        0.0
    }
}

/// Support (half-width, in source pixels at scale 1) of the BILINEAR filter.
const BILINEAR_SUPPORT: f64 = 1.0;

/// Fixed-point filter taps for one axis: output index `i` reads source indices `first[i] .. first[i] + len[i]`
/// with weights `taps[start[i] .. start[i] + len[i]]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct AxisCoeffs {
    pub(crate) first: Vec<u32>,
    pub(crate) len: Vec<u32>,
    pub(crate) start: Vec<u32>,
    pub(crate) taps: Vec<i32>,
}

fn alloc_err(what: &str, n: usize) -> Error {
    Error::too_large(format!("cannot allocate {n} elements for {what}"))
}

pub(crate) fn try_vec<T: Clone>(value: T, n: usize, what: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| alloc_err(what, n))?;
    v.resize(n, value);
    Ok(v)
}

impl AxisCoeffs {
    /// Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the BILINEAR filter, box `[in0, in1)` of a source
    /// axis of `in_size` pixels, resampled to `out_size` pixels.
    pub(crate) fn bilinear(in_size: u32, in0: f32, in1: f32, out_size: u32) -> Result<Self> {
        debug_assert!(out_size > 0 && in_size > 0);
        let scale = f64::from(in1 - in0) / f64::from(out_size);
        let filterscale = if scale < 1.0 { 1.0 } else { scale };
        let support = BILINEAR_SUPPORT * filterscale;
        let ss = 1.0 / filterscale;
        // Upper bound on taps per output index (as Pillow's ksize).
        let ksize = (support.ceil() as usize).saturating_mul(2).saturating_add(1);
        let n_out = out_size as usize;
        let total = n_out.checked_mul(ksize).ok_or_else(|| alloc_err("resize coefficients", usize::MAX))?;

        let mut first = try_vec(0u32, n_out, "resize bounds")?;
        let mut len = try_vec(0u32, n_out, "resize bounds")?;
        let mut start = try_vec(0u32, n_out, "resize bounds")?;
        let mut taps: Vec<i32> = Vec::new();
        taps.try_reserve_exact(total).map_err(|_| alloc_err("resize coefficients", total))?;
        let mut weights: Vec<f64> = Vec::new();
        weights.try_reserve_exact(ksize).map_err(|_| alloc_err("resize coefficients", ksize))?;

        let in_size_i = i64::from(in_size);
        for i in 0..n_out {
            let center = f64::from(in0) + (i as f64 + 0.5) * scale;
            // `as i64` truncates toward zero like a C (int) cast.
            let xmin = ((center - support + 0.5) as i64).max(0);
            let xmax = ((center + support + 0.5) as i64).min(in_size_i);
            let n = (xmax - xmin).max(0);

            weights.clear();
            let mut ww = 0.0f64;
            for x in 0..n {
                let w = triangle(((x + xmin) as f64 - center + 0.5) * ss);
                weights.push(w);
                ww += w;
            }
            if ww != 0.0 {
                for w in weights.iter_mut() {
                    *w /= ww;
                }
            }
            first[i] = xmin as u32;
            len[i] = n as u32;
            start[i] = taps.len() as u32;
            let one = f64::from(1u32 << PRECISION_BITS);
            for &w in weights.iter() {
                let q = if w < 0.0 { -0.5 + w * one } else { 0.5 + w * one };
                taps.push(q as i32);
            }
        }
        Ok(AxisCoeffs { first, len, start, taps })
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> (usize, &[i32]) {
        let s = self.start[i] as usize;
        let n = self.len[i] as usize;
        (self.first[i] as usize, &self.taps[s..s + n])
    }
}

/// 22-bit fixed point accumulator to u8, rounding already included via [`HALF`].
#[inline(always)]
fn clip8(acc: i32) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Horizontal pass over a range of source rows.
///
/// `src` is the full frame (`src_stride` bytes per row, `BPP` bytes per pixel, channels R,G,B first); the crop
/// starts at column `left`; rows `row0 .. row0 + rows` (absolute frame rows) are resampled to `out_w` RGB pixels and
/// written consecutively to `dst` (`out_w * 3` bytes per row).
pub(crate) fn horizontal_pass<const BPP: usize>(
    src: &[u8],
    src_stride: usize,
    left: usize,
    row0: usize,
    rows: usize,
    coeffs: &AxisCoeffs,
    dst: &mut [u8],
) {
    let out_w = coeffs.first.len();
    let dst_stride = out_w * 3;
    for (r, dst_row) in dst.chunks_exact_mut(dst_stride).take(rows).enumerate() {
        let row_start = (row0 + r) * src_stride + left * BPP;
        let src_row = &src[row_start..];
        for (xx, out_px) in dst_row.chunks_exact_mut(3).enumerate() {
            let (xmin, k) = coeffs.get(xx);
            let px = &src_row[xmin * BPP..(xmin + k.len()) * BPP];
            let (mut a0, mut a1, mut a2) = (HALF, HALF, HALF);
            for (p, &w) in px.chunks_exact(BPP).zip(k) {
                a0 += i32::from(p[0]) * w;
                a1 += i32::from(p[1]) * w;
                a2 += i32::from(p[2]) * w;
            }
            out_px[0] = clip8(a0);
            out_px[1] = clip8(a1);
            out_px[2] = clip8(a2);
        }
    }
}

/// Vertical pass: `src` holds interleaved rows of `row_len` bytes (row 0 = the first row any output reads, i.e. the
/// coefficients' `first` are relative to it); writes `coeffs.first.len()` rows of `row_len` bytes into `dst`.
/// `acc` is scratch of at least `row_len` elements. Integer sums are order-independent (no overflow is possible for
/// the non-negative triangle weights), so accumulating tap by tap over a whole row gives Pillow's result exactly.
pub(crate) fn vertical_pass(src: &[u8], row_len: usize, coeffs: &AxisCoeffs, acc: &mut [i32], dst: &mut [u8]) {
    let acc = &mut acc[..row_len];
    for (yy, dst_row) in dst.chunks_exact_mut(row_len).enumerate().take(coeffs.first.len()) {
        let (ymin, k) = coeffs.get(yy);
        acc.fill(HALF);
        for (t, &w) in k.iter().enumerate() {
            let s = (ymin + t) * row_len;
            let src_row = &src[s..s + row_len];
            for (a, &p) in acc.iter_mut().zip(src_row) {
                *a += i32::from(p) * w;
            }
        }
        for (o, &a) in dst_row.iter_mut().zip(acc.iter()) {
            *o = clip8(a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taps_sum_close_to_one_and_bounds_valid() {
        for &(inn, out) in &[(512u32, 224u32), (300, 128), (17, 224), (224, 224), (1, 5), (8192, 1)] {
            let c = AxisCoeffs::bilinear(inn, 0.0, inn as f32, out).unwrap();
            for i in 0..out as usize {
                let (first, k) = c.get(i);
                assert!(first + k.len() <= inn as usize);
                assert!(!k.is_empty());
                let sum: i64 = k.iter().map(|&v| i64::from(v)).sum();
                assert!((sum - (1 << PRECISION_BITS)).abs() <= k.len() as i64, "{inn}->{out} i={i} sum={sum}");
            }
        }
    }

    #[test]
    fn downscale_by_two_is_box_of_four() {
        // 4 -> 2: filterscale 2, support 2, centre 1.0 for output 0: taps at x=0..2 (xmax = trunc(3.5) = 3)
        // with weights tri((x - 1 + 0.5)/2) = 0.75, 0.75, 0.25 -> normalised 3/7, 3/7, 1/7.
        let c = AxisCoeffs::bilinear(4, 0.0, 4.0, 2).unwrap();
        let (first, k) = c.get(0);
        assert_eq!(first, 0);
        let one = f64::from(1u32 << PRECISION_BITS);
        let want: Vec<i32> = [3.0 / 7.0, 3.0 / 7.0, 1.0 / 7.0].iter().map(|w| (0.5 + w * one) as i32).collect();
        assert_eq!(k, &want[..]);
    }
}
