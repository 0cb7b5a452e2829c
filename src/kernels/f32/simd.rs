//! The SIMD128 building blocks every float kernel shares, so the build's choice of multiply-add is made once.
//!
//! `madd` is a separate `f32x4.mul` + `f32x4.add` in the plain SIMD128 build: each product is rounded before it
//! is added, exactly as TFLite's reference kernels compute, so the SIMD kernels can match them bit for bit. The
//! relaxed-SIMD build (`-C target-feature=+simd128,+relaxed-simd`) turns it into `f32x4.relaxed_madd`, a fused
//! multiply-add where the engine has one (x86 FMA3, Arm): one rounding instead of two, so results move by an ulp
//! or so per sum, well inside the 1e-5 the float models are held to.

use core::arch::wasm32::*;

/// `acc + a * b`, fused in the relaxed-SIMD build.
#[inline(always)]
pub(crate) fn madd(acc: v128, a: v128, b: v128) -> v128 {
    #[cfg(target_feature = "relaxed-simd")]
    {
        f32x4_relaxed_madd(a, b, acc)
    }
    #[cfg(not(target_feature = "relaxed-simd"))]
    {
        f32x4_add(acc, f32x4_mul(a, b))
    }
}

/// TFLite's `min(max(x, lo), hi)` per lane, with C++'s comparison semantics (a NaN passes through), which are
/// exactly wasm's pseudo-min/max: `pmax(x, lo) = x < lo ? lo : x`, `pmin(y, hi) = hi < y ? hi : y`. They lower to
/// single `maxps`/`minps` on x86, unlike the NaN-propagating `f32x4.min/max`.
#[inline(always)]
pub(crate) fn clamp(x: v128, lo: v128, hi: v128) -> v128 {
    f32x4_pmin(f32x4_pmax(x, lo), hi)
}

/// Load four floats from `p` (no alignment needed).
///
/// # Safety
/// `p..p+4` must be readable.
#[inline(always)]
pub(crate) unsafe fn load(p: *const f32) -> v128 {
    v128_load(p as *const v128)
}

/// Store four floats at `p` (no alignment needed).
///
/// # Safety
/// `p..p+4` must be writable.
#[inline(always)]
pub(crate) unsafe fn store(p: *mut f32, v: v128) {
    v128_store(p as *mut v128, v)
}

/// Broadcast the float at `p` to all four lanes (`v128.load32_splat`: one `vbroadcastss` on x86).
///
/// # Safety
/// `p` must be readable.
#[inline(always)]
pub(crate) unsafe fn load_splat(p: *const f32) -> v128 {
    v128_load32_splat(p as *const u32)
}

/// Store the first `n` (< 4 is the interesting case; at most 4) lanes of `v` at `p`.
///
/// # Safety
/// `p..p+n` must be writable.
#[inline(always)]
pub(crate) unsafe fn store_partial(p: *mut f32, v: v128, n: usize) {
    let lanes = [
        f32x4_extract_lane::<0>(v),
        f32x4_extract_lane::<1>(v),
        f32x4_extract_lane::<2>(v),
        f32x4_extract_lane::<3>(v),
    ];
    core::ptr::copy_nonoverlapping(lanes.as_ptr(), p, n.min(4));
}
