//! Shared helpers for the golden test suites (native and wasm32).
#![allow(dead_code)]

pub mod data;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Marks a test for both `cargo test` and `wasm-pack test` (Node or, with WASM_BINDGEN_USE_BROWSER=1, browsers).
#[macro_export]
macro_rules! both {
    ($(#[$m:meta])* fn $name:ident() $body:block) => {
        $(#[$m])*
        #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
        #[cfg_attr(not(target_arch = "wasm32"), test)]
        fn $name() $body
    };
}

pub fn model(name: &str) -> &'static [u8] {
    data::MODELS.iter().find(|(n, _)| *n == name).map(|(_, b)| *b).unwrap_or_else(|| panic!("no model {name}"))
}

/// The exact model input for an image at resolution `r`, decoded from its golden PNG (RGB u8, r×r×3).
pub fn input_rgb(image: &str, r: usize) -> Vec<u8> {
    let key = format!("{image}_{r}");
    let png = data::INPUT_PNGS.iter().find(|(n, _)| *n == key).unwrap_or_else(|| panic!("no input {key}")).1;
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png).expect("golden PNG decodes").to_rgb8();
    assert_eq!((img.width() as usize, img.height() as usize), (r, r));
    img.into_raw()
}

/// Float model input exactly as the golden generator made it: `(p - 127.5) / 127.5` in float32.
pub fn input_f32(image: &str, r: usize) -> Vec<f32> {
    input_rgb(image, r).iter().map(|&p| (p as f32 - 127.5) / 127.5).collect()
}

pub fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("golden JSON parses")
}

pub fn golden_output(model: &str, image: &str) -> Value {
    json(data::OUTPUTS.iter().find(|(m, i, _)| *m == model && *i == image).expect("golden output exists").2)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Model names, input resolution parsed from the name (`…_224_quant` / `…_224`).
pub fn resolution(model: &str) -> usize {
    model.split('_').filter_map(|p| p.parse::<usize>().ok()).find(|&r| r >= 96).expect("resolution in model name")
}

pub fn is_quant(model: &str) -> bool {
    model.ends_with("_quant")
}
