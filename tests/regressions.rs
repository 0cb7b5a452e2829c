//! Hardening: every crash the fuzzers found (kept as small inputs built here), the resource caps (a model or an
//! image declaring absurd sizes is refused before anything is allocated for it, measured with a counting
//! allocator), and every public entry point of the Rust API called with bad arguments before a real image still
//! classifies exactly. Runs natively and, compiled to wasm32, in Node and the browsers. See RELIABILITY.md.

mod common;

#[path = "../fuzz/src/tiny_mobilenet.rs"]
#[allow(dead_code)]
mod tiny_mobilenet;

use common::*;
use mobilenet_wasm::preprocess::PixelLayout;
use mobilenet_wasm::{Classifier, ErrorKind, Limits};
use tiny_mobilenet::{Head, Options, TinyNet};

// ---------------------------------------------------------------------------------------------------------------
// A counting allocator: per-thread live and peak bytes, so "refused before allocating" is a measured fact.

mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Counting;

    thread_local! {
        static LIVE: Cell<usize> = const { Cell::new(0) };
        static PEAK: Cell<usize> = const { Cell::new(0) };
    }

    fn grow(n: usize) {
        let live = LIVE.with(|l| {
            let v = l.get() + n;
            l.set(v);
            v
        });
        PEAK.with(|p| p.set(p.get().max(live)));
    }

    fn shrink(n: usize) {
        LIVE.with(|l| l.set(l.get().saturating_sub(n)));
    }

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                grow(layout.size());
            }
            p
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc_zeroed(layout) };
            if !p.is_null() {
                grow(layout.size());
            }
            p
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) };
            shrink(layout.size());
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let p = unsafe { System.realloc(ptr, layout, new_size) };
            if !p.is_null() {
                shrink(layout.size());
                grow(new_size);
            }
            p
        }
    }

    /// Runs `f` and returns its result with the most bytes it had allocated at once (on this thread).
    pub fn peak_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
        let start = LIVE.with(Cell::get);
        PEAK.with(|p| p.set(start));
        let r = f();
        (r, PEAK.with(Cell::get).saturating_sub(start))
    }
}

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;
use counting::peak_of;

/// Refusing a declared size must cost at most this much memory (labels, messages, the parsed graph).
const REFUSAL_BUDGET: usize = 1 << 20;

fn kind<T>(r: mobilenet_wasm::Result<T>) -> ErrorKind {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.kind(),
    }
}

fn rgba(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect()
}

const COFFEE_PNG: &[u8] = include_bytes!(concat!(env!("MOBILENET_DATA_DIR"), "/images/coffee.png"));

/// The real 0.25/128 uint8 model classifies the golden coffee input exactly as TFLite does (espresso, 185/256).
fn assert_classifies_coffee(clf: &mut Classifier) {
    let frame = rgba(&input_rgb("coffee_png", 128));
    let top = clf.classify_pixels(&frame, 128, 128, PixelLayout::Rgba, false, 5).expect("a real frame classifies")[0];
    assert_eq!((top.index, top.probability), (968, 185.0 / 256.0));
    assert_eq!(clf.label(968), "espresso");
    let top = clf.classify_image(COFFEE_PNG, 1).expect("the real PNG classifies")[0];
    assert_eq!((top.index, top.probability), (968, 185.0 / 256.0), "decode + crop + resize is Pillow-exact for PNG");
}

// ---------------------------------------------------------------------------------------------------------------
// The fuzzers' miniature models are real MobileNets to the recogniser.

both! {
    fn tiny_nets_load_and_run() {
        for float in [false, true] {
            for head in [Head::Direct, Head::Reshape, Head::Squeeze] {
                for (size, blocks) in [(1, vec![(1, 3)]), (8, vec![(1, 6), (2, 8)]), (17, vec![(2, 3), (1, 5), (2, 4)])] {
                    let net = TinyNet { float, input_size: size, blocks: blocks.clone(), head, ..TinyNet::default() };
                    let mut clf = Classifier::new(&net.to_tflite(), None).unwrap_or_else(|e| panic!("{net:?}: {e}"));
                    let info = clf.info().clone();
                    assert_eq!((info.input_size, info.num_classes, info.blocks), (size as usize, 5, blocks.len()));
                    assert_eq!(clf.is_quantized(), !float);
                    assert_eq!(info.embedding_len, blocks.last().map_or(4, |b| b.1 as usize));
                    let frame = vec![77u8; 10 * 6 * 4];
                    let ranked = clf.classify_pixels(&frame, 10, 6, PixelLayout::Rgba, true, 9).unwrap().to_vec();
                    assert_eq!(ranked.len(), 5);
                    let sum: f32 = clf.probabilities().iter().sum();
                    assert!((sum - 1.0).abs() < 0.05, "{net:?}: probabilities sum to {sum}");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Resource limits: refused from the declared sizes, before allocating.

/// A tiny file (a few kB) declaring a 2048×2048 input and two 1024×1024×16 activations (16 Mi elements each, at
/// the reader's per-tensor cap): 46 M elements in all, 184 MB as float32, 46 MB as uint8.
fn huge_activation_net(float: bool) -> Vec<u8> {
    let blocks = vec![(1, 16), (2, 4), (2, 4), (2, 4), (2, 4)];
    TinyNet { float, input_size: 2048, stem_channels: 16, blocks, ..TinyNet::default() }.to_tflite()
}

both! {
    fn models_declaring_huge_activations_are_refused_before_allocating() {
        let bytes = huge_activation_net(true);
        assert!(bytes.len() < 16 * 1024, "the hostile file is small: {} bytes", bytes.len());
        // Default limits: the 2048 input is above max_input_size (1024).
        let (r, peak) = peak_of(|| Classifier::new(&bytes, None).map(|_| ()));
        assert_eq!(kind(r), ErrorKind::TooLarge);
        assert!(peak < REFUSAL_BUDGET, "refusing took {peak} bytes");
        // Allow the resolution: 184 MB of float activations are above max_activation_bytes (128 MiB).
        let limits = Limits { max_input_size: 2048, ..Limits::default() };
        let (r, peak) = peak_of(|| Classifier::with_limits(&bytes, None, limits).map(|_| ()));
        let err = r.expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::TooLarge);
        assert!(err.message().contains("activation"), "{err}");
        assert!(peak < REFUSAL_BUDGET, "refusing took {peak} bytes");
        // The same network in uint8 (46 MB) fits the default activation cap and loads.
        let small = huge_activation_net(false);
        let clf = Classifier::with_limits(&small, None, limits).expect("fits");
        assert_eq!(clf.info().input_size, 2048);
    }
}

both! {
    fn caps_are_configurable_on_real_models() {
        let m = model("mobilenet_v1_0.25_128_quant");
        let tight = |l: Limits| Classifier::with_limits(m, None, l).map(|_| ());
        assert_eq!(kind(tight(Limits { max_input_size: 127, ..Limits::default() })), ErrorKind::TooLarge);
        assert!(tight(Limits { max_input_size: 128, ..Limits::default() }).is_ok());
        assert_eq!(kind(tight(Limits { max_activation_bytes: 100_000, ..Limits::default() })), ErrorKind::TooLarge);
        assert!(tight(Limits { max_activation_bytes: 200_000, ..Limits::default() }).is_ok(), "0.25/128 uint8 needs < 200 kB");
        for zero in [
            Limits { max_input_size: 0, ..Limits::default() },
            Limits { max_activation_bytes: 0, ..Limits::default() },
            Limits { max_image_pixels: 0, ..Limits::default() },
        ] {
            assert_eq!(kind(tight(zero)), ErrorKind::InvalidArgument);
        }
        // Exactly what the executor needs for 1.0/224 uint8: input 150 528 + ping 802 816 + pong 401 408 + pooled 1024
        // + logits 1001 + probabilities 1001 = 1 357 778 bytes (×4, plus the staging frame, for float: 5.6 MB).
        let big = model("mobilenet_v1_1.0_224_quant");
        let cap = |n: u64| Classifier::with_limits(big, None, Limits { max_activation_bytes: n, ..Limits::default() }).map(|_| ());
        assert_eq!(kind(cap(1_357_777)), ErrorKind::TooLarge);
        assert!(cap(1_357_778).is_ok());
        // The float model's activations are 4 bytes each, plus the 224×224×3 staging frame.
        let f = model("mobilenet_v1_0.25_224");
        assert_eq!(kind(Classifier::with_limits(f, None, Limits { max_activation_bytes: 1_000_000, ..Limits::default() }).map(|_| ())), ErrorKind::TooLarge);
        assert!(Classifier::with_limits(f, None, Limits { max_activation_bytes: 2_000_000, ..Limits::default() }).is_ok());
    }
}

const CRC_POLY: u32 = 0xEDB8_8320;

fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { CRC_POLY ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

/// Image files whose headers declare `w`×`h` pixels but which carry (almost) no pixel data.
fn huge_headers(w: u32, h: u32) -> Vec<(&'static str, Vec<u8>)> {
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    let (w16, h16) = ((w.min(65535) as u16).to_le_bytes(), (h.min(65535) as u16).to_le_bytes());
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&[w16[0], w16[1], h16[0], h16[1], 0, 0, 0]);
    gif.extend_from_slice(&[0x2C, 0, 0, 0, 0, w16[0], w16[1], h16[0], h16[1], 0, 2, 2, 0x4C, 0x01, 0, 0x3B]);
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&[0; 8]);
    bmp.extend_from_slice(&54u32.to_le_bytes());
    bmp.extend_from_slice(&40u32.to_le_bytes());
    bmp.extend_from_slice(&(w as i32).to_le_bytes());
    bmp.extend_from_slice(&(h as i32).to_le_bytes());
    bmp.extend_from_slice(&[1, 0, 24, 0]);
    bmp.extend_from_slice(&[0; 24]);
    let (wb, hb) = ((w.min(65535) as u16).to_be_bytes(), (h.min(65535) as u16).to_be_bytes());
    let jpeg = [
        &[0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8][..],
        &[hb[0], hb[1], wb[0], wb[1], 1, 1, 0x11, 0][..],
        &[0xFF, 0xD9][..],
    ]
    .concat();
    // WebP lossless: 14-bit (width - 1) and (height - 1) after the 0x2f signature.
    let bits = (w.clamp(1, 16384) - 1) | ((h.clamp(1, 16384) - 1) << 14);
    let mut vp8l = vec![0x2f];
    vp8l.extend_from_slice(&bits.to_le_bytes());
    let mut webp = b"RIFF".to_vec();
    webp.extend_from_slice(&(4 + 8 + vp8l.len() as u32).to_le_bytes());
    webp.extend_from_slice(b"WEBPVP8L");
    webp.extend_from_slice(&(vp8l.len() as u32).to_le_bytes());
    webp.extend_from_slice(&vp8l);
    vec![("png", png), ("gif", gif), ("bmp", bmp), ("jpeg", jpeg), ("webp", webp)]
}

both! {
    fn images_declaring_huge_dimensions_are_refused_before_allocating() {
        let mut clf = Classifier::new(model("mobilenet_v1_0.25_128_quant"), None).unwrap();
        // 16384 × 16384 = 256 Mi pixels, above the default 64 Mi.
        for (format, bytes) in huge_headers(16384, 16384) {
            let (r, peak) = peak_of(|| clf.classify_image(&bytes, 5).map(|_| ()));
            let k = kind(r);
            assert!(k == ErrorKind::TooLarge || k == ErrorKind::Decode, "{format}: {k:?}");
            assert!(peak < REFUSAL_BUDGET, "{format}: refusing took {peak} bytes");
        }
        // A lowered cap refuses the real 600 × 400 PNG by its header, and accepts it again once raised.
        clf.set_max_image_pixels(10_000).unwrap();
        let (r, peak) = peak_of(|| clf.classify_image(COFFEE_PNG, 5).map(|_| ()));
        assert_eq!(kind(r), ErrorKind::TooLarge);
        assert!(peak < REFUSAL_BUDGET, "refusing took {peak} bytes");
        assert_eq!(kind(clf.set_max_image_pixels(0)), ErrorKind::InvalidArgument);
        assert_eq!(clf.limits().max_image_pixels, 10_000, "a refused cap leaves the old one");
        clf.set_max_image_pixels(Limits::default().max_image_pixels).unwrap();
        assert_classifies_coffee(&mut clf);
    }
}

both! {
    fn frames_declaring_huge_sizes_are_refused_before_allocating() {
        let mut clf = Classifier::new(model("mobilenet_v1_0.25_128_quant"), None).unwrap();
        let tiny = [0u8; 64];
        for (w, h, want) in [
            (16384, 16384, ErrorKind::TooLarge),
            (16385, 1, ErrorKind::TooLarge),
            (u32::MAX, u32::MAX, ErrorKind::TooLarge),
            (8192, 8192, ErrorKind::InvalidArgument),
            (0, 5, ErrorKind::InvalidArgument),
            (4, 5, ErrorKind::InvalidArgument),
        ] {
            for layout in [PixelLayout::Rgba, PixelLayout::Rgb] {
                let (r, peak) = peak_of(|| clf.classify_pixels(&tiny, w, h, layout, false, 5).map(|_| ()));
                assert_eq!(kind(r), want, "{w}x{h} {layout:?}");
                assert!(peak < REFUSAL_BUDGET, "{w}x{h}: refusing took {peak} bytes");
            }
        }
        clf.set_max_image_pixels(100).unwrap();
        assert_eq!(kind(clf.classify_pixels(&[0; 11 * 11 * 4], 11, 11, PixelLayout::Rgba, false, 1)), ErrorKind::TooLarge);
        assert!(clf.classify_pixels(&[0; 10 * 10 * 4], 10, 10, PixelLayout::Rgba, false, 1).is_ok());
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Every public entry point with bad arguments, then a real image classifies exactly.

both! {
    fn every_rust_entry_point_refuses_bad_arguments_and_the_instance_keeps_working() {
        let m = model("mobilenet_v1_0.25_128_quant");
        assert_eq!(kind(Classifier::new(&[], None)), ErrorKind::Truncated);
        assert_eq!(kind(Classifier::new(b"12345678", None)), ErrorKind::NotTflite);
        assert_eq!(kind(Classifier::new(&m[..m.len() / 2], None)), ErrorKind::Truncated);
        assert_eq!(kind(Classifier::new(m, Some(vec!["a".into(); 1000]))), ErrorKind::InvalidArgument);
        assert_eq!(kind(Classifier::with_limits(m, None, Limits { max_image_pixels: 0, ..Limits::default() })), ErrorKind::InvalidArgument);

        let mut clf = Classifier::new(m, None).unwrap();
        let frame = rgba(&input_rgb("coffee_png", 128));
        let px = PixelLayout::Rgba;
        assert_eq!(kind(clf.classify_pixels(&frame, 128, 127, px, false, 5)), ErrorKind::InvalidArgument);
        assert_eq!(kind(clf.classify_pixels(&frame[1..], 128, 128, px, false, 5)), ErrorKind::InvalidArgument);
        assert_eq!(kind(clf.classify_pixels(&frame, 128, 128, PixelLayout::Rgb, false, 5)), ErrorKind::InvalidArgument);
        assert_eq!(kind(clf.classify_pixels(&[], 0, 0, px, false, 5)), ErrorKind::InvalidArgument);
        assert_eq!(kind(clf.embed_pixels(&frame, 64, 64, px, true)), ErrorKind::InvalidArgument);
        assert_eq!(kind(clf.classify_image(&[], 5)), ErrorKind::InvalidArgument);
        assert_eq!(kind(clf.classify_image(&COFFEE_PNG[..COFFEE_PNG.len() / 3], 5)), ErrorKind::Decode);
        assert_eq!(kind(clf.classify_image(b"GIF89a", 5)), ErrorKind::Decode);
        assert_eq!(kind(clf.embed_image(&[0xFF, 0xD8, 0xFF])), ErrorKind::Decode);
        assert_eq!(kind(clf.run_raw_u8(&[0; 10])), ErrorKind::InvalidArgument);
        assert_eq!(kind(clf.run_raw_f32(&[0.0; 128 * 128 * 3])), ErrorKind::InvalidArgument, "uint8 model");
        assert_eq!(kind(clf.set_filter(2.0, None, None)), ErrorKind::InvalidArgument);
        assert_eq!(kind(clf.set_filter(0.0, Some(&["no such label".into()]), None)), ErrorKind::InvalidArgument);
        assert_eq!(kind(clf.set_max_image_pixels(0)), ErrorKind::InvalidArgument);
        assert_eq!(clf.label(5000), "", "an out-of-range label is empty, not a panic");
        assert!(clf.rank(usize::MAX).len() <= 1001, "top-k is clamped to the class count");
        assert_eq!(clf.rank(0).len(), 0);
        assert_classifies_coffee(&mut clf);
        let raw = clf.run_raw_u8(&input_rgb("coffee_png", 128)).unwrap().to_vec();
        assert_eq!(raw[968], 185);

        let mut float = Classifier::new(model("mobilenet_v1_0.25_224"), None).unwrap();
        assert_eq!(kind(float.run_raw_u8(&[0; 224 * 224 * 3])), ErrorKind::InvalidArgument, "float model");
        assert_eq!(kind(float.run_raw_f32(&[0.0; 5])), ErrorKind::InvalidArgument);
        float.run_raw_f32(&input_f32("parrot_jpg", 224)).unwrap();
        let top = float.rank(1)[0];
        assert_eq!(top.index, 89, "macaw");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Crashes and hangs found by fuzzing, one test each (inputs built here; see RELIABILITY.md for the log).

/// A tiny net with one graph edit applied before serialising.
fn edited(edit: impl FnOnce(&mut tiny_mobilenet::ModelSpec)) -> Vec<u8> {
    let mut spec = TinyNet::default().spec();
    edit(&mut spec);
    spec.to_tflite()
}

both! {
    fn structural_edits_are_typed_errors() {
        // Not fuzz finds but the classes of edit the structured fuzzer makes, pinned with their expected kinds.
        let cases: Vec<(&str, Vec<u8>, ErrorKind)> = vec![
            ("stride 0", edited(|s| if let Some(Options::Conv { stride_w, .. }) = &mut s.ops[0].options { *stride_w = 0 }), ErrorKind::NotMobileNet),
            ("dilation 2", edited(|s| if let Some(Options::Depthwise { dilation_h, .. }) = &mut s.ops[1].options { *dilation_h = 2 }), ErrorKind::Unsupported),
            ("softmax beta NaN", edited(|s| if let Some(Options::Softmax { beta }) = &mut s.ops.last_mut().unwrap().options { *beta = f32::NAN }), ErrorKind::Unsupported),
            ("zero scale", edited(|s| s.tensors[0].quant = Some((vec![0.0], vec![128], 0))), ErrorKind::Malformed),
            ("zero point 300", edited(|s| s.tensors[0].quant = Some((vec![0.1], vec![300], 0))), ErrorKind::Malformed),
            ("negative dim", edited(|s| s.tensors[0].shape[1] = -1), ErrorKind::Malformed),
            ("input index -7", edited(|s| s.ops[2].inputs[0] = -7), ErrorKind::Malformed),
            ("weights cut", edited(|s| s.buffers[1].truncate(3)), ErrorKind::Malformed),
            ("no options", edited(|s| s.ops[0].options = None), ErrorKind::Malformed),
            ("ops swapped", edited(|s| s.ops.swap(1, 2)), ErrorKind::NotMobileNet),
        ];
        for (what, bytes, want) in cases {
            assert_eq!(kind(Classifier::new(&bytes, None)), want, "{what}");
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The wasm API's own argument checks (tests/api.rs covers the frame and model errors): limits objects, caps.

#[cfg(target_arch = "wasm32")]
mod wasm_api {
    use super::*;
    use js_sys::{Object, Reflect};
    use mobilenet_wasm::api::Classifier as JsClassifier;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_test::wasm_bindgen_test;

    fn code(err: JsValue) -> String {
        Reflect::get(&err, &"code".into()).unwrap().as_string().unwrap()
    }

    fn js(b: &[u8]) -> JsValue {
        js_sys::Uint8Array::from(b).into()
    }

    fn limits(key: &str, value: JsValue) -> Option<Object> {
        let o = Object::new();
        Reflect::set(&o, &key.into(), &value).unwrap();
        Some(o)
    }

    #[wasm_bindgen_test]
    fn limits_and_caps_are_validated_then_a_real_image_classifies() {
        let m = model("mobilenet_v1_0.25_128_quant");
        let bad = [
            JsValue::from_str("big"),
            JsValue::from(5),
            limits("maxImagePixel", JsValue::from(100)).unwrap().into(),
            limits("maxImagePixels", JsValue::from(0)).unwrap().into(),
            limits("maxImagePixels", JsValue::from(-1)).unwrap().into(),
            limits("maxImagePixels", JsValue::from(1.5)).unwrap().into(),
            limits("maxImagePixels", JsValue::from(f64::NAN)).unwrap().into(),
            limits("maxImagePixels", JsValue::from(f64::INFINITY)).unwrap().into(),
            limits("maxInputSize", JsValue::from_str("128")).unwrap().into(),
            limits("maxActivationBytes", JsValue::from(2f64.powi(60))).unwrap().into(),
        ];
        for b in bad {
            assert_eq!(code(JsClassifier::with_limits(js(m), None, Some(b.clone().unchecked_into())).err().unwrap()), "INVALID_ARGUMENT", "{b:?}");
        }
        assert_eq!(code(JsClassifier::with_limits(js(m), None, limits("maxInputSize", JsValue::from(64))).err().unwrap()), "TOO_LARGE");
        assert_eq!(code(JsClassifier::with_limits(js(m), None, limits("maxActivationBytes", JsValue::from(1000))).err().unwrap()), "TOO_LARGE");

        let mut clf = JsClassifier::with_limits(js(m), None, limits("maxImagePixels", JsValue::from(10_000))).unwrap();
        assert_eq!(clf.max_image_pixels(), 10_000.0);
        assert_eq!(code(clf.classify_image(js(COFFEE_PNG), 5.into()).err().unwrap()), "TOO_LARGE");
        for v in [0.0, -3.0, 0.5, f64::NAN, f64::INFINITY, 1e300] {
            assert_eq!(code(clf.set_max_image_pixels(v).err().unwrap()), "INVALID_ARGUMENT", "{v}");
        }
        assert_eq!(clf.max_image_pixels(), 10_000.0, "refused caps leave the old one");
        // A side beyond the frame cap (wasm-bindgen alone would have made one of a negative number).
        assert_eq!(code(clf.classify_rgba(js(&[0; 16]), u32::MAX.into(), 1.into(), 5.into(), None).err().unwrap()), "TOO_LARGE");
        assert_eq!(code(clf.classify_image(js(COFFEE_PNG), 0.into()).err().unwrap()), "INVALID_ARGUMENT");
        assert_eq!(code(clf.embed_image(js(&[])).err().unwrap()), "INVALID_ARGUMENT");
        assert_eq!(code(clf.embed_rgba(js(&[1, 2, 3]), 1.into(), 1.into(), None).err().unwrap()), "INVALID_ARGUMENT");
        clf.set_max_image_pixels(600.0 * 400.0).unwrap();
        let top = clf.classify_image(js(COFFEE_PNG), 3.into()).unwrap().get(0);
        let index = Reflect::get(&top, &"index".into()).unwrap().as_f64().unwrap();
        let label = Reflect::get(&top, &"label".into()).unwrap().as_string().unwrap();
        assert_eq!((index, label.as_str()), (968.0, "espresso"));
        let defaults = JsClassifier::with_limits(js(m), None, None).unwrap();
        assert_eq!(defaults.max_image_pixels(), Limits::default().max_image_pixels as f64);
    }
}
