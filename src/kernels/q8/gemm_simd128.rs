//! SIMD128 steps of the packed uint8 GEMM (layouts and algebra in `gemm`): packing a pixel into the `A` tile and
//! the register-tiled micro-kernel with its fused output stage. The micro-kernel keeps `rows × 8` accumulators
//! (`rows × 2` vectors) in registers; per group of four `k` it loads the 4 weight vectors of the tile once and, per
//! pixel, splats two 32-bit pairs: 2 `dot`s, 4 `i16` adds and 2 `i32` adds for 32 multiply-adds.

use super::gemm::{PixelGroup, WeightGroup, GEMM_MR, GEMM_NR};
use super::output_stage::OutputStage;
use super::requant_simd128::StageVec;
use core::arch::wasm32::*;

/// Byte shuffle taking 8 `u8` values `a0..a7` to the `i16` lanes `[a0, a2, a1, a3, a4, a6, a5, a7]` (indices ≥ 16
/// select zero).
const TO_PAIRS: v128 = u8x16(0, 0xff, 2, 0xff, 1, 0xff, 3, 0xff, 4, 0xff, 6, 0xff, 5, 0xff, 7, 0xff);

/// Write pixel `r` of a `rows`-pixel `A` tile (`groups` groups of four `k`; `a` may be shorter than `4·groups`,
/// the rest reads 0); returns its `ξ`.
pub fn pack_a_row(a: &[u8], tile: &mut [PixelGroup], r: usize, rows: usize, groups: usize) -> i32 {
    assert!(tile.len() >= groups * rows && a.len() <= groups * 4 && r < rows);
    let mut xi = i32x4_splat(0);
    let store = |tile: &mut [PixelGroup], v: v128, g: usize| {
        let dst = &mut tile[g * rows + r] as *mut PixelGroup as *mut u64;
        // SAFETY: a `PixelGroup` is 8 bytes.
        unsafe {
            if g % 2 == 0 {
                v128_store64_lane::<0>(v, dst);
            } else {
                v128_store64_lane::<1>(v, dst);
            }
        }
    };
    let mut step = |tile: &mut [PixelGroup], bytes: v128, g: usize| {
        let v = i8x16_swizzle(bytes, TO_PAIRS);
        // ξ: lanes (a0, a2)·(a1, a3) and (a4, a6)·(a5, a7); the shifted-in zeros give 0 in lanes 1 and 3.
        xi = i32x4_add(xi, i32x4_dot_i16x8(v, u64x2_shr(v, 32)));
        store(tile, v, g);
        if g + 1 < groups {
            store(tile, v, g + 1);
        }
    };
    let chunks = a.chunks_exact(8);
    let rest = chunks.remainder();
    let whole = chunks.len();
    for (j, chunk) in chunks.enumerate() {
        // SAFETY: reads the 8 bytes of `chunk`.
        let bytes = unsafe { v128_load64_zero(chunk.as_ptr() as *const u64) };
        step(tile, bytes, 2 * j);
    }
    let mut g = 2 * whole;
    if g < groups {
        let mut padded = [0u8; 16];
        padded[..rest.len()].copy_from_slice(rest);
        // SAFETY: reads the 16 bytes of `padded`.
        step(tile, unsafe { v128_load(padded.as_ptr() as *const v128) }, g);
        g += 2;
    }
    // Groups beyond the pixel's values (only when a is shorter than the packing): zeros.
    while g < groups {
        store(tile, i32x4_splat(0), g);
        g += 1;
    }
    i32x4_extract_lane::<0>(xi).wrapping_add(i32x4_extract_lane::<2>(xi))
}

/// `rows` × 8 outputs starting at channel `n0` of each of the `rows` output pixels in `out` (`n` channels each).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn tile(
    rows: usize,
    tile: &[PixelGroup],
    weights: &[WeightGroup],
    bias: &[i32; GEMM_NR],
    xi: &[i32; GEMM_MR],
    stage: &OutputStage,
    out: &mut [u8],
    n: usize,
    n0: usize,
) {
    match rows {
        3 => micro::<3>(per_group(tile), weights, bias, xi, stage, out, n, n0),
        2 => micro::<2>(per_group(tile), weights, bias, xi, stage, out, n, n0),
        1 => micro::<1>(per_group(tile), weights, bias, xi, stage, out, n, n0),
        _ => unreachable!("GEMM_MR is 3"),
    }
}

/// The tile as one `[PixelGroup; R]` per group (`<[T]>::as_chunks` needs Rust 1.88, above the crate's MSRV).
fn per_group<const R: usize>(tile: &[PixelGroup]) -> &[[PixelGroup; R]] {
    // SAFETY: `[T; R]` is `R` consecutive `T` with `T`'s alignment; the length is rounded down.
    unsafe { core::slice::from_raw_parts(tile.as_ptr() as *const [PixelGroup; R], tile.len() / R) }
}

/// The register tile: `R` pixels × 8 channels, accumulated over every group, then requantised and stored. Typed
/// slices (not raw pointers) let LLVM fold the constant offsets into the loads.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn micro<const R: usize>(
    tile: &[[PixelGroup; R]],
    weights: &[WeightGroup],
    bias: &[i32; GEMM_NR],
    xi: &[i32; GEMM_MR],
    stage: &OutputStage,
    out: &mut [u8],
    n: usize,
    n0: usize,
) {
    assert!(tile.len() == weights.len() && n0 < n && out.len() >= R * n);
    let load = |v: &[i16; 8]| unsafe { v128_load(v as *const [i16; 8] as *const v128) };
    let splat = |w: &u32| unsafe { v128_load32_splat(w) };
    let bias0 = unsafe { v128_load(bias.as_ptr() as *const v128) };
    let bias1 = unsafe { v128_load(bias.as_ptr().add(4) as *const v128) };
    let mut acc = [[i32x4_splat(0); 2]; R];
    for r in 0..R {
        let x = i32x4_splat(xi[r]);
        acc[r] = [i32x4_sub(bias0, x), i32x4_sub(bias1, x)];
    }
    for (a, w) in tile.iter().zip(weights) {
        let (p0, q0, p1, q1) = (load(&w[0]), load(&w[1]), load(&w[2]), load(&w[3]));
        for r in 0..R {
            let even = splat(&a[r][0]);
            let odd = splat(&a[r][1]);
            acc[r][0] = i32x4_add(acc[r][0], i32x4_dot_i16x8(i16x8_add(even, p0), i16x8_add(odd, q0)));
            acc[r][1] = i32x4_add(acc[r][1], i32x4_dot_i16x8(i16x8_add(even, p1), i16x8_add(odd, q1)));
        }
    }
    let s = StageVec::new(stage);
    let valid = GEMM_NR.min(n - n0);
    for r in 0..R {
        let bytes = s.finish8(acc[r][0], acc[r][1]);
        let dst = &mut out[r * n + n0..][..valid];
        if valid == GEMM_NR {
            // SAFETY: `dst` holds 8 bytes.
            unsafe { v128_store64_lane::<0>(bytes, dst.as_mut_ptr() as *mut u64) };
        } else {
            let mut tmp = [0u8; 16];
            // SAFETY: `tmp` holds 16 bytes.
            unsafe { v128_store(tmp.as_mut_ptr() as *mut v128, bytes) };
            dst.copy_from_slice(&tmp[..valid]);
        }
    }
}
