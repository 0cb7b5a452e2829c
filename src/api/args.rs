//! Checks of JavaScript arguments before they reach the classifier. wasm-bindgen's own conversions coerce
//! silently (a `Float32Array` of pixels becomes bytes, `4.5` becomes 4, `-1` becomes 4294967295, a string of
//! labels becomes one label per character, `{}` an empty list), so every entry point takes `JsValue`s and checks
//! them here: a wrong type or value is an `INVALID_ARGUMENT` error that names the argument and what it got.

use super::js_error;
use crate::error::Error;
use js_sys::{Array, ArrayBuffer, Float32Array, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

type Result<T> = core::result::Result<T, JsValue>;

fn invalid(message: String) -> JsValue {
    js_error(Error::invalid(message))
}

/// An optional parameter back as a plain value. Optional parameters are typed `Option<js_sys::…>` only so that
/// TypeScript marks them optional: wasm-bindgen passes such objects through unconverted and unchecked, so a
/// `Some` may hold anything, and is checked here like every other argument.
pub fn or_undefined<T: Into<JsValue>>(value: Option<T>) -> JsValue {
    value.map_or(JsValue::UNDEFINED, Into::into)
}

/// What a value is, for messages: `Float32Array`, `string`, `null`, `object`…
fn describe(value: &JsValue) -> String {
    if value.is_null() {
        return "null".into();
    }
    if ArrayBuffer::is_view(value) || value.is_instance_of::<ArrayBuffer>() {
        if let Some(tag) = string_tag(value) {
            return tag;
        }
    }
    if Array::is_array(value) {
        return "an array".into();
    }
    value.js_typeof().as_string().unwrap_or_else(|| "?".into())
}

/// `value[Symbol.toStringTag]`: the typed array's kind, the same in every realm (frames, workers), unlike
/// `instanceof`.
fn string_tag(value: &JsValue) -> Option<String> {
    Reflect::get(value, &js_sys::Symbol::to_string_tag()).ok()?.as_string()
}

/// Byte arguments (frames, encoded images, models, raw inputs): a `Uint8Array` (Node's `Buffer` is one), a
/// `Uint8ClampedArray` (`ImageData.data`) or an `ArrayBuffer`. Copied into `scratch`, which is kept and reused, so
/// a stream of frames allocates nothing once the largest has been seen. Returns the byte count.
pub fn copy_bytes(value: &JsValue, what: &str, scratch: &mut Vec<u8>) -> Result<usize> {
    let view = byte_view(value, what)?;
    let n = view.length() as usize;
    reserve(scratch, n, what)?;
    view.copy_to(&mut scratch[..n]);
    Ok(n)
}

/// The bytes as a fresh `Vec` (model bytes at load time: one allocation per model, not per frame).
pub fn bytes(value: &JsValue, what: &str) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    copy_bytes(value, what, &mut v)?;
    Ok(v)
}

fn byte_view(value: &JsValue, what: &str) -> Result<Uint8Array> {
    if value.is_instance_of::<ArrayBuffer>() || string_tag(value).as_deref() == Some("SharedArrayBuffer") {
        return Ok(Uint8Array::new(value));
    }
    match string_tag(value).as_deref() {
        Some("Uint8Array") | Some("Uint8ClampedArray") if ArrayBuffer::is_view(value) => {
            // A `Uint8Array` view of the same bytes (no copy), whichever of the two kinds it is.
            let v: &Uint8Array = value.unchecked_ref();
            Ok(Uint8Array::new_with_byte_offset_and_length(&v.buffer(), v.byte_offset(), v.length()))
        }
        _ => Err(invalid(format!(
            "{what} must be a Uint8Array, Uint8ClampedArray or ArrayBuffer, got {}",
            describe(value)
        ))),
    }
}

/// Grow `scratch` to `n` elements without aborting the instance when memory runs out.
fn reserve<T: Copy + Default>(scratch: &mut Vec<T>, n: usize, what: &str) -> Result<()> {
    if scratch.len() < n {
        scratch
            .try_reserve_exact(n - scratch.len())
            .map_err(|_| js_error(Error::too_large(format!("{what}: no memory for {n} elements"))))?;
        scratch.resize(n, T::default());
    }
    Ok(())
}

/// A float model's raw input: a `Float32Array` only (any other array would be converted element by element).
pub fn copy_f32(value: &JsValue, what: &str, scratch: &mut Vec<f32>) -> Result<usize> {
    if !(ArrayBuffer::is_view(value) && string_tag(value).as_deref() == Some("Float32Array")) {
        return Err(invalid(format!("{what} must be a Float32Array, got {}", describe(value))));
    }
    let view: &Float32Array = value.unchecked_ref();
    let n = view.length() as usize;
    reserve(scratch, n, what)?;
    view.copy_to(&mut scratch[..n]);
    Ok(n)
}

/// A frame side in pixels: a whole number in 0..=2^32-1 (0 and oversize values get the classifier's own
/// errors, which say what the limits are).
pub fn side(value: &JsValue, what: &str) -> Result<u32> {
    let x = number(value, what)?;
    if !(x.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&x)) {
        return Err(invalid(format!("{what} must be a whole number of pixels, got {x}")));
    }
    Ok(x as u32)
}

/// `topK`: a whole number ≥ 1; larger than the class count means every class.
pub fn top_k(value: &JsValue) -> Result<usize> {
    let x = number(value, "topK")?;
    if !(x.fract() == 0.0 && x >= 1.0) {
        return Err(invalid(format!("topK must be a whole number ≥ 1, got {x}")));
    }
    Ok(if x >= usize::MAX as f64 { usize::MAX } else { x as usize })
}

fn number(value: &JsValue, what: &str) -> Result<f64> {
    value.as_f64().ok_or_else(|| invalid(format!("{what} must be a number, got {}", describe(value))))
}

/// An optional boolean (`mirror`): `undefined`/`null` is false.
pub fn flag(value: &JsValue, what: &str) -> Result<bool> {
    if value.is_undefined() || value.is_null() {
        return Ok(false);
    }
    value.as_bool().ok_or_else(|| invalid(format!("{what} must be true or false, got {}", describe(value))))
}

/// An optional number (`scoreThreshold`): `undefined`/`null` is `None`.
pub fn optional_number(value: &JsValue, what: &str) -> Result<Option<f64>> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    number(value, what).map(Some)
}

/// An optional count in `0..=max` (warm-up runs): `undefined`/`null` is `default`.
pub fn optional_count(value: &JsValue, what: &str, default: u32, max: u32) -> Result<u32> {
    match optional_number(value, what)? {
        None => Ok(default),
        Some(x) if x.fract() == 0.0 && (0.0..=f64::from(max)).contains(&x) => Ok(x as u32),
        Some(x) => Err(invalid(format!("{what} must be a whole number from 0 to {max}, got {x}"))),
    }
}

/// An optional array of strings (labels, allow/deny lists): `undefined`/`null` is `None`.
pub fn strings(value: &JsValue, what: &str) -> Result<Option<Vec<String>>> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if !Array::is_array(value) {
        return Err(invalid(format!("{what} must be an array of strings, got {}", describe(value))));
    }
    let array: &Array = value.unchecked_ref();
    let mut out = Vec::with_capacity(array.length() as usize);
    for (i, item) in array.iter().enumerate() {
        match item.as_string() {
            Some(s) => out.push(s),
            None => return Err(invalid(format!("{what}[{i}] must be a string, got {}", describe(&item)))),
        }
    }
    Ok(Some(out))
}
