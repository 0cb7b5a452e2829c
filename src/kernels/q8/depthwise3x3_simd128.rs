//! SIMD128 output pixel of the packed 3×3 depthwise convolution (layout and algebra in `depthwise3x3`): 16
//! channels per step; each tap pair's bytes are interleaved (`punpck{l,h}bw`), widened to `i16` pairs and
//! multiplied by the packed weight pairs with `i32x4.dot_i16x8_s`; then the fused output stage. 8 channels per
//! step for a remainder of 8..15, and a last partial group runs on copies padded to 8 channels.

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

    /// # Safety
    /// Every tap must point at `channels` readable bytes.
    #[inline]
    pub unsafe fn run(&self, taps: &[*const u8; 9], out: &mut [u8]) {
        assert!(out.len() >= self.channels);
        let c = self.channels;
        let out = out.as_mut_ptr();
        let mut ch = 0;
        while ch + 16 <= c {
            let v = self.block16(taps, ch, ch);
            v128_store(out.add(ch) as *mut v128, v);
            ch += 16;
        }
        if ch + 8 <= c {
            let v = self.block8(taps, ch, ch);
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
            let padded: [*const u8; 9] = core::array::from_fn(|t| copies[t].as_ptr());
            let v = self.block8(&padded, 0, ch);
            let mut tmp = [0u8; 16];
            v128_store(tmp.as_mut_ptr() as *mut v128, v);
            core::ptr::copy_nonoverlapping(tmp.as_ptr(), out.add(ch), n);
        }
    }

    /// Channels `ch..ch + 16` (two packed groups), read at `taps[t] + at`.
    #[inline(always)]
    unsafe fn block16(&self, taps: &[*const u8; 9], at: usize, ch: usize) -> v128 {
        let w = self.weights.as_ptr().add((ch / 8) * GROUP_LEN) as *const v128;
        let bias = self.bias.as_ptr().add(ch) as *const v128;
        let mut acc = [v128_load(bias), v128_load(bias.add(1)), v128_load(bias.add(2)), v128_load(bias.add(3))];
        let load = |t: usize| v128_load(taps[t].add(at) as *const v128);
        // Written out pair by pair: LLVM keeps a loop over the pairs otherwise.
        pair16(&mut acc, load(0), load(1), w);
        pair16(&mut acc, load(2), load(3), w.add(2));
        pair16(&mut acc, load(4), load(5), w.add(4));
        pair16(&mut acc, load(6), load(7), w.add(6));
        pair16(&mut acc, load(8), i32x4_splat(0), w.add(8));
        self.stage.finish16(acc[0], acc[1], acc[2], acc[3])
    }

    /// Channels `ch..ch + 8` (one packed group), read at `taps[t] + at`; the result is in the low 8 bytes.
    #[inline(always)]
    unsafe fn block8(&self, taps: &[*const u8; 9], at: usize, ch: usize) -> v128 {
        let w = self.weights.as_ptr().add((ch / 8) * GROUP_LEN) as *const v128;
        let bias = self.bias.as_ptr().add(ch) as *const v128;
        let mut acc = [v128_load(bias), v128_load(bias.add(1))];
        let load = |t: usize| v128_load64_zero(taps[t].add(at) as *const u64);
        pair8(&mut acc, load(0), load(1), w);
        pair8(&mut acc, load(2), load(3), w.add(2));
        pair8(&mut acc, load(4), load(5), w.add(4));
        pair8(&mut acc, load(6), load(7), w.add(6));
        pair8(&mut acc, load(8), i32x4_splat(0), w.add(8));
        self.stage.finish8(acc[0], acc[1])
    }
}

/// Two taps × 16 channels: interleave the taps' bytes, widen to `i16` pairs, multiply-add against the packed
/// weight pairs of the two groups (`w` for the first, `GROUP_LEN / 8` vectors further for the second).
#[inline(always)]
unsafe fn pair16(acc: &mut [v128; 4], x0: v128, x1: v128, w: *const v128) {
    let lo = i8x16_shuffle::<0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23>(x0, x1);
    let hi = i8x16_shuffle::<8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31>(x0, x1);
    let w2 = w.add(GROUP_LEN / 8);
    acc[0] = i32x4_add(acc[0], i32x4_dot_i16x8(u16x8_extend_low_u8x16(lo), v128_load(w)));
    acc[1] = i32x4_add(acc[1], i32x4_dot_i16x8(u16x8_extend_high_u8x16(lo), v128_load(w.add(1))));
    acc[2] = i32x4_add(acc[2], i32x4_dot_i16x8(u16x8_extend_low_u8x16(hi), v128_load(w2)));
    acc[3] = i32x4_add(acc[3], i32x4_dot_i16x8(u16x8_extend_high_u8x16(hi), v128_load(w2.add(1))));
}

/// Two taps × 8 channels (the low 8 bytes of `x0`, `x1`).
#[inline(always)]
unsafe fn pair8(acc: &mut [v128; 2], x0: v128, x1: v128, w: *const v128) {
    let lo = i8x16_shuffle::<0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23>(x0, x1);
    acc[0] = i32x4_add(acc[0], i32x4_dot_i16x8(u16x8_extend_low_u8x16(lo), v128_load(w)));
    acc[1] = i32x4_add(acc[1], i32x4_dot_i16x8(u16x8_extend_high_u8x16(lo), v128_load(w.add(1))));
}
