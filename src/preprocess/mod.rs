//! Image preprocessing that reproduces the reference pipeline bit-for-bit:
//!
//! 1. `Image.open(p).convert("RGB")` — [`decode_image`] (for lossless formats the pixels are identical to Pillow's;
//!    JPEG decoders differ slightly in IDCT / chroma upsampling);
//! 2. the largest centred square crop, `s = min(w, h)`, `left = (w - s) / 2`, `top = (h - s) / 2` (floor);
//! 3. `img.resize((R, R), Image.BILINEAR)` with Pillow 13's exact antialiased fixed-point algorithm
//!    ([`Preprocessor`], see `resample.rs`);
//! 4. for float models, `(p - 127.5) / 127.5` in f32 ([`normalize_to_f32`]).
//!
//! Webcam frames arrive from JavaScript as RGBA; [`Preprocessor::run_u8`] reads them in place (the crop is an
//! offset, alpha is ignored) and never allocates: the plan and its scratch buffers are built once per frame size.

mod decode;
mod resample;

use crate::error::{Error, Result};
use resample::{try_vec, AxisCoeffs};

/// Default cap on the number of pixels of a decoded image or a camera frame (64 Mi pixels).
pub const DEFAULT_MAX_IMAGE_PIXELS: u64 = 64 * 1024 * 1024;

/// Largest accepted width or height of a frame and of the model input.
pub const MAX_SIDE: u32 = 16384;

/// Byte layout of the source pixels (8 bits per channel, interleaved, rows top to bottom, no padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelLayout {
    /// R, G, B, A — what `CanvasRenderingContext2D.getImageData` returns. Alpha is ignored.
    Rgba,
    /// R, G, B.
    Rgb,
}

impl PixelLayout {
    /// Bytes per pixel.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelLayout::Rgba => 4,
            PixelLayout::Rgb => 3,
        }
    }
}

/// A reusable resize plan for one source size → R×R model input. Built once per frame size; coefficients
/// precomputed; holds its own scratch so `run` never allocates.
#[derive(Debug, Clone)]
pub struct Preprocessor {
    src_w: u32,
    src_h: u32,
    layout: PixelLayout,
    out_size: u32,
    /// Side of the centred square crop and its offset in the frame.
    crop: u32,
    left: u32,
    top: u32,
    /// `false` when the crop already has the output size (Pillow then copies the image).
    resample: bool,
    horiz: AxisCoeffs,
    /// Vertical taps, with `first` relative to `row_first`.
    vert: AxisCoeffs,
    /// Crop rows `row_first .. row_first + rows` are the only ones the vertical pass reads.
    row_first: u32,
    rows: u32,
    /// Horizontal-pass output: `rows` rows of `out_size * 3` bytes.
    temp: Vec<u8>,
    /// Vertical-pass accumulators: `out_size * 3`.
    acc: Vec<i32>,
}

fn check_side(what: &str, v: u32) -> Result<()> {
    if v == 0 {
        return Err(Error::invalid(format!("{what} is 0; it must be at least 1")));
    }
    if v > MAX_SIDE {
        return Err(Error::too_large(format!("{what} is {v}, more than the maximum of {MAX_SIDE}")));
    }
    Ok(())
}

/// The frame-size checks of [`Preprocessor::with_max_pixels`] alone (no allocation): each side in 1..=[`MAX_SIDE`]
/// (`InvalidArgument` / `TooLarge`), at most `max_pixels` pixels (`TooLarge`).
pub fn check_frame_size(src_w: u32, src_h: u32, max_pixels: u64) -> Result<()> {
    check_side("frame width", src_w)?;
    check_side("frame height", src_h)?;
    let frame_px = u64::from(src_w) * u64::from(src_h);
    if frame_px > max_pixels {
        return Err(Error::too_large(format!(
            "frame is {src_w}x{src_h} = {frame_px} pixels, more than the maximum of {max_pixels}"
        )));
    }
    Ok(())
}

impl Preprocessor {
    /// Plans the centre square crop of a `src_w`×`src_h` frame in `channels_in` layout and its Pillow-BILINEAR resize
    /// to `out_size`×`out_size` RGB.
    ///
    /// Errors: a zero size → `InvalidArgument`; a side above [`MAX_SIDE`] or more than [`DEFAULT_MAX_IMAGE_PIXELS`]
    /// pixels (frame or output) → `TooLarge`.
    pub fn new(src_w: u32, src_h: u32, channels_in: PixelLayout, out_size: u32) -> Result<Self> {
        Self::with_max_pixels(src_w, src_h, channels_in, out_size, DEFAULT_MAX_IMAGE_PIXELS)
    }

    /// [`Preprocessor::new`] with the frame and output pixel cap `max_pixels` instead of the default.
    pub fn with_max_pixels(src_w: u32, src_h: u32, channels_in: PixelLayout, out_size: u32, max_pixels: u64) -> Result<Self> {
        check_frame_size(src_w, src_h, max_pixels)?;
        check_side("output size", out_size)?;
        let out_px = u64::from(out_size) * u64::from(out_size);
        // The output side comes from the model (capped by `Limits::max_input_size`), not from the caller's frame.
        if out_px > DEFAULT_MAX_IMAGE_PIXELS {
            return Err(Error::too_large(format!(
                "output is {out_size}x{out_size} = {out_px} pixels, more than the maximum of {DEFAULT_MAX_IMAGE_PIXELS}"
            )));
        }

        let crop = src_w.min(src_h);
        let left = (src_w - crop) / 2;
        let top = (src_h - crop) / 2;
        let r = out_size as usize;
        let mut p = Preprocessor {
            src_w,
            src_h,
            layout: channels_in,
            out_size,
            crop,
            left,
            top,
            resample: crop != out_size,
            horiz: AxisCoeffs::default(),
            vert: AxisCoeffs::default(),
            row_first: 0,
            rows: 0,
            temp: Vec::new(),
            acc: Vec::new(),
        };
        if !p.resample {
            return Ok(p);
        }
        // Pillow: resize box = (0, 0, s, s) of the cropped image, passed as C floats.
        let mut vert = AxisCoeffs::bilinear(crop, 0.0, crop as f32, out_size)?;
        let horiz = AxisCoeffs::bilinear(crop, 0.0, crop as f32, out_size)?;
        let row_first = vert.first[0];
        let row_last = vert.first[r - 1] + vert.len[r - 1];
        let rows = row_last.saturating_sub(row_first);
        for f in vert.first.iter_mut() {
            *f -= row_first;
        }
        let temp_len = (rows as usize)
            .checked_mul(r * 3)
            .ok_or_else(|| Error::too_large(format!("resize scratch of {rows} x {r} pixels is too large")))?;
        p.temp = try_vec(0u8, temp_len, "resize scratch")?;
        p.acc = try_vec(0i32, r * 3, "resize accumulators")?;
        p.horiz = horiz;
        p.vert = vert;
        p.row_first = row_first;
        p.rows = rows;
        Ok(p)
    }

    /// The frame size this plan was built for, `(width, height)`.
    pub fn source_size(&self) -> (u32, u32) {
        (self.src_w, self.src_h)
    }

    /// The pixel layout this plan expects.
    pub fn layout(&self) -> PixelLayout {
        self.layout
    }

    /// The output side `R`.
    pub fn out_size(&self) -> u32 {
        self.out_size
    }

    /// Length in bytes `run_u8` expects for `pixels` (`w * h * bytes_per_pixel`).
    pub fn input_len(&self) -> usize {
        self.src_w as usize * self.src_h as usize * self.layout.bytes_per_pixel()
    }

    /// Length in bytes of the output (`R * R * 3`).
    pub fn output_len(&self) -> usize {
        self.out_size as usize * self.out_size as usize * 3
    }

    /// The centred square crop `(left, top, side)` in frame pixels.
    pub fn crop_rect(&self) -> (u32, u32, u32) {
        (self.left, self.top, self.crop)
    }

    /// Centre square crop + resize of `pixels` (len must be w*h*bpp, else Error InvalidArgument) into `out`
    /// (len R*R*3, RGB interleaved u8). `mirror` flips horizontally (selfie view) after resizing.
    pub fn run_u8(&mut self, pixels: &[u8], mirror: bool, out: &mut [u8]) -> Result<()> {
        let want_in = self.input_len();
        if pixels.len() != want_in {
            return Err(Error::invalid(format!(
                "frame buffer has {} bytes, expected {} = {}x{}x{} ({:?})",
                pixels.len(),
                want_in,
                self.src_w,
                self.src_h,
                self.layout.bytes_per_pixel(),
                self.layout
            )));
        }
        let want_out = self.output_len();
        if out.len() != want_out {
            return Err(Error::invalid(format!(
                "output buffer has {} elements, expected {} = {}x{}x3",
                out.len(),
                want_out,
                self.out_size,
                self.out_size
            )));
        }
        match self.layout {
            PixelLayout::Rgba => self.run_bpp::<4>(pixels, out),
            PixelLayout::Rgb => self.run_bpp::<3>(pixels, out),
        }
        if mirror {
            mirror_rows(out, self.out_size as usize);
        }
        Ok(())
    }

    fn run_bpp<const BPP: usize>(&mut self, pixels: &[u8], out: &mut [u8]) {
        let stride = self.src_w as usize * BPP;
        let left = self.left as usize;
        let top = self.top as usize;
        let r = self.out_size as usize;
        if !self.resample {
            // Crop already R x R: Pillow copies it unchanged.
            for (y, out_row) in out.chunks_exact_mut(r * 3).enumerate() {
                let s = (top + y) * stride + left * BPP;
                let src_row = &pixels[s..s + r * BPP];
                for (o, p) in out_row.chunks_exact_mut(3).zip(src_row.chunks_exact(BPP)) {
                    o.copy_from_slice(&p[..3]);
                }
            }
            return;
        }
        resample::horizontal_pass::<BPP>(
            pixels,
            stride,
            left,
            top + self.row_first as usize,
            self.rows as usize,
            &self.horiz,
            &mut self.temp,
        );
        resample::vertical_pass(&self.temp, r * 3, &self.vert, &mut self.acc, out);
    }
}

/// Reverses the pixel order of every row of an `r`×`r` RGB image in place.
fn mirror_rows(out: &mut [u8], r: usize) {
    for row in out.chunks_exact_mut(r * 3) {
        let (mut i, mut j) = (0usize, r.saturating_sub(1));
        while i < j {
            for c in 0..3 {
                row.swap(i * 3 + c, j * 3 + c);
            }
            i += 1;
            j -= 1;
        }
    }
}

/// Float model input from u8 RGB: (p - 127.5) / 127.5 computed in f32 exactly as numpy does for float32.
///
/// Converts `min(rgb.len(), out.len())` elements (the caller sizes both; a mismatch is not a panic).
pub fn normalize_to_f32(rgb: &[u8], out: &mut [f32]) {
    const C: f32 = 127.5;
    for (o, &p) in out.iter_mut().zip(rgb) {
        *o = (f32::from(p) - C) / C;
    }
}

/// Decode PNG/JPEG/BMP/GIF/WebP bytes with the `image` crate into RGB8 (w, h, pixels), refusing images whose
/// declared dimensions exceed `max_pixels` (checked from the header, before decoding) → `ErrorKind::TooLarge`;
/// undecodable → `ErrorKind::Decode`; empty → `InvalidArgument`. Alpha is dropped (like Pillow's `convert("RGB")`);
/// for animated GIF / WebP the first frame is used; EXIF orientation and ICC profiles are ignored (as Pillow's
/// `open` + `convert` does).
pub fn decode_image(bytes: &[u8], max_pixels: u64) -> Result<(u32, u32, Vec<u8>)> {
    decode::decode_image(bytes, max_pixels)
}
