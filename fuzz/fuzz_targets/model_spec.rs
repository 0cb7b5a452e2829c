//! Structure-aware model fuzzing: a miniature MobileNet V1 drawn from the input, edited field by field and
//! byte-patched, into `Classifier::new`; whatever loads is run on a frame and checked (see `exercise`).
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use mobilenet_wasm::Classifier;
use mobilenet_wasm_fuzz::{edits::model_from, exercise};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(m) = model_from(&mut u) else { return };
    match Classifier::new(&m.bytes, None) {
        Ok(mut clf) => {
            if m.pristine() {
                let info = clf.info();
                assert_eq!((info.input_size, info.num_classes), (m.net.input_size as usize, m.net.classes as usize));
                assert_eq!(clf.is_quantized(), !m.net.float);
            }
            let w = u.int_in_range(1..=40).unwrap_or(8);
            let h = u.int_in_range(1..=40).unwrap_or(8);
            let k = u.int_in_range(0..=16).unwrap_or(3);
            exercise(&mut clf, w, h, u.arbitrary().unwrap_or(false), k);
        }
        Err(e) => assert!(!m.pristine(), "a well-formed tiny net must load: {e} ({:?})", m.net),
    }
});
