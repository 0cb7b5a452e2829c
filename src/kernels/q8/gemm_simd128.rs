//! SIMD128 steps of the packed uint8 GEMM (layouts and algebra in `gemm`): packing a pixel into the `A` tile and
//! the register-tiled micro-kernel with its fused output stage. The micro-kernel keeps `rows × 8` accumulators
//! (`rows × 2` vectors) in registers; per group of four `k` it loads the 4 weight vectors of the tile once and, per
//! pixel, splats two 32-bit pairs: 2 `dot`s, 4 `i16` adds and 2 `i32` adds for 32 multiply-adds.

use super::gemm::{copy_small, PixelGroup, WeightGroup, GEMM_NR};
use super::output_stage::{FORM_FLOAT, FORM_GENERAL, FORM_SINGLE};
use super::requant_simd128::StageVec;
use core::arch::wasm32::*;
use core::mem::MaybeUninit;

pub(super) use super::requant_simd128::StageVec as Stage;

pub(super) fn stage(s: &super::output_stage::OutputStage) -> Stage {
    StageVec::new(s)
}

/// Write pixel `r` of a `rows`-pixel `A` tile (`groups` groups of four `k`; `a` may be shorter than `4·groups`,
/// the rest reads 0); returns its `ξ`.
pub fn pack_a_row(a: &[u8], tile: &mut [MaybeUninit<PixelGroup>], r: usize, rows: usize, groups: usize) -> i32 {
    assert!(tile.len() >= groups * rows && a.len() <= groups * 4 && r < rows);
    let mut xi = i32x4_splat(0);
    let chunks = a.chunks_exact(8);
    let rest = chunks.remainder();
    let whole = chunks.len();
    // Whole chunks through integer addresses, as the micro-kernel reads them: no bounds check or index multiply per
    // store. Group g of row r is `tile[g·rows + r]`; chunk j fills groups 2j and 2j + 1 (both < groups, as
    // 8j + 8 <= a.len() <= 4·groups).
    let stride = rows * core::mem::size_of::<PixelGroup>();
    let (src, mut dst) = (a.as_ptr() as usize, tile.as_mut_ptr() as usize + r * core::mem::size_of::<PixelGroup>());
    for j in 0..whole {
        // SAFETY: 8 readable bytes at `a[8j..]`; two 8-byte groups of `tile` inside `groups · rows` (asserted above).
        xi = i32x4_add(xi, unsafe { pack_two_groups((src + 8 * j) as *const u8, dst, stride) });
        dst += 2 * stride;
    }
    let mut g = 2 * whole;
    if g < groups {
        let mut padded = [0u8; 8];
        padded[..rest.len()].copy_from_slice(rest);
        // SAFETY: reads the 8 bytes of `padded`.
        let v = unsafe { u16x8_load_extend_u8x8(padded.as_ptr()) };
        xi = i32x4_add(xi, xi_terms(v));
        store_group(tile, v, g, r, rows);
        if g + 1 < groups {
            store_group(tile, v, g + 1, r, rows);
        }
        g += 2;
    }
    // Groups beyond the pixel's values (only when a is shorter than the packing): zeros.
    while g < groups {
        store_group(tile, i32x4_splat(0), g, r, rows);
        g += 1;
    }
    i32x4_extract_lane::<0>(xi).wrapping_add(i32x4_extract_lane::<2>(xi))
}

/// Widen the 8 bytes at `src` into two packed groups, stored at address `dst` and `dst + stride` (one row of two
/// consecutive groups of a tile); returns their `ξ` terms ([`xi_terms`]).
///
/// # Safety
/// 8 readable bytes at `src`; 8 writable bytes at `dst` and at `dst + stride`.
#[inline(always)]
unsafe fn pack_two_groups(src: *const u8, dst: usize, stride: usize) -> v128 {
    let v = u16x8_load_extend_u8x8(src);
    v128_store64_lane::<0>(v, dst as *mut u64);
    v128_store64_lane::<1>(v, (dst + stride) as *mut u64);
    xi_terms(v)
}

/// The `ξ` terms of two packed groups `v` (`i16` lanes `a0..a7`): `a0·a2 + a1·a3` in lane 0, `a4·a6 + a5·a7` in
/// lane 2 (the zeros shifted in give 0 in lanes 1 and 3).
#[inline(always)]
fn xi_terms(v: v128) -> v128 {
    i32x4_dot_i16x8(v, u64x2_shr(v, 32))
}

/// [`pack_a_row`] of a stem pixel (3×3 filter over RGB, `k` = 27, 7 groups, in [`stem_k`](super::gemm::stem_k)
/// order) whose filter row `fy` is the 9 bytes at `input[starts[fy]..]`: groups 0..6 are the first 8 bytes of
/// each row, one widening load each; group 6 is the rows' ninth bytes and a zero.
pub fn pack_stem(input: &[u8], starts: [usize; 3], tile: &mut [MaybeUninit<PixelGroup>], r: usize, rows: usize) -> i32 {
    assert!(tile.len() >= 7 * rows && r < rows && starts.iter().all(|&s| s + 9 <= input.len()));
    let stride = rows * core::mem::size_of::<PixelGroup>();
    let dst = tile.as_mut_ptr() as usize + r * core::mem::size_of::<PixelGroup>();
    let mut xi = i32x4_splat(0);
    for (fy, &s) in starts.iter().enumerate() {
        // SAFETY: 8 readable bytes at `input[s..]` (asserted); groups 2fy and 2fy + 1 of row r lie in the tile.
        xi = i32x4_add(xi, unsafe { pack_two_groups(input.as_ptr().add(s), dst + 2 * fy * stride, stride) });
    }
    let ninth = starts.map(|s| u32::from(input[s + 8]));
    let last: PixelGroup = [ninth[0] | ninth[1] << 16, ninth[2]];
    tile[6 * rows + r].write(last);
    let xi = i32x4_extract_lane::<0>(xi).wrapping_add(i32x4_extract_lane::<2>(xi));
    // ξ of the last group: a0·a2 + a1·a3 with a3 = 0.
    xi.wrapping_add((ninth[0] * ninth[2]) as i32)
}

/// Group `g` of row `r`: the low 8 bytes of `v` for an even `g`, the high 8 for an odd one.
#[inline(always)]
fn store_group(tile: &mut [MaybeUninit<PixelGroup>], v: v128, g: usize, r: usize, rows: usize) {
    let dst = tile[g * rows + r].as_mut_ptr() as *mut u64;
    // SAFETY: a `PixelGroup` is 8 bytes.
    unsafe {
        if g % 2 == 0 {
            v128_store64_lane::<0>(v, dst);
        } else {
            v128_store64_lane::<1>(v, dst);
        }
    }
}

/// `dst[..len].copy_from_slice(&src[at..at + len])`, with one 16-byte load and store when `len <= 16` and both
/// sides have 16 bytes there (the bytes past `len` in `dst` are overwritten with whatever follows in `src`).
#[inline]
pub fn copy_span(dst: &mut [u8], src: &[u8], at: usize, len: usize) {
    if len <= 16 && dst.len() >= 16 && src.len() >= 16 && at <= src.len() - 16 {
        // SAFETY: 16 readable bytes at `src[at..]`, 16 writable at `dst[..]`, checked above.
        unsafe { v128_store(dst.as_mut_ptr() as *mut v128, v128_load(src.as_ptr().add(at) as *const v128)) };
    } else {
        copy_small(dst, src, at, len);
    }
}

/// The outputs of channels `first..` (as many as `weights` holds tiles, up to `n`) of each of the `rows` pixels of
/// `tile`, 8 channels (one weight tile) at a time; `out` holds the `rows` pixels' `n` channels.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn tiles(
    rows: usize,
    tile: &[PixelGroup],
    weights: &[WeightGroup],
    bias: &[i32],
    xi: &[i32],
    stage: &Stage,
    out: &mut [u8],
    n: usize,
    first: usize,
) {
    // 100 of the 112 layers of the published uint8 MobileNets take the float form, the rest the single rounding.
    match (rows, stage.form()) {
        (3, FORM_FLOAT) => micro::<3, FORM_FLOAT>(per_group(tile), weights, bias, xi, stage, out, n, first),
        (2, FORM_FLOAT) => micro::<2, FORM_FLOAT>(per_group(tile), weights, bias, xi, stage, out, n, first),
        (1, FORM_FLOAT) => micro::<1, FORM_FLOAT>(per_group(tile), weights, bias, xi, stage, out, n, first),
        (3, FORM_SINGLE) => micro::<3, FORM_SINGLE>(per_group(tile), weights, bias, xi, stage, out, n, first),
        (2, FORM_SINGLE) => micro::<2, FORM_SINGLE>(per_group(tile), weights, bias, xi, stage, out, n, first),
        (1, FORM_SINGLE) => micro::<1, FORM_SINGLE>(per_group(tile), weights, bias, xi, stage, out, n, first),
        (3, FORM_GENERAL) => micro::<3, FORM_GENERAL>(per_group(tile), weights, bias, xi, stage, out, n, first),
        (2, FORM_GENERAL) => micro::<2, FORM_GENERAL>(per_group(tile), weights, bias, xi, stage, out, n, first),
        (1, FORM_GENERAL) => micro::<1, FORM_GENERAL>(per_group(tile), weights, bias, xi, stage, out, n, first),
        _ => unreachable!("GEMM_MR is at most 3"),
    }
}

/// The tile as one `[PixelGroup; R]` per group (`<[T]>::as_chunks` needs Rust 1.88, above the crate's MSRV).
fn per_group<const R: usize>(tile: &[PixelGroup]) -> &[[PixelGroup; R]] {
    // SAFETY: `[T; R]` is `R` consecutive `T` with `T`'s alignment; the length is rounded down.
    unsafe { core::slice::from_raw_parts(tile.as_ptr() as *const [PixelGroup; R], tile.len() / R) }
}

/// The register tile, `R` pixels × 8 channels, once per weight tile: accumulate over every group, then
/// requantise and store.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn micro<const R: usize, const FORM: u8>(
    tile: &[[PixelGroup; R]],
    weights: &[WeightGroup],
    bias: &[i32],
    xi: &[i32],
    s: &StageVec,
    out: &mut [u8],
    n: usize,
    first: usize,
) {
    let groups = tile.len();
    let tiles = weights.len() / groups;
    assert!(groups > 0 && weights.len() == groups * tiles && bias.len() == tiles * GEMM_NR);
    assert!(xi.len() == R && out.len() == R * n && first < n && first + (tiles - 1) * GEMM_NR < n);
    let xi: [v128; R] = core::array::from_fn(|r| i32x4_splat(xi[r]));
    // Whole tiles of 8 channels inside the row; a last partial one (n = 1001) is stored through a buffer.
    let full = tiles.min((n - first) / GEMM_NR);
    for (t, (weights, bias)) in weights.chunks_exact(groups).zip(bias.chunks_exact(GEMM_NR)).take(full).enumerate() {
        let bytes = accumulate::<R, FORM>(tile, weights, bias, &xi, s);
        let n0 = first + t * GEMM_NR;
        for (r, bytes) in bytes.into_iter().enumerate() {
            // SAFETY: row `r`, channels `n0..n0 + 8` lie inside `out` (R·n bytes, n0 + 8 <= n).
            unsafe { v128_store64_lane::<0>(bytes, out.as_mut_ptr().add(r * n + n0) as *mut u64) };
        }
    }
    if full < tiles {
        let bytes = accumulate::<R, FORM>(tile, &weights[full * groups..], &bias[full * GEMM_NR..], &xi, s);
        store_partial(&bytes, out, n, first + full * GEMM_NR);
    }
}

/// One weight tile over the register tile: the `R` rows of 8 finished output bytes (low halves).
#[inline(always)]
fn accumulate<const R: usize, const FORM: u8>(
    tile: &[[PixelGroup; R]],
    weights: &[WeightGroup],
    bias: &[i32],
    xi: &[v128; R],
    s: &StageVec,
) -> [v128; R] {
    let bias: &[i32; GEMM_NR] = bias[..GEMM_NR].try_into().expect("a tile of bias");
    // SAFETY: 4 + 4 values of `bias`.
    let (bias0, bias1) = unsafe { (v128_load(bias.as_ptr() as *const v128), v128_load(bias[4..].as_ptr() as *const v128)) };
    let mut acc: [[v128; 2]; R] = core::array::from_fn(|r| [i32x4_sub(bias0, xi[r]), i32x4_sub(bias1, xi[r])]);
    assert!(weights.len() >= tile.len());
    // Addresses are carried as integers and cast back at each load (as in the f32 GEMM): LLVM then folds the
    // constant offsets into the loads' offset immediates, where with slice indexing it emitted an `i32.add` per
    // load that V8 executes as written.
    let (mut wp, mut ap) = (weights.as_ptr() as usize, tile.as_ptr() as usize);
    for _ in 0..tile.len() {
        let w = wp as *const v128;
        // SAFETY: one `WeightGroup` (4 vectors) at `wp` and one `[PixelGroup; R]` at `ap`: both advance one group
        // per iteration, `tile.len()` times, inside `tile` and `weights` (at least as long, asserted above).
        unsafe {
            let (p0, q0, p1, q1) = (v128_load(w), v128_load(w.add(1)), v128_load(w.add(2)), v128_load(w.add(3)));
            for (r, acc) in acc.iter_mut().enumerate() {
                let a = (ap as *const u32).add(2 * r);
                let (even, odd) = (v128_load32_splat(a), v128_load32_splat(a.add(1)));
                acc[0] = i32x4_add(acc[0], i32x4_dot_i16x8(i16x8_add(even, p0), i16x8_add(odd, q0)));
                acc[1] = i32x4_add(acc[1], i32x4_dot_i16x8(i16x8_add(even, p1), i16x8_add(odd, q1)));
            }
        }
        wp += core::mem::size_of::<WeightGroup>();
        ap += R * core::mem::size_of::<PixelGroup>();
    }
    core::array::from_fn(|r| s.finish8::<FORM>(acc[r][0], acc[r][1]))
}

/// The last, partial tile of channels (`n` not a multiple of 8: the classifier's 1001).
#[cold]
#[inline(never)]
fn store_partial(bytes: &[v128], out: &mut [u8], n: usize, n0: usize) {
    for (r, &v) in bytes.iter().enumerate() {
        let mut tmp = [0u8; 16];
        // SAFETY: `tmp` holds 16 bytes.
        unsafe { v128_store(tmp.as_mut_ptr() as *mut v128, v) };
        out[r * n + n0..(r + 1) * n].copy_from_slice(&tmp[..n - n0]);
    }
}
