//! Soak: 10 000 consecutive frames through the wasm API (as JavaScript calls it) on the 0.25/128 uint8 model, mixing
//! webcam-sized RGBA frames, RGB frames, the exact model-size frame, encoded PNGs, embeddings and calls that fail.
//! After a warm-up the wasm linear memory (`memory.size`) must not grow by a single page, and every repeat of a
//! frame must give bit-identical results. Not part of the default suite (`#[ignore]`): `./build.sh soak` runs it
//! (`SOAK_FRAMES` at build time overrides the count).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Array, Reflect};
use mobilenet_wasm::api::Classifier;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

const WARM_UP: usize = 100;
const WASM_PAGE: usize = 64 * 1024;
const COFFEE_PNG: &[u8] = include_bytes!(concat!(env!("MOBILENET_DATA_DIR"), "/images/coffee.png"));

fn frames() -> usize {
    option_env!("SOAK_FRAMES").and_then(|s| s.parse().ok()).unwrap_or(10_000)
}

/// (index, probability bits) of each prediction: comparable exactly.
fn summary(results: &Array) -> Vec<(u32, u64)> {
    results
        .iter()
        .map(|o| {
            let get = |k: &str| Reflect::get(&o, &k.into()).unwrap().as_f64().unwrap();
            (get("index") as u32, get("probability").to_bits())
        })
        .collect()
}

/// A `w`×`h` frame of `bpp` bytes per pixel: the golden 128×128 coffee input scaled by nearest neighbour.
fn scaled(src: &[u8], w: usize, h: usize, bpp: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(w * h * bpp);
    for y in 0..h {
        for x in 0..w {
            let s = ((y * 128 / h) * 128 + x * 128 / w) * 3;
            out.extend_from_slice(&src[s..s + 3]);
            if bpp == 4 {
                out.push(255);
            }
        }
    }
    out
}

fn memory_bytes() -> usize {
    core::arch::wasm32::memory_size(0) * WASM_PAGE
}

#[wasm_bindgen_test]
#[ignore]
fn soak_frames_keep_memory_flat_and_results_identical() {
    let n = frames();
    let js = |b: &[u8]| -> JsValue { js_sys::Uint8Array::from(b).into() };
    let num = |x: u32| JsValue::from(x);
    let mut clf = Classifier::new(js(model("mobilenet_v1_0.25_128_quant")), None).unwrap();
    let coffee_rgb = input_rgb("coffee_png", 128);
    // The JS arrays are made once, as a page would hold its frame buffers.
    let webcam = js(&scaled(&coffee_rgb, 640, 480, 4));
    let small_rgb = js(&scaled(&coffee_rgb, 320, 240, 3));
    let exact = js(&scaled(&coffee_rgb, 128, 128, 4));
    let coffee = js(&coffee_rgb);
    let coffee_short = js(&coffee_rgb[1..]);
    let png = js(COFFEE_PNG);
    let png_short = js(&COFFEE_PNG[..100]);
    // Each kind of frame, the result its first run gave.
    let mut first: Vec<Option<Vec<(u32, u64)>>> = vec![None; 7];
    let mut check = |kind: usize, got: Vec<(u32, u64)>| match &first[kind] {
        None => first[kind] = Some(got),
        Some(want) => assert_eq!(&got, want, "frame kind {kind} gave a different result"),
    };
    let (mut mem_after_warm_up, mut errors) = (0, 0);
    let mem_start = memory_bytes();
    let t0 = js_sys::Date::now();
    let mut t_warm = t0;
    for i in 0..n {
        match i % 10 {
            0..=5 => {
                let mirror = i % 2 == 0;
                check(if mirror { 6 } else { 0 }, summary(&clf.classify_rgba(webcam.clone(), num(640), num(480), num(5), Some(mirror.into())).unwrap()))
            }
            6 => check(1, summary(&clf.classify_rgb(small_rgb.clone(), num(320), num(240), num(5), None).unwrap())),
            7 => {
                let r = summary(&clf.classify_rgba(exact.clone(), num(128), num(128), num(5), None).unwrap());
                assert_eq!(r[0], (968, (185.0f64 / 256.0).to_bits()), "espresso at 185/256, as TFLite");
                check(2, r);
            }
            8 => {
                // Failing calls of every kind must not leak either.
                assert!(clf.classify_rgba(webcam.clone(), num(641), num(480), num(5), None).is_err());
                assert!(clf.classify_image(png_short.clone(), num(5)).is_err());
                assert!(clf.run_raw(coffee_short.clone()).is_err());
                errors += 3;
                let e = clf.embed_rgba(exact.clone(), num(128), num(128), None).unwrap();
                check(3, e.iter().map(|v| (0, f64::from(*v).to_bits())).collect());
            }
            _ if i % 100 == 9 => check(4, summary(&clf.classify_image(png.clone(), num(5)).unwrap())),
            _ => check(5, clf.run_raw(coffee.clone()).unwrap().iter().map(|&v| (0, u64::from(v))).collect()),
        }
        if i + 1 == WARM_UP.min(n) {
            mem_after_warm_up = memory_bytes();
            t_warm = js_sys::Date::now();
        }
        if i >= WARM_UP && i % 500 == 0 {
            assert_eq!(memory_bytes(), mem_after_warm_up, "wasm memory grew by frame {i}");
        }
    }
    let mem_end = memory_bytes();
    let t_end = js_sys::Date::now();
    let per_frame = (t_end - t_warm) / (n.saturating_sub(WARM_UP).max(1)) as f64;
    console_log!(
        "soak: {n} frames ({errors} failing calls), memory {mem_start} B at start, {mem_after_warm_up} B after {WARM_UP}-frame warm-up, {mem_end} B at the end; {per_frame:.2} ms per frame after warm-up, {:.1} s in all",
        (t_end - t0) / 1000.0
    );
    assert_eq!(mem_end, mem_after_warm_up, "wasm memory grew after warm-up");
    assert!(first.iter().all(Option::is_some) || n < 100, "every frame kind ran");
}
