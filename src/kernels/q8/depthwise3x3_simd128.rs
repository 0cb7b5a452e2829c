//! SIMD128 output pixel of the packed 3×3 depthwise convolution (layout and algebra in `depthwise3x3`): 8 channels
//! per step; each tap pair's values are widened to `i16`, interleaved into pairs and multiplied by the packed weight
//! pairs with `i32x4.dot_i16x8_s`; then the fused output stage. A last partial group runs on copies padded to 8
//! channels. (16 channels per step keeps more values live than V8 has vector registers: it spills, and measured
//! ~10 % slower.) Along a row of stride 1 or 2 ([`Pixel::run_span`]) the interleaved top-two-rows pair of each
//! input column is built once and used by every output that reads it (three with stride 1, one or two with 2).

use super::depthwise3x3::GROUP_LEN;
use super::output_stage::OutputStage;
use super::requant_simd128::StageVec;
use core::arch::wasm32::*;

pub struct Pixel<'a> {
    channels: usize,
    weights: &'a [i16],
    bias: &'a [i32],
    stage: StageVec,
}

impl<'a> Pixel<'a> {
    pub fn new(channels: usize, weights: &'a [i16], bias: &'a [i32], stage: &OutputStage) -> Self {
        let groups = channels.div_ceil(8);
        assert!(weights.len() == groups * GROUP_LEN && bias.len() == groups * 8);
        Pixel { channels, weights, bias, stage: StageVec::new(stage) }
    }

    /// The output stage's form ([`StageVec::form`]): pick `run::<FORM>` accordingly.
    pub fn form(&self) -> u8 {
        self.stage.form()
    }

    /// An inner output pixel, whose filter row `fy` covers three whole pixels at `rows[fy] + x`.
    ///
    /// # Safety
    /// `rows[fy] + x` must start `3 · channels` readable bytes.
    #[inline]
    pub unsafe fn run_rows<const FORM: u8>(&self, rows: &[*const u8; 3], x: usize, out: &mut [u8]) {
        let c = self.channels;
        if c % 8 != 0 {
            let taps = core::array::from_fn(|t| rows[t / 3].add(x + (t % 3) * c));
            return self.run::<FORM>(&taps, out);
        }
        assert!(out.len() >= c);
        let out = out.as_mut_ptr();
        let rows = rows.map(|r| r.add(x));
        let (c1, c2) = (c, 2 * c);
        for ch in (0..c).step_by(8) {
            let tap = |t: usize| rows[t / 3].add([0, c1, c2][t % 3] + ch);
            v128_store64_lane::<0>(self.block8::<FORM>(tap, ch), out.add(ch) as *mut u64);
        }
    }

    /// `count` consecutive inner output pixels, the first at `x`, the next `stride` pixels on. With stride 1 or 2
    /// and whole groups of 8 channels, each group slides along the row keeping the widened `(row 0, row 1)` pairs
    /// of input columns it has built (taps `(0, 3)`, `(1, 4)`, `(2, 5)`): with stride 1 each column serves three
    /// outputs, so one pair is built per output instead of three; with stride 2 the last column of an output is the
    /// first of the next, two built instead of three.
    ///
    /// # Safety
    /// As [`Pixel::run_rows`] for each of them.
    #[inline]
    pub unsafe fn run_span<const FORM: u8>(&self, rows: &[*const u8; 3], x: usize, stride: usize, count: usize, out: &mut [u8]) {
        let c = self.channels;
        assert!(out.len() >= count * c);
        if stride > 2 || c % 8 != 0 || count < 2 {
            for i in 0..count {
                self.run_rows::<FORM>(rows, x + i * stride * c, &mut out[i * c..][..c]);
            }
            return;
        }
        match stride {
            1 => self.slide::<FORM, 1>(rows, x, count, out),
            _ => self.slide::<FORM, 2>(rows, x, count, out),
        }
    }

    /// [`Pixel::run_span`] for stride `S` (1 or 2) and whole groups of 8 channels.
    ///
    /// # Safety
    /// As [`Pixel::run_span`].
    #[inline(always)]
    unsafe fn slide<const FORM: u8, const S: usize>(&self, rows: &[*const u8; 3], x: usize, count: usize, out: &mut [u8]) {
        let c = self.channels;
        let out = out.as_mut_ptr();
        for ch in (0..c).step_by(8) {
            let w = self.weights.as_ptr().add((ch / 8) * GROUP_LEN) as *const v128;
            let bias = self.bias.as_ptr().add(ch) as *const v128;
            let (bias0, bias1) = (v128_load(bias), v128_load(bias.add(1)));
            let [top, mid, bottom] = rows.map(|r| r.add(x + ch));
            let load = |p: *const u8| v128_load64_zero(p as *const u64);
            // The widened pair (row 0, row 1) of input column `i` of the span, channels ch..ch + 8.
            let column = |i: usize| widen_pair(load(top.add(i * c)), load(mid.add(i * c)));
            let mut left = column(0);
            let mut centre = column(1);
            for i in 0..count {
                let first = i * S;
                if S == 2 {
                    centre = column(first + 1);
                }
                let right = column(first + 2);
                let mut acc = [bias0, bias1];
                dot8(&mut acc, left, w);
                dot8(&mut acc, centre, w.add(2));
                dot8(&mut acc, right, w.add(4));
                let row2 = bottom.add(first * c);
                pair8(&mut acc, load(row2), load(row2.add(c)), w.add(6));
                pair8(&mut acc, load(row2.add(2 * c)), i32x4_splat(0), w.add(8));
                v128_store64_lane::<0>(self.stage.finish8::<FORM>(acc[0], acc[1]), out.add(i * c + ch) as *mut u64);
                if S == 2 {
                    left = right;
                } else {
                    (left, centre) = (centre, right);
                }
            }
        }
    }

    /// # Safety
    /// Every tap must point at `channels` readable bytes.
    #[inline]
    pub unsafe fn run<const FORM: u8>(&self, taps: &[*const u8; 9], out: &mut [u8]) {
        assert!(out.len() >= self.channels);
        let c = self.channels;
        let out = out.as_mut_ptr();
        let mut ch = 0;
        while ch + 8 <= c {
            let v = self.block8::<FORM>(|t| taps[t].add(ch), ch);
            v128_store64_lane::<0>(v, out.add(ch) as *mut u64);
            ch += 8;
        }
        if ch < c {
            // Fewer than 8 channels left: run on zero-padded copies (the packed weights there are 0).
            let n = c - ch;
            let mut copies = [[0u8; 8]; 9];
            for (copy, &tap) in copies.iter_mut().zip(taps) {
                core::ptr::copy_nonoverlapping(tap.add(ch), copy.as_mut_ptr(), n);
            }
            let v = self.block8::<FORM>(|t| copies[t].as_ptr(), ch);
            let mut tmp = [0u8; 16];
            v128_store(tmp.as_mut_ptr() as *mut v128, v);
            core::ptr::copy_nonoverlapping(tmp.as_ptr(), out.add(ch), n);
        }
    }

    /// Channels `ch..ch + 8` (one packed group), tap `t` read at `tap(t)`; the result is in the low 8 bytes. Two
    /// taps' bytes are interleaved (`punpcklbw`) and widened into the `i16` pairs the packed weights expect.
    /// (Loading each tap widened, `u16x8.load8x8_u`, and interleaving 16-bit lanes measured slower.)
    #[inline(always)]
    unsafe fn block8<const FORM: u8>(&self, tap: impl Fn(usize) -> *const u8, ch: usize) -> v128 {
        let w = self.weights.as_ptr().add((ch / 8) * GROUP_LEN) as *const v128;
        let bias = self.bias.as_ptr().add(ch) as *const v128;
        let mut acc = [v128_load(bias), v128_load(bias.add(1))];
        let load = |t: usize| v128_load64_zero(tap(t) as *const u64);
        // Written out pair by pair (the pairing of `depthwise3x3::TAP_SLOT`): LLVM keeps a loop otherwise.
        pair8(&mut acc, load(0), load(3), w);
        pair8(&mut acc, load(1), load(4), w.add(2));
        pair8(&mut acc, load(2), load(5), w.add(4));
        pair8(&mut acc, load(6), load(7), w.add(6));
        pair8(&mut acc, load(8), i32x4_splat(0), w.add(8));
        self.stage.finish8::<FORM>(acc[0], acc[1])
    }
}

/// One tap pair × 8 channels, already interleaved and widened (`[channels 0..4, channels 4..8]`): multiply-add
/// against the packed weight pairs.
#[inline(always)]
unsafe fn dot8(acc: &mut [v128; 2], pairs: [v128; 2], w: *const v128) {
    acc[0] = i32x4_add(acc[0], i32x4_dot_i16x8(pairs[0], v128_load(w)));
    acc[1] = i32x4_add(acc[1], i32x4_dot_i16x8(pairs[1], v128_load(w.add(1))));
}

/// Two taps × 8 channels (the low 8 bytes of `x0`, `x1`) interleaved (`punpcklbw`) and widened into the `i16`
/// pairs `[channels 0..4, channels 4..8]` that [`dot8`] multiplies.
#[inline(always)]
fn widen_pair(x0: v128, x1: v128) -> [v128; 2] {
    let lo = i8x16_shuffle::<0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23>(x0, x1);
    [u16x8_extend_low_u8x16(lo), u16x8_extend_high_u8x16(lo)]
}

/// Two taps × 8 channels (the low 8 bytes of `x0`, `x1`): widened into pairs, multiply-added against the packed
/// weight pairs.
#[inline(always)]
unsafe fn pair8(acc: &mut [v128; 2], x0: v128, x1: v128, w: *const v128) {
    dot8(acc, widen_pair(x0, x1), w);
}
