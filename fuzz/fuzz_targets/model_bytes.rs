//! Arbitrary bytes into `Classifier::new`. Seeded with the real models and tiny generated ones (`write_seeds`).
//! Models that load are run on a frame when they are small enough to keep executions fast.
//!
//! The custom mutator: in a multi-megabyte real model nearly every byte is a weight, and flipping weights teaches
//! the reader nothing. So for large inputs that still parse, 15 mutations in 16 land in a window between the
//! weight buffers (the flatbuffer tables, vtables, vectors of shapes and indices) and keep the file's length.
#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};
use mobilenet_wasm::Classifier;
use mobilenet_wasm_fuzz::exercise;

/// Largest model input resolution that is still run on a frame (a 0.25/128 model costs milliseconds per frame).
const RUN_MAX_INPUT_SIZE: usize = 32;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut clf) = Classifier::new(data, None) {
        if clf.info().input_size <= RUN_MAX_INPUT_SIZE {
            exercise(&mut clf, 9, 7, false, 3);
        }
    }
});

/// Byte ranges of `data` outside every non-empty constant buffer, or `None` when the input does not parse.
fn structure_ranges(data: &[u8]) -> Option<Vec<(usize, usize)>> {
    let graph = mobilenet_wasm::tflite::parse(data).ok()?;
    let base = data.as_ptr() as usize;
    let mut weights: Vec<(usize, usize)> =
        graph.buffers.iter().filter(|b| !b.is_empty()).map(|b| (b.as_ptr() as usize - base, b.len())).collect();
    weights.sort_unstable();
    let mut gaps = Vec::new();
    let mut at = 0;
    for (start, len) in weights {
        if start > at {
            gaps.push((at, start - at));
        }
        at = at.max(start + len);
    }
    if data.len() > at {
        gaps.push((at, data.len() - at));
    }
    Some(gaps)
}

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    if size < 16 * 1024 || seed % 16 == 0 {
        return fuzzer_mutate(data, size, max_size);
    }
    let Some(gaps) = structure_ranges(&data[..size]) else {
        return fuzzer_mutate(data, size, max_size);
    };
    let total: usize = gaps.iter().map(|g| g.1).sum();
    if total == 0 {
        return fuzzer_mutate(data, size, max_size);
    }
    // A position uniformly over the structure bytes, then a window of up to 64 bytes inside that gap.
    let mut pick = (seed as usize).wrapping_mul(2_654_435_761) % total;
    let (gap_start, gap_len) = *gaps.iter().find(|g| if pick < g.1 { true } else { pick -= g.1; false }).unwrap_or(&gaps[0]);
    let start = gap_start + pick.min(gap_len - 1);
    let window = (gap_start + gap_len - start).min(64);
    let mut tmp = data[start..start + window].to_vec();
    let n = fuzzer_mutate(&mut tmp, window, window).min(window);
    data[start..start + n].copy_from_slice(&tmp[..n]);
    size
});
