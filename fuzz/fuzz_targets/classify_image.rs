//! Encoded images (PNG/JPEG/BMP/GIF/WebP, or anything) into `Classifier::classify_image` on the real 0.25/128
//! model, with the image cap lowered to `MAX_PIXELS`, so that a run under `-malloc_limit_mb` proves the decoders
//! never allocate beyond the budget the cap implies, whatever the header declares.
#![no_main]

use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use mobilenet_wasm::{Classifier, ErrorKind};
use mobilenet_wasm_fuzz::{check_ranked, read_data};

/// 1 Mi pixels: the decode budget is then max(8 B/pixel, 16 MiB) = 16 MiB.
const MAX_PIXELS: u64 = 1 << 20;

fn classifier() -> &'static Mutex<Classifier> {
    static CLF: OnceLock<Mutex<Classifier>> = OnceLock::new();
    CLF.get_or_init(|| {
        let mut clf = Classifier::new(&read_data("models/mobilenet_v1_0.25_128_quant.tflite"), None).expect("real model loads");
        clf.set_max_image_pixels(MAX_PIXELS).expect("valid cap");
        Mutex::new(clf)
    })
}

fuzz_target!(|data: &[u8]| {
    let mut clf = classifier().lock().unwrap_or_else(|p| p.into_inner());
    let k = data.first().map_or(1, |&b| usize::from(b % 8));
    match clf.classify_image(data, k) {
        Ok(r) => check_ranked(r, k, 1001, true),
        Err(e) => assert!(matches!(e.kind(), ErrorKind::Decode | ErrorKind::TooLarge | ErrorKind::InvalidArgument), "{e}"),
    }
});
