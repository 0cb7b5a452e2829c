//! Shared code of the fuzz targets: the miniature-model builder, the structured edits the model fuzzer applies to
//! it, and the invariants every successful classification must satisfy.

pub mod edits;
pub mod tiny_mobilenet;

use mobilenet_wasm::preprocess::PixelLayout;
use mobilenet_wasm::{Classifier, Prediction};

/// `$MOBILENET_DATA`, else `shared/data` next to the project root.
pub fn data_dir() -> std::path::PathBuf {
    std::env::var_os("MOBILENET_DATA")
        .map(Into::into)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"))
}

/// Reads a data file, with a message naming the variable to set when it is missing.
pub fn read_data(rel: &str) -> Vec<u8> {
    let p = data_dir().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {} ({e}); set MOBILENET_DATA", p.display()))
}

/// A deterministic RGBA test frame (gradient with a pattern) of `w`×`h`.
pub fn test_frame(w: u32, h: u32) -> Vec<u8> {
    let mut v = Vec::with_capacity(w as usize * h as usize * 4);
    for y in 0..h {
        for x in 0..w {
            v.extend_from_slice(&[(x * 7 + y) as u8, (y * 5) as u8, ((x ^ y) * 3) as u8, 255]);
        }
    }
    v
}

/// Ranked predictions must be `min(k, classes)` long, best first (ties by lower index), with probabilities in
/// [0, 1] (NaN is tolerated only for float models, whose hostile weights may overflow).
pub fn check_ranked(ranked: &[Prediction], k: usize, classes: usize, quantized: bool) {
    assert_eq!(ranked.len(), k.min(classes), "top-{k} of {classes} classes");
    for p in ranked {
        assert!(p.index < classes, "index {} of {classes}", p.index);
        let ok = (0.0..=1.0).contains(&p.probability) || (!quantized && p.probability.is_nan());
        assert!(ok, "probability {} out of [0, 1]", p.probability);
    }
    for w in ranked.windows(2) {
        let (a, b) = (w[0], w[1]);
        if !a.probability.is_nan() && !b.probability.is_nan() {
            assert!(a.probability > b.probability || (a.probability == b.probability && a.index < b.index), "ranking {a:?} before {b:?}");
        }
    }
}

/// Classifies a test frame twice (results must be identical), embeds it, and checks every invariant.
pub fn exercise(clf: &mut Classifier, w: u32, h: u32, mirror: bool, k: usize) {
    let info = clf.info().clone();
    let quantized = clf.is_quantized();
    let frame = test_frame(w, h);
    let first = clf.classify_pixels(&frame, w, h, PixelLayout::Rgba, mirror, k).expect("a well-sized frame classifies").to_vec();
    check_ranked(&first, k, info.num_classes, quantized);
    let again = clf.classify_pixels(&frame, w, h, PixelLayout::Rgba, mirror, k).expect("classifies again").to_vec();
    let same = first.len() == again.len()
        && first.iter().zip(&again).all(|(a, b)| a.index == b.index && a.probability.to_bits() == b.probability.to_bits());
    assert!(same, "same frame, different results: {first:?} vs {again:?}");
    let e = clf.embed_pixels(&frame, w, h, PixelLayout::Rgba, mirror).expect("embeds");
    assert_eq!(e.len(), info.embedding_len);
    assert_eq!(clf.probabilities().len(), info.num_classes);
    assert_eq!(clf.labels().len(), info.num_classes);
}
