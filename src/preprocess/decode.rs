//! Encoded image bytes (PNG / JPEG / BMP / GIF / WebP) to RGB8, with the size checked from the header first.

use std::io::Cursor;

use image::{ImageDecoder, ImageError, ImageReader, Limits};

use crate::error::{Error, Result};

/// Floor of the decoder allocation budget, so that tiny `max_pixels` values don't trip on decoder-internal buffers.
const MIN_ALLOC_BUDGET: u64 = 16 * 1024 * 1024;
/// Bytes per pixel of the widest layout the enabled decoders produce (RGBA, 16 bits per channel).
const MAX_BYTES_PER_PIXEL: u64 = 8;

fn map_image_error(e: ImageError) -> Error {
    match e {
        ImageError::Limits(l) => Error::too_large(format!("image exceeds the decoding limits: {l}")),
        ImageError::Unsupported(u) => Error::decode(format!("unsupported image: {u}")),
        other => Error::decode(format!("cannot decode image: {other}")),
    }
}

/// See [`super::decode_image`].
pub(crate) fn decode_image(bytes: &[u8], max_pixels: u64) -> Result<(u32, u32, Vec<u8>)> {
    if bytes.is_empty() {
        return Err(Error::invalid("image bytes are empty"));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::decode(format!("cannot read image bytes: {e}")))?;
    if reader.format().is_none() {
        return Err(Error::decode(format!(
            "unrecognised image format ({} bytes, starting {:02x?}); expected PNG, JPEG, BMP, GIF or WebP",
            bytes.len(),
            &bytes[..bytes.len().min(8)]
        )));
    }
    let budget = max_pixels.saturating_mul(MAX_BYTES_PER_PIXEL).max(MIN_ALLOC_BUDGET);
    let mut limits = Limits::default();
    limits.max_alloc = Some(budget);
    reader.limits(limits);

    // Only the header has been parsed at this point.
    let decoder = reader.into_decoder().map_err(map_image_error)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(Error::decode(format!("image header declares an empty image ({w}x{h})")));
    }
    let pixels = u64::from(w) * u64::from(h);
    if pixels > max_pixels {
        return Err(Error::too_large(format!(
            "image is {w}x{h} = {pixels} pixels, more than the limit of {max_pixels} pixels"
        )));
    }
    let total = decoder.total_bytes();
    if total > budget {
        return Err(Error::too_large(format!(
            "image {w}x{h} needs {total} bytes to decode, more than the budget of {budget} bytes"
        )));
    }
    let img = image::DynamicImage::from_decoder(decoder).map_err(map_image_error)?;
    let (w2, h2) = (img.width(), img.height());
    if (w2, h2) != (w, h) {
        return Err(Error::decode(format!("decoder returned {w2}x{h2} for a {w}x{h} image")));
    }
    Ok((w, h, to_rgb8_like_pillow(img)))
}

/// RGB8 pixels as Pillow's `open(...).convert("RGB")` gives them. Alpha is dropped (no compositing) and grey is
/// replicated, as the `image` crate does too; 16-bit samples differ: Pillow keeps the high byte of 16-bit RGB(A) and
/// grey+alpha PNGs (rawmodes `RGB;16B`, `RGBA;16B`, `LA;16B`) and clips 16-bit grey (`I;16`) to 255, where the
/// `image` crate would round `v / 257`.
fn to_rgb8_like_pillow(img: image::DynamicImage) -> Vec<u8> {
    use image::DynamicImage as D;
    let hi = |v: u16| (v >> 8) as u8;
    match img {
        D::ImageRgb16(b) => b.into_raw().iter().map(|&v| hi(v)).collect(),
        D::ImageRgba16(b) => b.into_raw().chunks_exact(4).flat_map(|p| [hi(p[0]), hi(p[1]), hi(p[2])]).collect(),
        D::ImageLumaA16(b) => b.into_raw().chunks_exact(2).flat_map(|p| [hi(p[0]); 3]).collect(),
        D::ImageLuma16(b) => b.into_raw().iter().flat_map(|&v| [v.min(255) as u8; 3]).collect(),
        other => other.into_rgb8().into_raw(),
    }
}
