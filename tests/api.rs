//! The wasm-bindgen API as JavaScript sees it: errors are `Error`s with a stable `code`, and an instance keeps
//! working after any error. wasm32 only (Node, Chrome, Firefox).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::Reflect;
use mobilenet_wasm::api::Classifier;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn code(err: &JsValue) -> String {
    assert!(err.is_instance_of::<js_sys::Error>(), "errors are JS Error objects");
    Reflect::get(err, &"code".into()).unwrap().as_string().unwrap()
}

fn top1(results: &js_sys::Array) -> (u32, String, f64) {
    let o = results.get(0);
    let get = |k: &str| Reflect::get(&o, &k.into()).unwrap();
    (get("index").as_f64().unwrap() as u32, get("label").as_string().unwrap(), get("probability").as_f64().unwrap())
}

fn rgba(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect()
}

#[wasm_bindgen_test]
fn bad_models_are_typed_errors() {
    let m = model("mobilenet_v1_0.25_128_quant");
    assert_eq!(code(&Classifier::new(&[], None).err().unwrap()), "MODEL_TRUNCATED");
    assert_eq!(code(&Classifier::new(&m[..1000], None).err().unwrap()), "MODEL_TRUNCATED");
    let mut wrong_magic = m.to_vec();
    wrong_magic[4..8].copy_from_slice(b"NOPE");
    assert_eq!(code(&Classifier::new(&wrong_magic, None).err().unwrap()), "NOT_TFLITE");
    let err = Classifier::new(m, Some(vec!["only one".into()])).err().unwrap();
    assert_eq!(code(&err), "INVALID_ARGUMENT");
}

#[wasm_bindgen_test]
fn instance_keeps_working_after_errors() {
    let mut clf = Classifier::new(model("mobilenet_v1_0.25_128_quant"), None).unwrap();
    assert_eq!((clf.input_size(), clf.num_classes(), clf.quantized(), clf.embedding_length()), (128, 1001, true, 256));
    assert_eq!(clf.alpha(), 0.25);
    let input = input_rgb("coffee_png", 128);
    let frame = rgba(&input);
    // Wrong frame sizes, zero sizes, topK 0, garbage image bytes, wrong raw input type and length.
    assert_eq!(code(&clf.classify_rgba(&frame, 128, 127, 5, None).err().unwrap()), "INVALID_ARGUMENT");
    assert_eq!(code(&clf.classify_rgba(&frame, 0, 0, 5, None).err().unwrap()), "INVALID_ARGUMENT");
    assert_eq!(code(&clf.classify_rgba(&frame, 128, 128, 0, None).err().unwrap()), "INVALID_ARGUMENT");
    assert_eq!(code(&clf.classify_rgb(&frame, 128, 128, 5, None).err().unwrap()), "INVALID_ARGUMENT");
    assert_eq!(code(&clf.classify_image(b"not an image", 5).err().unwrap()), "DECODE_FAILED");
    assert_eq!(code(&clf.classify_image(&[], 5).err().unwrap()), "INVALID_ARGUMENT");
    assert_eq!(code(&clf.run_raw(&input[1..]).err().unwrap()), "INVALID_ARGUMENT");
    assert_eq!(code(&clf.run_raw_float(&[0.0; 128 * 128 * 3]).err().unwrap()), "INVALID_ARGUMENT");
    // Then a real frame classifies exactly as TFLite does on this input.
    let got = clf.classify_rgba(&frame, 128, 128, 5, None).unwrap();
    assert_eq!(got.length(), 5);
    let (index, label, p) = top1(&got);
    assert_eq!((index, label.as_str()), (968, "espresso"));
    assert_eq!(p, 185.0 / 256.0, "uint8 probability 185/256 as in the golden file");
    let raw = clf.run_raw(&input).unwrap();
    let golden = golden_output("mobilenet_v1_0.25_128_quant", "coffee_png");
    let want: Vec<u8> = golden["output"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u8).collect();
    assert_eq!(raw, want);
}

#[wasm_bindgen_test]
fn embedding_and_mirror() {
    let mut clf = Classifier::new(model("mobilenet_v1_0.25_224"), None).unwrap();
    let frame = rgba(&input_rgb("parrot_jpg", 224));
    let e = clf.embed_rgba(&frame, 224, 224, None).unwrap();
    assert_eq!(e.len(), 256);
    assert!(e.iter().all(|v| v.is_finite() && *v >= 0.0), "pooled ReLU6 features are non-negative");
    let mirrored = clf.embed_rgba(&frame, 224, 224, Some(true)).unwrap();
    assert_ne!(e, mirrored, "mirroring changes the input");
    let (index, label, _) = top1(&clf.classify_rgba(&frame, 224, 224, 3, Some(true)).unwrap());
    assert_eq!((index, label.as_str()), (89, "macaw"), "a mirrored macaw is still a macaw");
}
