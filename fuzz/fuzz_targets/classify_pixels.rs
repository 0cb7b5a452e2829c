//! `Classifier::classify_pixels` / `embed_pixels` on the real 0.25/128 uint8 model (loaded once) with fuzzed frame
//! bytes, width, height, layout, mirror and topK. A frame whose size matches its buffer must classify; any other
//! must be a typed error; and after errors the instance must still give the reference result.
#![no_main]

use std::sync::{Mutex, OnceLock};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mobilenet_wasm::preprocess::PixelLayout;
use mobilenet_wasm::{Classifier, ErrorKind, Prediction};
use mobilenet_wasm_fuzz::{check_ranked, read_data, test_frame};

/// A frame side: derived from the buffer length, small, or anything.
#[derive(Arbitrary, Debug)]
enum Side {
    Fit,
    Small(u8),
    Any(u32),
}

#[derive(Arbitrary, Debug)]
struct Frame {
    width: Side,
    height: Side,
    rgba: bool,
    mirror: bool,
    top_k: u16,
    embed: bool,
    pixels: Vec<u8>,
}

struct State {
    clf: Classifier,
    reference: Vec<Prediction>,
    errors: u64,
}

const REF_SIDE: u32 = 97;

fn reference(clf: &mut Classifier) -> Vec<Prediction> {
    let frame = test_frame(REF_SIDE, REF_SIDE + 10);
    clf.classify_pixels(&frame, REF_SIDE, REF_SIDE + 10, PixelLayout::Rgba, false, 5).expect("reference frame").to_vec()
}

fn state() -> &'static Mutex<State> {
    static STATE: OnceLock<Mutex<State>> = OnceLock::new();
    STATE.get_or_init(|| {
        let mut clf = Classifier::new(&read_data("models/mobilenet_v1_0.25_128_quant.tflite"), None).expect("real model loads");
        let reference = reference(&mut clf);
        Mutex::new(State { clf, reference, errors: 0 })
    })
}

fuzz_target!(|f: Frame| {
    let mut guard = state().lock().unwrap_or_else(|p| p.into_inner());
    let s = &mut *guard;
    let (layout, bpp) = if f.rgba { (PixelLayout::Rgba, 4usize) } else { (PixelLayout::Rgb, 3) };
    let mut pixels = f.pixels;
    let px = pixels.len() / bpp;
    let w = match f.width {
        Side::Fit => (px as f64).sqrt() as u32,
        Side::Small(v) => u32::from(v),
        Side::Any(v) => v,
    };
    let h = match f.height {
        Side::Fit if w > 0 => (px / w as usize) as u32,
        Side::Fit => 0,
        Side::Small(v) => u32::from(v),
        Side::Any(v) => v,
    };
    if matches!(f.height, Side::Fit) {
        pixels.truncate(w as usize * h as usize * bpp);
    }
    let consistent = w > 0 && h > 0 && u128::from(w) * u128::from(h) * bpp as u128 == pixels.len() as u128;
    let k = usize::from(f.top_k);
    let result = if f.embed {
        s.clf.embed_pixels(&pixels, w, h, layout, f.mirror).map(|e| assert_eq!(e.len(), 256))
    } else {
        s.clf.classify_pixels(&pixels, w, h, layout, f.mirror, k).map(|r| check_ranked(r, k, 1001, true))
    };
    match result {
        Ok(()) => assert!(consistent, "{w}x{h} accepted with {} bytes", pixels.len()),
        Err(e) => {
            assert!(!consistent, "{w}x{h} with {} bytes refused: {e}", pixels.len());
            assert!(matches!(e.kind(), ErrorKind::InvalidArgument | ErrorKind::TooLarge), "{e}");
            s.errors += 1;
            if s.errors % 64 == 0 {
                let again = reference(&mut s.clf);
                assert_eq!(again, s.reference, "the instance changed after errors");
            }
        }
    }
});
