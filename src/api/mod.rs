//! The `#[wasm_bindgen]` surface: argument checks, JS types and error mapping only; no maths lives here.
//! Errors reach JS as `Error` objects with a stable `code` (see [`crate::ErrorKind::code`]) and the instance keeps
//! working after any error.

use crate::error::Error;
use crate::preprocess::PixelLayout;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

mod args;
mod threads;
pub use threads::*;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// Convert a crate error into a JS `Error` carrying `code`.
pub(crate) fn js_error(e: Error) -> JsValue {
    let err = js_sys::Error::new(e.message());
    err.set_name("MobileNetError");
    let _ = Reflect::set(&err, &"code".into(), &e.kind().code().into());
    err.into()
}

/// A positive whole number of at most 2^53 - 1 (what a JS number holds exactly), for caps given from JS.
fn whole_number(value: f64, what: &str) -> Result<u64, JsValue> {
    if !(value.is_finite() && value.fract() == 0.0 && (1.0..=9_007_199_254_740_991.0).contains(&value)) {
        return Err(js_error(Error::invalid(format!("{what} must be a whole number ≥ 1, got {value}"))));
    }
    Ok(value as u64)
}

/// Reads `{ maxInputSize, maxActivationBytes, maxImagePixels }` (each optional) over the defaults; anything else
/// (another type, an unknown key, a non-integer) is an `INVALID_ARGUMENT` error, so typos surface.
fn limits_from_js(value: &JsValue) -> Result<crate::Limits, JsValue> {
    let mut limits = crate::Limits::default();
    if value.is_undefined() || value.is_null() {
        return Ok(limits);
    }
    if !value.is_object() {
        return Err(js_error(Error::invalid("limits must be an object like { maxImagePixels: 4194304 }")));
    }
    for key in Object::keys(value.unchecked_ref::<Object>()).iter() {
        let name = key.as_string().unwrap_or_default();
        let field = Reflect::get(value, &key).unwrap_or(JsValue::UNDEFINED);
        if field.is_undefined() {
            continue;
        }
        let number = field.as_f64().ok_or_else(|| js_error(Error::invalid(format!("limits.{name} must be a number"))))?;
        let n = whole_number(number, &format!("limits.{name}"))?;
        match name.as_str() {
            "maxInputSize" => limits.max_input_size = usize::try_from(n).unwrap_or(usize::MAX),
            "maxActivationBytes" => limits.max_activation_bytes = n,
            "maxImagePixels" => limits.max_image_pixels = n,
            _ => {
                return Err(js_error(Error::invalid(format!(
                    "unknown limit {name:?} (expected maxInputSize, maxActivationBytes, maxImagePixels)"
                ))))
            }
        }
    }
    Ok(limits)
}

/// A MobileNet V1 classifier loaded from `.tflite` bytes.
#[wasm_bindgen]
pub struct Classifier {
    inner: crate::Classifier,
    /// Frames, encoded images and raw inputs are copied here from JS (kept between calls: no per-frame
    /// allocation once the largest input has been seen).
    bytes: Vec<u8>,
    floats: Vec<f32>,
}


#[wasm_bindgen]
impl Classifier {
    /// Load a MobileNet V1 `.tflite` model (uint8 or float32, any α/ρ/class count). `labels`, one string per
    /// class, default to the built-in ImageNet labels when the model has 1001 (or 1000) classes.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] model: JsValue,
        labels: Option<Array>,
    ) -> Result<Classifier, JsValue> {
        Self::with_limits(model, labels, None)
    }

    /// `new Classifier(model, labels)` with resource caps `{ maxInputSize, maxActivationBytes, maxImagePixels }`
    /// (each optional; see RELIABILITY.md for the defaults). A model or image above a cap is a `TOO_LARGE` error,
    /// raised before anything is allocated for it.
    #[wasm_bindgen(js_name = withLimits)]
    pub fn with_limits(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] model: JsValue,
        labels: Option<Array>,
        limits: Option<Object>,
    ) -> Result<Classifier, JsValue> {
        let model = args::bytes(&model, "model")?;
        let labels = args::strings(&args::or_undefined(labels), "labels")?;
        let limits = limits_from_js(&args::or_undefined(limits))?;
        let inner = crate::Classifier::with_limits(&model, labels, limits).map_err(js_error)?;
        Ok(Classifier { inner, bytes: Vec::new(), floats: Vec::new() })
    }

    /// The pixel cap for frames and encoded images.
    #[wasm_bindgen(getter, js_name = maxImagePixels)]
    pub fn max_image_pixels(&self) -> f64 {
        self.inner.limits().max_image_pixels as f64
    }

    /// Change the pixel cap for later frames and encoded images (a whole number ≥ 1).
    #[wasm_bindgen(js_name = setMaxImagePixels)]
    pub fn set_max_image_pixels(&mut self, max_pixels: f64) -> Result<(), JsValue> {
        let n = whole_number(max_pixels, "maxImagePixels")?;
        self.inner.set_max_image_pixels(n).map_err(js_error)
    }

    /// Input resolution ρ: the model sees ρ×ρ RGB.
    #[wasm_bindgen(getter, js_name = inputSize)]
    pub fn input_size(&self) -> u32 {
        self.inner.info().input_size as u32
    }

    #[wasm_bindgen(getter, js_name = numClasses)]
    pub fn num_classes(&self) -> u32 {
        self.inner.info().num_classes as u32
    }

    /// Width multiplier α (0.25, 0.5, 0.75, 1.0 for the published models).
    #[wasm_bindgen(getter)]
    pub fn alpha(&self) -> f32 {
        self.inner.info().alpha
    }

    /// Threads each inference of this model uses: the pool's size (`threadCount()`) in the threaded build for
    /// networks large enough to gain from it (≥ 100 M multiply-adds: 1.0/224, 0.75/192), else 1.
    #[wasm_bindgen(getter)]
    pub fn threads(&self) -> u32 {
        self.inner.threads() as u32
    }

    /// True for uint8 (quantised) models, false for float32.
    #[wasm_bindgen(getter)]
    pub fn quantized(&self) -> bool {
        self.inner.is_quantized()
    }

    /// Length of `embed*` vectors (1024·α).
    #[wasm_bindgen(getter, js_name = embeddingLength)]
    pub fn embedding_length(&self) -> u32 {
        self.inner.info().embedding_len as u32
    }

    #[wasm_bindgen(getter)]
    pub fn labels(&self) -> Vec<String> {
        self.inner.labels().to_vec()
    }

    /// Classify an RGBA frame (`ImageData.data`, row-major, width×height×4 bytes): centre square crop, resize to
    /// ρ×ρ, optional horizontal mirror. Returns `[{ index, label, probability }]`, best first.
    #[wasm_bindgen(js_name = classifyRgba)]
    pub fn classify_rgba(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | Uint8ClampedArray | ArrayBuffer")] pixels: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] width: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] height: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number", js_name = topK)] top_k: JsValue,
        mirror: Option<js_sys::Boolean>,
    ) -> Result<Array, JsValue> {
        self.classify_pixels(&pixels, &width, &height, PixelLayout::Rgba, &top_k, &args::or_undefined(mirror))
    }

    /// Classify an RGB frame (width×height×3 bytes); see `classifyRgba`.
    #[wasm_bindgen(js_name = classifyRgb)]
    pub fn classify_rgb(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | Uint8ClampedArray | ArrayBuffer")] pixels: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] width: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] height: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number", js_name = topK)] top_k: JsValue,
        mirror: Option<js_sys::Boolean>,
    ) -> Result<Array, JsValue> {
        self.classify_pixels(&pixels, &width, &height, PixelLayout::Rgb, &top_k, &args::or_undefined(mirror))
    }

    /// Decode PNG/JPEG/BMP/GIF/WebP bytes in wasm and classify them.
    #[wasm_bindgen(js_name = classifyImage)]
    pub fn classify_image(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] encoded: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number", js_name = topK)] top_k: JsValue,
    ) -> Result<Array, JsValue> {
        let k = args::top_k(&top_k)?;
        let n = args::copy_bytes(&encoded, "image bytes", &mut self.bytes)?;
        self.inner.classify_image(&self.bytes[..n], k).map_err(js_error)?;
        Ok(self.predictions(k))
    }

    /// The embedding (global-average-pooled features, length `embeddingLength`) of an RGBA frame.
    #[wasm_bindgen(js_name = embedRgba)]
    pub fn embed_rgba(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | Uint8ClampedArray | ArrayBuffer")] pixels: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] width: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] height: JsValue,
        mirror: Option<js_sys::Boolean>,
    ) -> Result<Vec<f32>, JsValue> {
        self.embed_pixels(&pixels, &width, &height, PixelLayout::Rgba, &args::or_undefined(mirror))
    }

    /// The embedding of an RGB frame (width×height×3 bytes); see `embedRgba`.
    #[wasm_bindgen(js_name = embedRgb)]
    pub fn embed_rgb(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | Uint8ClampedArray | ArrayBuffer")] pixels: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] width: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] height: JsValue,
        mirror: Option<js_sys::Boolean>,
    ) -> Result<Vec<f32>, JsValue> {
        self.embed_pixels(&pixels, &width, &height, PixelLayout::Rgb, &args::or_undefined(mirror))
    }

    /// The embedding of an encoded image.
    #[wasm_bindgen(js_name = embedImage)]
    pub fn embed_image(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] encoded: JsValue,
    ) -> Result<Vec<f32>, JsValue> {
        let n = args::copy_bytes(&encoded, "image bytes", &mut self.bytes)?;
        self.inner.embed_image(&self.bytes[..n]).map(|v| v.to_vec()).map_err(js_error)
    }

    /// Run the network `runs` times (default 2, at most 10) on a grey frame, discarding the results, so that the
    /// engine compiles the kernels with its optimising tier before the first real frame (see
    /// `Classifier::warm_up`). The JS `load()` does this unless told `warmUp: false`.
    #[wasm_bindgen(js_name = warmUp)]
    pub fn warm_up(&mut self, runs: Option<js_sys::Number>) -> Result<(), JsValue> {
        let runs = args::optional_count(&args::or_undefined(runs), "runs", 2, 10)?;
        self.inner.warm_up(runs);
        Ok(())
    }

    /// Run an exact uint8 model input (ρ×ρ×3, RGB) and return the raw uint8 output vector (uint8 models).
    #[wasm_bindgen(js_name = runRaw)]
    pub fn run_raw(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] input: JsValue,
    ) -> Result<Vec<u8>, JsValue> {
        let n = args::copy_bytes(&input, "input", &mut self.bytes)?;
        self.inner.run_raw_u8(&self.bytes[..n]).map(|v| v.to_vec()).map_err(js_error)
    }

    /// Run an exact float input (ρ×ρ×3, normalised to [-1, 1]) and return the raw float output (float models).
    #[wasm_bindgen(js_name = runRawFloat)]
    pub fn run_raw_float(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Float32Array")] input: JsValue,
    ) -> Result<Vec<f32>, JsValue> {
        let n = args::copy_f32(&input, "input", &mut self.floats)?;
        self.inner.run_raw_f32(&self.floats[..n]).map(|v| v.to_vec()).map_err(js_error)
    }

    /// Restrict what every later `classify*` returns: drop predictions scoring below `scoreThreshold` (0..1),
    /// keep only the labels in `allow` or drop those in `deny` (not both; empty lists filter nothing). Unknown
    /// labels are an `INVALID_ARGUMENT` error and leave the previous filter in place. `setFilter()` clears it.
    #[wasm_bindgen(js_name = setFilter)]
    pub fn set_filter(
        &mut self,
        #[wasm_bindgen(js_name = scoreThreshold)] score_threshold: Option<js_sys::Number>,
        allow: Option<Array>,
        deny: Option<Array>,
    ) -> Result<(), JsValue> {
        let threshold = args::optional_number(&args::or_undefined(score_threshold), "scoreThreshold")?.unwrap_or(0.0) as f32;
        let allow = args::strings(&args::or_undefined(allow), "allow")?;
        let deny = args::strings(&args::or_undefined(deny), "deny")?;
        self.inner.set_filter(threshold, allow.as_deref(), deny.as_deref()).map_err(js_error)
    }

    /// Probabilities of every class from the last run.
    pub fn probabilities(&self) -> Vec<f32> {
        self.inner.probabilities().to_vec()
    }
}

impl Classifier {
    fn classify_pixels(
        &mut self,
        pixels: &JsValue,
        width: &JsValue,
        height: &JsValue,
        layout: PixelLayout,
        top_k: &JsValue,
        mirror: &JsValue,
    ) -> Result<Array, JsValue> {
        let (w, h) = (args::side(width, "width")?, args::side(height, "height")?);
        let (k, mirror) = (args::top_k(top_k)?, args::flag(mirror, "mirror")?);
        let n = args::copy_bytes(pixels, "pixels", &mut self.bytes)?;
        self.inner.classify_pixels(&self.bytes[..n], w, h, layout, mirror, k).map_err(js_error)?;
        Ok(self.predictions(k))
    }

    fn embed_pixels(
        &mut self,
        pixels: &JsValue,
        width: &JsValue,
        height: &JsValue,
        layout: PixelLayout,
        mirror: &JsValue,
    ) -> Result<Vec<f32>, JsValue> {
        let (w, h, mirror) = (args::side(width, "width")?, args::side(height, "height")?, args::flag(mirror, "mirror")?);
        let n = args::copy_bytes(pixels, "pixels", &mut self.bytes)?;
        self.inner.embed_pixels(&self.bytes[..n], w, h, layout, mirror).map(|v| v.to_vec()).map_err(js_error)
    }

    fn predictions(&mut self, k: usize) -> Array {
        let out = Array::new();
        let ranked = self.inner.rank(k).to_vec();
        for p in ranked {
            let o = Object::new();
            let _ = Reflect::set(&o, &"index".into(), &(p.index as u32).into());
            let _ = Reflect::set(&o, &"label".into(), &self.inner.label(p.index).into());
            let _ = Reflect::set(&o, &"probability".into(), &p.probability.into());
            out.push(&o);
        }
        out
    }
}
