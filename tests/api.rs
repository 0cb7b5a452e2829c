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

/// JS arguments as a caller passes them.
fn u8s(bytes: &[u8]) -> JsValue {
    js_sys::Uint8Array::from(bytes).into()
}
fn num(x: f64) -> JsValue {
    JsValue::from_f64(x)
}
fn strs(items: &[&str]) -> Option<js_sys::Array> {
    Some(items.iter().map(|s| JsValue::from_str(s)).collect())
}
/// An optional argument holding any value: wasm-bindgen passes `Option<js_sys::…>` objects through unchecked.
fn any<T: JsCast>(v: JsValue) -> Option<T> {
    Some(v.unchecked_into())
}
fn load(name: &str) -> Classifier {
    Classifier::new(u8s(model(name)), None).unwrap()
}

fn rgba(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect()
}

#[wasm_bindgen_test]
fn bad_models_are_typed_errors() {
    let m = model("mobilenet_v1_0.25_128_quant");
    assert_eq!(code(&Classifier::new(u8s(&[]), None).err().unwrap()), "MODEL_TRUNCATED");
    assert_eq!(code(&Classifier::new(u8s(&m[..1000]), None).err().unwrap()), "MODEL_TRUNCATED");
    let mut wrong_magic = m.to_vec();
    wrong_magic[4..8].copy_from_slice(b"NOPE");
    assert_eq!(code(&Classifier::new(u8s(&wrong_magic), None).err().unwrap()), "NOT_TFLITE");
    let err = Classifier::new(u8s(m), strs(&["only one"])).err().unwrap();
    assert_eq!(code(&err), "INVALID_ARGUMENT");
}

#[wasm_bindgen_test]
fn instance_keeps_working_after_errors() {
    let mut clf = load("mobilenet_v1_0.25_128_quant");
    assert_eq!((clf.input_size(), clf.num_classes(), clf.quantized(), clf.embedding_length()), (128, 1001, true, 256));
    assert_eq!(clf.alpha(), 0.25);
    let input = input_rgb("coffee_png", 128);
    let frame = u8s(&rgba(&input));
    // Wrong frame sizes, zero sizes, topK 0, garbage image bytes, wrong raw input type and length.
    let (n128, n127, five) = (num(128.0), num(127.0), num(5.0));
    assert_eq!(code(&clf.classify_rgba(frame.clone(), n128.clone(), n127, five.clone(), None).err().unwrap()), "INVALID_ARGUMENT");
    assert_eq!(code(&clf.classify_rgba(frame.clone(), num(0.0), num(0.0), five.clone(), None).err().unwrap()), "INVALID_ARGUMENT");
    assert_eq!(code(&clf.classify_rgba(frame.clone(), n128.clone(), n128.clone(), num(0.0), None).err().unwrap()), "INVALID_ARGUMENT");
    assert_eq!(code(&clf.classify_rgb(frame.clone(), n128.clone(), n128.clone(), five.clone(), None).err().unwrap()), "INVALID_ARGUMENT");
    assert_eq!(code(&clf.classify_image(u8s(b"not an image"), five.clone()).err().unwrap()), "DECODE_FAILED");
    assert_eq!(code(&clf.classify_image(u8s(&[]), five.clone()).err().unwrap()), "INVALID_ARGUMENT");
    assert_eq!(code(&clf.run_raw(u8s(&input[1..])).err().unwrap()), "INVALID_ARGUMENT");
    let floats: JsValue = js_sys::Float32Array::from(&[0.0f32; 128 * 128 * 3][..]).into();
    assert_eq!(code(&clf.run_raw_float(floats).err().unwrap()), "INVALID_ARGUMENT");
    // Then a real frame classifies exactly as TFLite does on this input.
    let got = clf.classify_rgba(frame, n128.clone(), n128, five, None).unwrap();
    assert_eq!(got.length(), 5);
    let (index, label, p) = top1(&got);
    assert_eq!((index, label.as_str()), (968, "espresso"));
    assert_eq!(p, 185.0 / 256.0, "uint8 probability 185/256 as in the golden file");
    let raw = clf.run_raw(u8s(&input)).unwrap();
    let golden = golden_output("mobilenet_v1_0.25_128_quant", "coffee_png");
    let want: Vec<u8> = golden["output"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u8).collect();
    assert_eq!(raw, want);
}

/// What wasm-bindgen's own conversions would have coerced silently is refused, with a message naming the
/// argument; the three byte containers JS code holds frames in all work and agree.
#[wasm_bindgen_test]
fn wrongly_typed_arguments_are_refused() {
    let mut clf = load("mobilenet_v1_0.25_128_quant");
    let input = input_rgb("coffee_png", 128);
    let bytes = rgba(&input);
    let frame = u8s(&bytes);
    let (n128, five) = (num(128.0), num(5.0));
    let refused = |r: Result<js_sys::Array, JsValue>, needle: &str| {
        let err = r.expect_err("refused");
        assert_eq!(code(&err), "INVALID_ARGUMENT");
        let message = Reflect::get(&err, &"message".into()).unwrap().as_string().unwrap();
        assert!(message.contains(needle), "{message:?} should mention {needle:?}");
    };
    let floats: JsValue = js_sys::Float32Array::from(&vec![0.0f32; bytes.len()][..]).into();
    refused(clf.classify_rgba(floats, n128.clone(), n128.clone(), five.clone(), None), "pixels must be a Uint8Array");
    refused(clf.classify_rgba(JsValue::NULL, n128.clone(), n128.clone(), five.clone(), None), "got null");
    refused(clf.classify_rgba(JsValue::from_str("abc"), n128.clone(), n128.clone(), five.clone(), None), "got string");
    refused(clf.classify_rgba(frame.clone(), num(128.5), n128.clone(), five.clone(), None), "width must be a whole number");
    refused(clf.classify_rgba(frame.clone(), num(-1.0), n128.clone(), five.clone(), None), "width must be a whole number");
    refused(clf.classify_rgba(frame.clone(), JsValue::from_str("128"), n128.clone(), five.clone(), None), "width must be a number");
    refused(clf.classify_rgba(frame.clone(), n128.clone(), n128.clone(), num(-1.0), None), "topK must be a whole number");
    refused(clf.classify_rgba(frame.clone(), n128.clone(), n128.clone(), num(f64::NAN), None), "topK");
    refused(clf.classify_rgba(frame.clone(), n128.clone(), n128.clone(), five.clone(), any(JsValue::from_str("yes"))), "mirror must be true or false");
    refused(clf.classify_image(JsValue::from_f64(42.0), five.clone()), "image bytes must be a Uint8Array");
    let labels: js_sys::Array = (0..1001).map(|i| JsValue::from_f64(i as f64)).collect();
    let err = Classifier::new(u8s(model("mobilenet_v1_0.25_128_quant")), Some(labels)).err().unwrap();
    assert_eq!(code(&err), "INVALID_ARGUMENT");
    let err = Classifier::new(u8s(model("mobilenet_v1_0.25_128_quant")), any(JsValue::from_str("labels"))).err().unwrap();
    assert_eq!(code(&err), "INVALID_ARGUMENT");
    assert_eq!(code(&Classifier::new(JsValue::NULL, None).err().unwrap()), "INVALID_ARGUMENT");
    assert_eq!(code(&clf.set_filter(None, any(js_sys::Object::new().into()), None).err().unwrap()), "INVALID_ARGUMENT");
    assert_eq!(code(&clf.set_filter(None, any(JsValue::from_str("espresso")), None).err().unwrap()), "INVALID_ARGUMENT");
    assert_eq!(code(&clf.set_filter(any(JsValue::from_str("x")), None, None).err().unwrap()), "INVALID_ARGUMENT");
    let arr: js_sys::Array = [JsValue::from_f64(5.0)].into_iter().collect();
    assert_eq!(code(&clf.set_filter(None, None, Some(arr)).err().unwrap()), "INVALID_ARGUMENT");
    // Uint8Array, Uint8ClampedArray (ImageData.data) and ArrayBuffer frames give the same, exact result.
    let clamped: JsValue = js_sys::Uint8ClampedArray::from(&bytes[..]).into();
    let buffer: JsValue = js_sys::Uint8Array::from(&bytes[..]).buffer().into();
    for pixels in [frame, clamped, buffer] {
        let got = clf.classify_rgba(pixels, n128.clone(), n128.clone(), five.clone(), Some(false.into())).unwrap();
        let (index, label, p) = top1(&got);
        assert_eq!((index, label.as_str(), p), (968, "espresso", 185.0 / 256.0));
    }
    // A filter given as arrays of strings works after all the refusals.
    clf.set_filter(Some(0.0.into()), None, strs(&["espresso"])).unwrap();
    let (index, _, _) = top1(&clf.classify_rgba(u8s(&bytes), n128.clone(), n128, five, None).unwrap());
    assert_ne!(index, 968, "espresso is denied");
}

#[wasm_bindgen_test]
fn embedding_and_mirror() {
    let mut clf = load("mobilenet_v1_0.25_224");
    let frame = u8s(&rgba(&input_rgb("parrot_jpg", 224)));
    let n224 = num(224.0);
    let e = clf.embed_rgba(frame.clone(), n224.clone(), n224.clone(), None).unwrap();
    assert_eq!(e.len(), 256);
    assert!(e.iter().all(|v| v.is_finite() && *v >= 0.0), "pooled ReLU6 features are non-negative");
    let mirrored = clf.embed_rgba(frame.clone(), n224.clone(), n224.clone(), Some(true.into())).unwrap();
    assert_ne!(e, mirrored, "mirroring changes the input");
    let (index, label, _) = top1(&clf.classify_rgba(frame, n224.clone(), n224, num(3.0), Some(true.into())).unwrap());
    assert_eq!((index, label.as_str()), (89, "macaw"), "a mirrored macaw is still a macaw");
}
