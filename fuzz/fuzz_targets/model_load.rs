//! The `.tflite` reader and model construction alone, at full speed: raw bytes into `tflite::parse` and
//! `Classifier::new`, nothing run. `model_spec` and `model_bytes` run whatever loads on a frame, which caps them at
//! tens to hundreds of executions per second; this target spends every execution on parsing, recognising the
//! graph, checking caps and repacking weights. Seeded with the generated tiny models (all under 16 KiB), so most
//! inputs are nearly valid flatbuffers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mobilenet_wasm::{tflite, Classifier};

fuzz_target!(|data: &[u8]| {
    let parsed = tflite::parse(data).is_ok();
    match Classifier::new(data, None) {
        Ok(clf) => {
            // Loading implies parsing, and a loaded model describes a usable network.
            assert!(parsed, "Classifier::new accepted bytes that tflite::parse refuses");
            let info = clf.info();
            assert!(info.input_size > 0 && info.num_classes > 0, "degenerate model accepted: {info:?}");
        }
        Err(e) => {
            // Every refusal is typed and says what is wrong.
            assert!(!e.kind().code().is_empty() && !e.to_string().is_empty());
        }
    }
});
