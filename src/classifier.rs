//! The Rust-level classifier: a [`Model`] plus labels, a cached frame preprocessor and reusable output buffers.
//! This is what the wasm API wraps; it is also the API for native Rust users. Steady-state classification of
//! same-sized frames allocates nothing.

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::model::{DType, Model, ModelInfo};
use crate::preprocess::{self, PixelLayout, Preprocessor};

/// The ImageNet labels (1001 lines, line 0 = "background"), embedded at build time from `$MOBILENET_DATA/labels`.
const IMAGENET_1001: &str = include_str!(concat!(env!("OUT_DIR"), "/imagenet_labels_1001.txt"));

/// Largest `topK` a caller may ask for beyond the class count (it is clamped to the class count).
pub const MAX_TOP_K: usize = 1_000_000;

/// One ranked class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// Class index in the model's numbering (for ImageNet models: 0 = background).
    pub index: usize,
    pub probability: f32,
}

pub struct Classifier {
    model: Model,
    limits: Limits,
    labels: Vec<String>,
    preprocessor: Option<Preprocessor>,
    probabilities: Vec<f32>,
    embedding: Vec<f32>,
    ranked: Vec<Prediction>,
    filter: ResultFilter,
}

/// Which classes [`Classifier::rank`] may return (MediaPipe's scoreThreshold / category allow- and denylists).
/// Built once by [`Classifier::set_filter`] so that ranking a frame only reads it.
#[derive(Debug, Clone, Default)]
struct ResultFilter {
    /// Predictions scoring below this are dropped (0 keeps everything).
    score_threshold: f32,
    /// `Some(mask)`: only classes whose `mask[index]` is true may rank. `None`: every class may.
    allowed: Option<Vec<bool>>,
}

impl ResultFilter {
    /// Validate the arguments of [`Classifier::set_filter`] against `labels` and build the class mask.
    fn new(labels: &[String], score_threshold: f32, allow: Option<&[String]>, deny: Option<&[String]>) -> Result<Self> {
        if !(0.0..=1.0).contains(&score_threshold) {
            return Err(Error::invalid(format!("scoreThreshold must be within [0, 1], got {score_threshold}")));
        }
        let (allow, deny) = (allow.filter(|l| !l.is_empty()), deny.filter(|l| !l.is_empty()));
        let allowed = match (allow, deny) {
            (Some(_), Some(_)) => return Err(Error::invalid("give an allow list or a deny list, not both")),
            (Some(names), None) => Some(label_mask(labels, names, true)?),
            (None, Some(names)) => Some(label_mask(labels, names, false)?),
            (None, None) => None,
        };
        Ok(ResultFilter { score_threshold, allowed })
    }
}

/// A per-class mask: `listed` for the classes whose label is in `names`, `!listed` for the others.
fn label_mask(labels: &[String], names: &[String], listed: bool) -> Result<Vec<bool>> {
    let mut mask = vec![!listed; labels.len()];
    for name in names {
        let mut found = false;
        for (index, label) in labels.iter().enumerate() {
            if label == name {
                mask[index] = listed;
                found = true;
            }
        }
        if !found {
            return Err(Error::invalid(format!("unknown label {name:?} (not one of the model's labels)")));
        }
    }
    Ok(mask)
}

/// Labels that fit `classes`: the caller's, else the built-in ImageNet ones when the count matches, else "class N".
fn resolve_labels(classes: usize, labels: Option<Vec<String>>) -> Result<Vec<String>> {
    if let Some(labels) = labels {
        if labels.len() != classes {
            return Err(Error::invalid(format!("{} labels given for a model with {classes} classes", labels.len())));
        }
        return Ok(labels);
    }
    let builtin: Vec<&str> = IMAGENET_1001.lines().collect();
    Ok(match classes {
        n if n == builtin.len() => builtin.iter().map(|s| s.to_string()).collect(),
        n if n + 1 == builtin.len() => builtin[1..].iter().map(|s| s.to_string()).collect(),
        n => (0..n).map(|i| format!("class {i}")).collect(),
    })
}

/// Parse a labels text file: one label per line, trailing empty line ignored.
pub fn parse_labels(text: &str) -> Vec<String> {
    text.lines().map(|l| l.trim_end_matches('\r').to_string()).collect()
}

impl Classifier {
    /// Load a MobileNet V1 `.tflite` model. `labels` (one per class) default to the built-in ImageNet labels.
    pub fn new(model_bytes: &[u8], labels: Option<Vec<String>>) -> Result<Classifier> {
        Self::with_limits(model_bytes, labels, Limits::default())
    }

    /// [`Classifier::new`] with explicit resource caps (see [`Limits`]); the model's are checked while loading,
    /// `max_image_pixels` on every frame and encoded image.
    pub fn with_limits(model_bytes: &[u8], labels: Option<Vec<String>>, limits: Limits) -> Result<Classifier> {
        let model = Model::from_tflite_with_limits(model_bytes, &limits)?;
        let info = model.info().clone();
        Ok(Classifier {
            labels: resolve_labels(info.num_classes, labels)?,
            model,
            preprocessor: None,
            probabilities: vec![0.0; info.num_classes],
            embedding: vec![0.0; info.embedding_len],
            ranked: Vec::with_capacity(info.num_classes.min(1024)),
            filter: ResultFilter::default(),
            limits,
        })
    }

    /// The caps in force (see [`Limits`]).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Change the pixel cap for later frames and encoded images (at least 1). Frames of an already planned size
    /// above the new cap are refused too.
    pub fn set_max_image_pixels(&mut self, max_pixels: u64) -> Result<()> {
        let limits = Limits { max_image_pixels: max_pixels, ..self.limits };
        limits.validate()?;
        self.limits = limits;
        self.preprocessor = None;
        Ok(())
    }

    pub fn info(&self) -> &ModelInfo {
        self.model.info()
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    pub fn label(&self, index: usize) -> &str {
        self.labels.get(index).map_or("", |s| s.as_str())
    }

    pub fn model_mut(&mut self) -> &mut Model {
        &mut self.model
    }

    /// Classify a raw frame (RGBA or RGB, row-major, `width`×`height`): centre crop, resize, optional mirror.
    pub fn classify_pixels(
        &mut self,
        pixels: &[u8],
        width: u32,
        height: u32,
        layout: PixelLayout,
        mirror: bool,
        top_k: usize,
    ) -> Result<&[Prediction]> {
        self.infer_pixels(pixels, width, height, layout, mirror)?;
        Ok(self.rank(top_k))
    }

    /// Decode PNG/JPEG/BMP/GIF/WebP bytes and classify them.
    pub fn classify_image(&mut self, encoded: &[u8], top_k: usize) -> Result<&[Prediction]> {
        let (w, h, rgb) = preprocess::decode_image(encoded, self.limits.max_image_pixels)?;
        self.infer_pixels(&rgb, w, h, PixelLayout::Rgb, false)?;
        Ok(self.rank(top_k))
    }

    /// The embedding (global-average-pooled features, length 1024·α) of a raw frame.
    pub fn embed_pixels(&mut self, pixels: &[u8], width: u32, height: u32, layout: PixelLayout, mirror: bool) -> Result<&[f32]> {
        self.infer_pixels(pixels, width, height, layout, mirror)?;
        self.model.embedding_into(&mut self.embedding);
        Ok(&self.embedding)
    }

    /// The embedding of an encoded image.
    pub fn embed_image(&mut self, encoded: &[u8]) -> Result<&[f32]> {
        let (w, h, rgb) = preprocess::decode_image(encoded, self.limits.max_image_pixels)?;
        self.embed_pixels(&rgb, w, h, PixelLayout::Rgb, false)
    }

    /// Run an exact uint8 model input (ρ×ρ×3) and return the raw uint8 output (uint8 models).
    pub fn run_raw_u8(&mut self, input: &[u8]) -> Result<&[u8]> {
        self.model.run_u8(input)?;
        self.model.probabilities_into(&mut self.probabilities);
        Ok(self.model.output_u8().unwrap_or(&[]))
    }

    /// Run an exact float input (ρ×ρ×3, already normalised) and return the raw float output (float models).
    pub fn run_raw_f32(&mut self, input: &[f32]) -> Result<&[f32]> {
        self.model.run_f32(input)?;
        self.model.probabilities_into(&mut self.probabilities);
        Ok(self.model.output_f32().unwrap_or(&[]))
    }

    /// Run the network `runs` times on a mid-grey frame, results discarded (`probabilities` keeps the last real
    /// run's). Why: wasm engines first run new code in a quick baseline compiler and only recompile the kernels with
    /// their optimising one once they have run a while; without a warm-up the first frames pay for that (measured
    /// in Chromium on 1.0/224: first inference 130–200 ms, second ~50, steady ~36).
    pub fn warm_up(&mut self, runs: u32) {
        for _ in 0..runs {
            self.model.rgb_input_mut().fill(128);
            self.model.run_rgb();
        }
    }

    /// Probabilities of the last run (dequantised for uint8 models).
    pub fn probabilities(&self) -> &[f32] {
        &self.probabilities
    }

    /// Top-k of the last run, highest first; ties broken by the lower index (as TFLite's golden files). Only
    /// classes passing the filter set by [`Classifier::set_filter`] rank, so fewer than `top_k` may come back.
    pub fn rank(&mut self, top_k: usize) -> &[Prediction] {
        let f = &self.filter;
        top_k_filtered_into(&self.probabilities, top_k, f.score_threshold, f.allowed.as_deref(), &mut self.ranked);
        &self.ranked
    }

    /// Restrict what [`Classifier::rank`] (and so every `classify*`) returns from now on: drop predictions scoring
    /// below `score_threshold` (in [0, 1]; 0 keeps all), and keep only the labels in `allow` or drop those in
    /// `deny` (at most one of the two; an empty list filters nothing; a label the model repeats matches every
    /// class carrying it). Unknown labels are an error rather than a silent no-op, so typos surface.
    /// `set_filter(0.0, None, None)` clears the filter.
    pub fn set_filter(&mut self, score_threshold: f32, allow: Option<&[String]>, deny: Option<&[String]>) -> Result<()> {
        self.filter = ResultFilter::new(&self.labels, score_threshold, allow, deny)?;
        Ok(())
    }

    fn infer_pixels(&mut self, pixels: &[u8], width: u32, height: u32, layout: PixelLayout, mirror: bool) -> Result<()> {
        let size = self.model.info().input_size as u32;
        let reuse = self.preprocessor.as_ref().is_some_and(|p| p.source_size() == (width, height) && p.layout() == layout);
        if !reuse {
            // Sizes and buffer length first, so a bogus frame size costs no resize plan (megabytes for big frames).
            let max_pixels = self.limits.max_image_pixels;
            preprocess::check_frame_size(width, height, max_pixels)?;
            let want = u64::from(width) * u64::from(height) * layout.bytes_per_pixel() as u64;
            if pixels.len() as u64 != want {
                return Err(Error::invalid(format!(
                    "frame buffer has {} bytes, expected {want} = {width}x{height}x{} ({layout:?})",
                    pixels.len(),
                    layout.bytes_per_pixel()
                )));
            }
            self.preprocessor = Some(Preprocessor::with_max_pixels(width, height, layout, size, max_pixels)?);
        }
        let pre = self.preprocessor.as_mut().ok_or_else(|| Error::invalid("no preprocessor"))?;
        pre.run_u8(pixels, mirror, self.model.rgb_input_mut())?;
        self.model.run_rgb();
        self.model.probabilities_into(&mut self.probabilities);
        Ok(())
    }

    /// Threads each inference uses: the thread pool's size in the threaded build for networks of 100 M
    /// multiply-adds or more (1.0/224, 0.75/192), else 1.
    pub fn threads(&self) -> usize {
        self.model.threads()
    }

    pub fn is_quantized(&self) -> bool {
        self.model.info().dtype == DType::UInt8
    }
}

/// Select the `k` best into `out` (cleared first) by insertion: k is small, classes are ~1000, so this beats a
/// sort and allocates nothing once `out` has capacity.
pub fn top_k_into(probabilities: &[f32], k: usize, out: &mut Vec<Prediction>) {
    top_k_filtered_into(probabilities, k, 0.0, None, out);
}

/// [`top_k_into`] over the classes with `allowed[index]` (all when `None`) scoring at least `score_threshold`.
pub fn top_k_filtered_into(probabilities: &[f32], k: usize, score_threshold: f32, allowed: Option<&[bool]>, out: &mut Vec<Prediction>) {
    out.clear();
    let k = k.min(probabilities.len());
    if k == 0 {
        return;
    }
    // a ranks before b: higher probability, then lower index. NaN ranks last.
    let before = |a: &Prediction, b: &Prediction| {
        let (pa, pb) = (if a.probability.is_nan() { f32::NEG_INFINITY } else { a.probability }, if b.probability.is_nan() { f32::NEG_INFINITY } else { b.probability });
        pa > pb || (pa == pb && a.index < b.index)
    };
    for (index, &probability) in probabilities.iter().enumerate() {
        // `<` keeps NaN (it ranks last), matching the unfiltered ranking.
        if probability < score_threshold || allowed.is_some_and(|mask| !mask.get(index).copied().unwrap_or(false)) {
            continue;
        }
        let p = Prediction { index, probability };
        if out.len() == k && !before(&p, &out[k - 1]) {
            continue;
        }
        if out.len() == k {
            out.pop();
        }
        let pos = out.iter().position(|q| before(&p, q)).unwrap_or(out.len());
        out.insert(pos, p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_breaks_ties_by_lower_index() {
        let p = [0.1, 0.5, 0.2, 0.5, f32::NAN, 0.2];
        let mut out = Vec::new();
        top_k_into(&p, 4, &mut out);
        let idx: Vec<usize> = out.iter().map(|p| p.index).collect();
        assert_eq!(idx, vec![1, 3, 2, 5]);
        top_k_into(&p, 100, &mut out);
        assert_eq!(out.len(), 6);
        assert_eq!(out[5].index, 4, "NaN ranks last");
        top_k_into(&p, 0, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn filtered_top_k_applies_threshold_and_mask() {
        let p = [0.1, 0.5, 0.2, 0.5, 0.05, 0.15];
        let mut out = Vec::new();
        top_k_filtered_into(&p, 10, 0.15, None, &mut out);
        let idx: Vec<usize> = out.iter().map(|p| p.index).collect();
        assert_eq!(idx, vec![1, 3, 2, 5], "0.15 is kept (threshold is inclusive), 0.1 and 0.05 dropped");
        let mask = [true, false, true, false, true, true];
        top_k_filtered_into(&p, 2, 0.0, Some(&mask), &mut out);
        let idx: Vec<usize> = out.iter().map(|p| p.index).collect();
        assert_eq!(idx, vec![2, 5]);
        top_k_filtered_into(&p, 5, 0.9, None, &mut out);
        assert!(out.is_empty(), "nothing reaches 0.9");
    }

    /// Rank `p` through a filter built as `Classifier::set_filter` builds it.
    fn rank_filtered(p: &[f32], k: usize, threshold: f32, allow: &[&str], deny: &[&str]) -> Result<Vec<usize>> {
        let labels: Vec<String> = ["background", "crane", "espresso", "cup", "crane"].map(String::from).to_vec();
        let list = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (allow, deny) = (list(allow), list(deny));
        let f = ResultFilter::new(&labels, threshold, Some(&allow), Some(&deny))?;
        let mut out = Vec::new();
        top_k_filtered_into(p, k, f.score_threshold, f.allowed.as_deref(), &mut out);
        Ok(out.iter().map(|p| p.index).collect())
    }

    #[test]
    fn result_filter_restricts_ranking_by_label_and_score() {
        let p = [0.1, 0.02, 0.6, 0.27, 0.01];
        assert_eq!(rank_filtered(&p, 2, 0.0, &[], &[]).unwrap(), vec![2, 3], "empty lists filter nothing");
        assert_eq!(rank_filtered(&p, 2, 0.0, &[], &["espresso"]).unwrap(), vec![3, 0]);
        assert_eq!(rank_filtered(&p, 5, 0.0, &["background", "cup"], &[]).unwrap(), vec![3, 0]);
        assert_eq!(rank_filtered(&p, 5, 0.1, &[], &[]).unwrap(), vec![2, 3, 0]);
        // A label the model repeats ("crane": bird and machine in ImageNet) matches every class carrying it.
        assert_eq!(rank_filtered(&p, 5, 0.0, &["crane"], &[]).unwrap(), vec![1, 4]);
        assert_eq!(rank_filtered(&p, 5, 0.0, &[], &["crane", "cup"]).unwrap(), vec![2, 0]);
    }

    #[test]
    fn result_filter_rejects_bad_arguments() {
        let p = [0.1, 0.02, 0.6, 0.27, 0.01];
        let kind = |r: Result<Vec<usize>>| r.unwrap_err().kind();
        assert_eq!(kind(rank_filtered(&p, 1, 1.5, &[], &[])), crate::ErrorKind::InvalidArgument);
        assert_eq!(kind(rank_filtered(&p, 1, -0.1, &[], &[])), crate::ErrorKind::InvalidArgument);
        assert_eq!(kind(rank_filtered(&p, 1, f32::NAN, &[], &[])), crate::ErrorKind::InvalidArgument);
        assert_eq!(kind(rank_filtered(&p, 1, 0.0, &["cup"], &["espresso"])), crate::ErrorKind::InvalidArgument);
        let typo = rank_filtered(&p, 1, 0.0, &["expresso"], &[]).unwrap_err();
        assert_eq!(typo.kind(), crate::ErrorKind::InvalidArgument);
        assert!(typo.message().contains("\"expresso\""), "the message names the unknown label: {}", typo.message());
    }

    #[test]
    fn labels_fit_the_class_count() {
        assert_eq!(resolve_labels(1001, None).unwrap()[0], "background");
        assert_eq!(resolve_labels(1001, None).unwrap()[968], "espresso");
        assert_eq!(resolve_labels(1000, None).unwrap()[967], "espresso");
        assert_eq!(resolve_labels(3, None).unwrap()[2], "class 2");
        let err = resolve_labels(3, Some(vec!["a".into()])).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
    }
}
