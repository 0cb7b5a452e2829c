//! Splitting one layer across threads. A layer's output rows (or, for 1×1 convolutions, its pixels) are cut into
//! contiguous blocks; each block becomes a smaller [`Window2d`] over the input rows it reads, so every kernel — scalar
//! or SIMD — runs unchanged on its block and no output element is computed differently: results are identical for
//! any thread count (uint8 byte-identical, float bit-identical per element).
//!
//! With the `threads` feature, an inference large enough to gain leads a team (`team.rs`) of the rayon pool's threads
//! (in the browser: wasm-bindgen-rayon's Web Workers), which share out each layer's blocks; without it, for small
//! networks, or with a pool of one, every layer runs whole on the calling thread.

use crate::kernels::Window2d;
use std::ops::Range;

#[cfg(feature = "threads")]
mod team;

/// Threads the current pool offers (1 without the `threads` feature).
pub fn threads() -> usize {
    #[cfg(feature = "threads")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "threads"))]
    {
        1
    }
}

/// Multiply-adds of a window op: `kernel_h·kernel_w` per output for per-channel ops (depthwise, pooling), times
/// `in_c` for convolutions. The window alone cannot tell: a pointwise layer may have as many outputs as inputs.
pub fn layer_work(w: &Window2d, per_channel: bool) -> usize {
    w.output_len() * w.kernel_h * w.kernel_w * if per_channel { 1 } else { w.in_c }
}

#[cfg(feature = "threads")]
/// Below this many multiply-adds a whole inference runs on the calling thread alone. Measured in Chromium on the
/// 2-core VM, 2 threads: 1.0/224 (569 M) 1.79× faster, 0.75/192 (317 M) 1.3×, but 0.5/160 (77 M) no faster and
/// 0.25/128 (14 M) 2.8× slower: waking a helper and the moments it is preempted while holding a block cost more
/// than a small network's layers.
const MIN_WORK_FOR_THREADS: usize = 100_000_000;

/// Run `body` (one whole inference of `work` multiply-adds) on this thread as the leader of a [`team::Team`]
/// with the pool's threads as helpers: each layer's blocks are shared out between threads that spin between
/// layers. Plain rayon, injecting each layer into the pool from outside, made its threads sleep and wake once per
/// layer: measured in Chromium with 2 threads, 1.0/224 uint8 took 40 ms that way against 36 ms on one thread.
pub fn on_pool<R>(work: usize, body: impl FnOnce() -> R) -> R {
    #[cfg(feature = "threads")]
    {
        let n = threads_for(work);
        if n > 1 && rayon::current_thread_index().is_none() {
            // The caller leads and works: `n - 1` helpers keep the total at the pool size.
            return team::Team::lead(n - 1, body);
        }
    }
    let _ = work;
    body()
}

/// Threads an inference of `work` multiply-adds runs on: the pool's size, or 1 below [`MIN_WORK_FOR_THREADS`]
/// (and always 1 without the `threads` feature).
pub fn threads_for(work: usize) -> usize {
    #[cfg(feature = "threads")]
    {
        if work >= MIN_WORK_FOR_THREADS {
            return threads();
        }
    }
    let _ = work;
    1
}

#[cfg(any(feature = "threads", test))]
/// The sub-window computing output rows `rows`, with the input rows it reads (as an element range of the input)
/// and the element range of the output it writes.
pub fn split_rows(w: &Window2d, rows: Range<usize>) -> (Window2d, Range<usize>, Range<usize>) {
    let first_in = (rows.start * w.stride_h) as isize - w.pad_top as isize;
    let last_in = ((rows.end - 1) * w.stride_h + w.kernel_h) as isize - w.pad_top as isize; // exclusive
    let in_start = first_in.max(0) as usize;
    let in_end = (last_in.max(0) as usize).min(w.in_h);
    let sub = Window2d {
        in_h: in_end.saturating_sub(in_start),
        out_h: rows.len(),
        pad_top: (in_start as isize - first_in) as usize,
        ..*w
    };
    let row_in = w.in_w * w.in_c;
    let row_out = w.out_w * w.out_c;
    (sub, in_start * row_in..in_end.max(in_start) * row_in, rows.start * row_out..rows.end * row_out)
}

#[cfg(any(feature = "threads", test))]
/// A 1×1 stride-1 unpadded convolution seen as one row of `pixels` pixels, so it can be split per pixel.
fn as_pixel_row(w: &Window2d) -> Option<Window2d> {
    let pointwise = (w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, w.pad_top, w.pad_left) == (1, 1, 1, 1, 0, 0);
    (pointwise && w.in_h == w.out_h && w.in_w == w.out_w).then(|| {
        let pixels = w.out_h * w.out_w;
        Window2d { in_h: 1, in_w: pixels, out_h: 1, out_w: pixels, ..*w }
    })
}

#[cfg(feature = "threads")]
/// About 10 µs of work: a team block (threads already spinning) costs a compare-and-swap and a counter.
const MIN_WORK_PER_TEAM_BLOCK: usize = 100_000;
/// Team blocks per thread: a few, so the first thread to finish takes over the rest of a layer.
#[cfg(feature = "threads")]
const TEAM_BLOCKS_PER_THREAD: usize = 3;

/// Blocks a team splits a layer of `work` multiply-adds into: a few per thread, none smaller than
/// [`MIN_WORK_PER_TEAM_BLOCK`] (callers also cap it by what the layer can be cut into).
#[cfg(feature = "threads")]
fn team_blocks(work: usize) -> usize {
    (threads() * TEAM_BLOCKS_PER_THREAD).min(work / MIN_WORK_PER_TEAM_BLOCK).min(team::MAX_BLOCKS)
}

/// Run `kernel(window, input, output)` over `w` (`work` multiply-adds), split into blocks across the team when
/// this thread leads one and the layer is large enough. Each block gets its sub-window, the input elements it
/// reads, and the output elements it writes.
pub fn for_each_block<T, F>(w: &Window2d, work: usize, input: &[T], output: &mut [T], kernel: F)
where
    T: Send + Sync,
    F: Fn(&Window2d, &[T], &mut [T]) + Sync,
{
    #[cfg(feature = "threads")]
    if let Some(team) = team::Team::current() {
        let blocks = team_blocks(work);
        return run_team_blocks(team, w, blocks, input, output, &kernel);
    }
    // Outside a team (no threads, a small network, or observed runs) the layer runs whole on this thread.
    let _ = work;
    kernel(w, input, output)
}

/// Run `kernel(units, output_part)` over a layer with one output pixel whose `channels` are computed in units of
/// `unit` channels (a kernel's channel tile; the last unit may be partial), split into blocks of whole units across
/// the team when this thread leads one and the layer (`work` multiply-adds) is large enough. `output_part` holds
/// the block's channels. The classifier is such a layer: without this it ran on one thread while the others waited.
pub fn for_each_channel_block<T, F>(channels: usize, unit: usize, work: usize, output: &mut [T], kernel: F)
where
    T: Send + Sync,
    F: Fn(Range<usize>, &mut [T]) + Sync,
{
    assert!(unit > 0 && output.len() == channels);
    let units = channels.div_ceil(unit);
    #[cfg(feature = "threads")]
    if let Some(team) = team::Team::current() {
        let blocks = team_blocks(work).min(units);
        if blocks > 1 {
            let out = SharedOut(output.as_mut_ptr(), output.len());
            let block = |b: usize| {
                let u = units * b / blocks..units * (b + 1) / blocks;
                // SAFETY: the unit ranges of distinct blocks are disjoint, so are their channel ranges.
                let dst = unsafe { out.range(u.start * unit..(u.end * unit).min(channels)) };
                kernel(u, dst);
            };
            return team.run(blocks, &block);
        }
    }
    let _ = work;
    if units > 0 {
        kernel(0..units, output)
    }
}

/// `output`'s address, shared by a team's blocks, each of which writes its own disjoint range.
#[cfg(feature = "threads")]
struct SharedOut<T>(*mut T, usize);
// SAFETY: blocks write disjoint ranges (see `run_team_blocks`), and the leader waits for them all.
#[cfg(feature = "threads")]
unsafe impl<T: Send> Sync for SharedOut<T> {}

#[cfg(feature = "threads")]
impl<T> SharedOut<T> {
    /// # Safety
    /// No other live slice may overlap `range` (each block asks for its own).
    #[allow(clippy::mut_from_ref)]
    unsafe fn range(&self, range: Range<usize>) -> &mut [T] {
        assert!(range.start <= range.end && range.end <= self.1);
        std::slice::from_raw_parts_mut(self.0.add(range.start), range.len())
    }
}

/// [`for_each_block`] inside a team: `blocks` blocks (fewer if the layer has fewer rows/pixels), computed by
/// whichever thread claims them; no allocation.
#[cfg(feature = "threads")]
fn run_team_blocks<T, F>(team: &team::Team, w: &Window2d, blocks: usize, input: &[T], output: &mut [T], kernel: &F)
where
    T: Send + Sync,
    F: Fn(&Window2d, &[T], &mut [T]) + Sync,
{
    let geometry = as_pixel_row(w).filter(|p| p.out_w >= blocks);
    let (whole, rows) = match geometry {
        Some(p) => (p, p.out_w),
        None => (*w, w.out_h),
    };
    let blocks = blocks.min(rows);
    if blocks <= 1 {
        kernel(w, input, output);
        return;
    }
    let out = SharedOut(output.as_mut_ptr(), output.len());
    let by_pixel = geometry.is_some();
    let block = |b: usize| {
        let r = rows * b / blocks..rows * (b + 1) / blocks;
        let (sub, in_range, out_range) = if by_pixel { split_pixels(&whole, r) } else { split_rows(&whole, r) };
        // SAFETY: the ranges of distinct blocks tile the output without overlap, and `output` outlives `team.run`.
        let dst = unsafe { out.range(out_range) };
        kernel(&sub, &input[in_range], dst);
    };
    team.run(blocks, &block);
}

/// The blocks `ranges` one after the other (or on the rayon pool): the split the team makes, checked in tests.
#[cfg(test)]
fn run_blocks<T, F>(w: &Window2d, by_pixel: bool, ranges: &[Range<usize>], input: &[T], output: &mut [T], kernel: &F)
where
    T: Send + Sync,
    F: Fn(&Window2d, &[T], &mut [T]) + Sync,
{
    // The ranges tile the output front to back, so the output splits into consecutive disjoint blocks.
    let mut jobs = Vec::with_capacity(ranges.len());
    let mut rest = output;
    for r in ranges {
        let (sub, in_range, out_range) = if by_pixel { split_pixels(w, r.clone()) } else { split_rows(w, r.clone()) };
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(out_range.len());
        rest = tail;
        jobs.push((sub, &input[in_range], head));
    }
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        jobs.into_par_iter().for_each(|(sub, inp, out)| kernel(&sub, inp, out));
    }
    #[cfg(not(feature = "threads"))]
    for (sub, inp, out) in jobs {
        kernel(&sub, inp, out);
    }
}

#[cfg(any(feature = "threads", test))]
/// Pixel range of a pointwise conv seen as one row (see [`as_pixel_row`]).
fn split_pixels(w: &Window2d, px: Range<usize>) -> (Window2d, Range<usize>, Range<usize>) {
    let sub = Window2d { in_w: px.len(), out_w: px.len(), ..*w };
    (sub, px.start * w.in_c..px.end * w.in_c, px.start * w.out_c..px.end * w.out_c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::q8::{conv2d_ref, depthwise_conv2d_ref, ConvQuant, Requantize};

    fn window(in_hw: usize, c_in: usize, c_out: usize, k: usize, s: usize, pad: usize) -> Window2d {
        let out = (in_hw + 2 * pad - k) / s + 1;
        Window2d {
            in_h: in_hw, in_w: in_hw + 1, in_c: c_in, out_h: out, out_w: (in_hw + 1 + 2 * pad - k) / s + 1, out_c: c_out,
            kernel_h: k, kernel_w: k, stride_h: s, stride_w: s, pad_top: pad, pad_left: pad,
        }
    }

    /// Inside a team, a one-pixel layer's channels are shared out in blocks of whole units: every channel is
    /// written once, by the block holding its unit, whatever the channel count and team size.
    #[cfg(feature = "threads")]
    #[test]
    fn channel_blocks_cover_every_channel_once() {
        use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
        for threads in [2, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            for channels in [1, 7, 8, 9, 1001] {
                let calls = AtomicUsize::new(0);
                let mut out = vec![u32::MAX; channels];
                pool.install(|| {
                    team::Team::lead(threads - 1, || {
                        for_each_channel_block(channels, 8, 10_000_000, &mut out, |units, part| {
                            calls.fetch_add(1, Relaxed);
                            assert_eq!(part.len(), (units.end * 8).min(channels) - units.start * 8);
                            for (i, o) in part.iter_mut().enumerate() {
                                assert_eq!(*o, u32::MAX, "channel written twice");
                                *o = (units.start * 8 + i) as u32;
                            }
                        })
                    })
                });
                assert_eq!(out, (0..channels as u32).collect::<Vec<_>>(), "{channels} channels, {threads} threads");
                let blocks = (threads * TEAM_BLOCKS_PER_THREAD).min(channels.div_ceil(8));
                assert_eq!(calls.load(Relaxed), blocks, "{channels} channels, {threads} threads");
            }
        }
    }

    /// Every row split of every layer shape gives the same bytes as the whole layer.
    #[test]
    fn any_row_split_matches_the_whole_layer() {
        let q = ConvQuant {
            input_zero_point: 7, filter_zero_point: 130, output_zero_point: 3,
            requant: Requantize::from_real(0.0031), act_min: 3, act_max: 250,
        };
        let mut seed = 0x2545_f491_u32;
        let mut rnd = move || { seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5; (seed >> 8) as u8 };
        for (in_hw, c_in, c_out, k, s, pad, depthwise) in
            [(9, 3, 5, 3, 2, 1, false), (7, 5, 5, 3, 1, 1, true), (8, 4, 4, 3, 2, 1, true), (6, 6, 7, 1, 1, 0, false)]
        {
            let w = window(in_hw, c_in, c_out, k, s, pad);
            let input: Vec<u8> = (0..w.input_len()).map(|_| rnd()).collect();
            let flen = if depthwise { k * k * c_in } else { c_out * k * k * c_in };
            let filter: Vec<u8> = (0..flen).map(|_| rnd()).collect();
            let bias: Vec<i32> = (0..c_out as i32).map(|i| i * 97 - 200).collect();
            let run = |w: &Window2d, i: &[u8], o: &mut [u8]| {
                if depthwise { depthwise_conv2d_ref(w, i, &filter, &bias, &q, o) } else { conv2d_ref(w, i, &filter, &bias, &q, o) }
            };
            let mut whole = vec![0u8; w.output_len()];
            run(&w, &input, &mut whole);
            for blocks in 2..=w.out_h {
                let ranges: Vec<_> = (0..blocks).map(|b| w.out_h * b / blocks..w.out_h * (b + 1) / blocks).collect();
                let mut split = vec![0u8; w.output_len()];
                run_blocks(&w, false, &ranges, &input, &mut split, &run);
                assert_eq!(split, whole, "{blocks} row blocks of {w:?}");
            }
            if let Some(p) = as_pixel_row(&w) {
                let ranges = [0..5, 5..17, 17..p.out_w];
                let mut split = vec![0u8; w.output_len()];
                run_blocks(&p, true, &ranges, &input, &mut split, &run);
                assert_eq!(split, whole, "pixel blocks of {w:?}");
            }
        }
    }
}
