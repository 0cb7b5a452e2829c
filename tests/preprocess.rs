//! Preprocessing against the reference tensors in `golden/inputs/` (Pillow 13: convert("RGB"), centred square
//! crop, BILINEAR resize), plus the RGBA path, mirroring, normalisation and error handling.
//!
//! Data dir: env `MOBILENET_DATA`, else `<CARGO_MANIFEST_DIR>/../shared/data`. Native only: it reads the source
//! photos from the data folder at run time.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use mobilenet_wasm::error::ErrorKind;
use mobilenet_wasm::preprocess::*;

const SIZES: [u32; 4] = [128, 160, 192, 224];

fn data_dir() -> PathBuf {
    match std::env::var_os("MOBILENET_DATA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("shared").join("data"),
    }
}

/// (file name, image id, extension) of every test photo, sorted.
fn images() -> Vec<(String, String, String)> {
    let dir = data_dir().join("images");
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let (stem, ext) = name.rsplit_once('.')?;
            let ext = ext.to_ascii_lowercase();
            matches!(ext.as_str(), "png" | "bmp" | "jpg" | "jpeg").then(|| (name.clone(), format!("{stem}_{ext}"), ext))
        })
        .collect();
    v.sort();
    assert_eq!(v.len(), 9, "expected the 9 test photos in {}", dir.display());
    v
}

fn read(p: &PathBuf) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn decode_file(name: &str) -> (u32, u32, Vec<u8>) {
    let bytes = read(&data_dir().join("images").join(name));
    decode_image(&bytes, DEFAULT_MAX_IMAGE_PIXELS).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The exact reference model input, decoded independently with the `image` crate.
fn golden(id: &str, r: u32) -> Vec<u8> {
    let p = data_dir().join("golden").join("inputs").join(format!("{id}_{r}.png"));
    let img = image::load_from_memory_with_format(&read(&p), image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert_eq!((img.width(), img.height()), (r, r), "{}", p.display());
    img.into_rgb8().into_raw()
}

fn preprocess(w: u32, h: u32, px: &[u8], layout: PixelLayout, r: u32, mirror: bool) -> Vec<u8> {
    let mut p = Preprocessor::new(w, h, layout, r).unwrap();
    assert_eq!(p.source_size(), (w, h));
    let mut out = vec![0u8; (r * r * 3) as usize];
    p.run_u8(px, mirror, &mut out).unwrap();
    out
}

fn to_rgba(rgb: &[u8], alpha_seed: u8) -> Vec<u8> {
    let mut v = Vec::with_capacity(rgb.len() / 3 * 4);
    for (i, p) in rgb.chunks_exact(3).enumerate() {
        v.extend_from_slice(p);
        // Vary alpha so that any accidental use of it would show.
        v.push((i as u8).wrapping_mul(37).wrapping_add(alpha_seed));
    }
    v
}

struct Diff {
    max_abs: u8,
    identical: usize,
    total: usize,
}

fn diff(a: &[u8], b: &[u8]) -> Diff {
    assert_eq!(a.len(), b.len());
    let mut d = Diff { max_abs: 0, identical: 0, total: a.len() };
    for (&x, &y) in a.iter().zip(b) {
        let e = x.abs_diff(y);
        d.max_abs = d.max_abs.max(e);
        d.identical += usize::from(e == 0);
    }
    d
}

/// PNG and BMP decoding is lossless, so these prove the crop + resize is Pillow-exact.
#[test]
fn golden_inputs_lossless_sources_are_byte_identical() {
    let mut checked = 0;
    for (name, id, ext) in images() {
        if ext != "png" && ext != "bmp" {
            continue;
        }
        let (w, h, px) = decode_file(&name);
        for r in SIZES {
            let out = preprocess(w, h, &px, PixelLayout::Rgb, r, false);
            let want = golden(&id, r);
            let d = diff(&out, &want);
            assert!(
                d.max_abs == 0,
                "{name} R={r}: {} of {} bytes differ (max abs diff {})",
                d.total - d.identical,
                d.total,
                d.max_abs
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 5 * SIZES.len());
}

/// zune-jpeg (the `image` crate) and libjpeg-turbo (Pillow) differ slightly in IDCT / chroma upsampling; the resize
/// itself is exact, so the remaining difference is the decoder's. Bounds measured on these 4 JPEGs (image 0.25.10 /
/// zune-jpeg 0.5 vs Pillow 13): max abs diff 2 (grace_hopper) or 1 (the others); identical bytes 84.4-84.8 %
/// (grace_hopper.jpg) and 98.6-99.0 % (hot_dog, owl, parrot) at every R.
#[test]
fn golden_inputs_jpeg_sources_are_close() {
    const MAX_ABS_DIFF: u8 = 2;
    let mut checked = 0;
    for (name, id, ext) in images() {
        if ext != "jpg" && ext != "jpeg" {
            continue;
        }
        let (w, h, px) = decode_file(&name);
        for r in SIZES {
            let out = preprocess(w, h, &px, PixelLayout::Rgb, r, false);
            let d = diff(&out, &golden(&id, r));
            let frac = d.identical as f64 / d.total as f64;
            let min_identical = if name == "grace_hopper.jpg" { 0.84 } else { 0.98 };
            println!(
                "{name} R={r}: max abs diff {}, identical bytes {:.4} ({}/{})",
                d.max_abs, frac, d.identical, d.total
            );
            assert!(d.max_abs <= MAX_ABS_DIFF, "{name} R={r}: max abs diff {} > {MAX_ABS_DIFF}", d.max_abs);
            assert!(frac >= min_identical, "{name} R={r}: only {frac:.4} identical bytes < {min_identical}");
            checked += 1;
        }
    }
    assert_eq!(checked, 4 * SIZES.len());
}

#[test]
fn rgba_path_equals_rgb_path() {
    for (name, _, _) in images() {
        let (w, h, px) = decode_file(&name);
        let rgba = to_rgba(&px, 5);
        for r in SIZES {
            let a = preprocess(w, h, &px, PixelLayout::Rgb, r, false);
            let b = preprocess(w, h, &rgba, PixelLayout::Rgba, r, false);
            assert!(a == b, "{name} R={r}: RGBA output differs from RGB output");
        }
    }
}

#[test]
fn mirror_is_an_exact_horizontal_flip() {
    for (name, _, _) in images() {
        let (w, h, px) = decode_file(&name);
        let rgba = to_rgba(&px, 200);
        for r in [224u32, 7, 1] {
            let plain = preprocess(w, h, &px, PixelLayout::Rgb, r, false);
            let mirrored = preprocess(w, h, &rgba, PixelLayout::Rgba, r, true);
            let ru = r as usize;
            for y in 0..ru {
                for x in 0..ru {
                    let a = &plain[(y * ru + x) * 3..][..3];
                    let b = &mirrored[(y * ru + (ru - 1 - x)) * 3..][..3];
                    assert_eq!(a, b, "{name} R={r} pixel ({x},{y})");
                }
            }
        }
    }
}

#[test]
fn plan_is_reusable_and_deterministic() {
    let (w, h, px) = decode_file("chelsea.png");
    let mut p = Preprocessor::new(w, h, PixelLayout::Rgb, 224).unwrap();
    let mut a = vec![0u8; 224 * 224 * 3];
    let mut b = vec![0u8; 224 * 224 * 3];
    p.run_u8(&px, false, &mut a).unwrap();
    p.run_u8(&px, true, &mut b).unwrap();
    p.run_u8(&px, false, &mut b).unwrap();
    assert!(a == b);
    assert_eq!(a, golden("chelsea_png", 224));
}

/// Constant frames stay constant through every crop/resize geometry (downscale, upscale, identity, odd offsets),
/// and the crop takes the centred square with floor offsets.
#[test]
fn constant_and_geometry() {
    for &(w, h, r) in &[
        (640u32, 480u32, 224u32),
        (480, 640, 224),
        (1, 1, 224),
        (3, 2, 5),
        (224, 300, 224),
        (17, 16, 16),
        (33, 40, 128),
        (2000, 1, 1),
    ] {
        let mut px = vec![0u8; (w * h * 4) as usize];
        for p in px.chunks_exact_mut(4) {
            p.copy_from_slice(&[200, 17, 99, 0]);
        }
        let out = preprocess(w, h, &px, PixelLayout::Rgba, r, false);
        for p in out.chunks_exact(3) {
            assert_eq!(p, &[200, 17, 99], "{w}x{h} -> {r}");
        }
    }
    // Identity geometry: a 6x4 frame cropped to its centre 4x4 at left = 1, with R = 4, is copied unchanged.
    let (w, h) = (6u32, 4u32);
    let px: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 251) as u8).collect();
    let out = preprocess(w, h, &px, PixelLayout::Rgb, 4, false);
    let mut want = Vec::new();
    for y in 0..4usize {
        want.extend_from_slice(&px[(y * 6 + 1) * 3..(y * 6 + 5) * 3]);
    }
    assert_eq!(out, want);
    let p = Preprocessor::new(7, 10, PixelLayout::Rgb, 3).unwrap();
    assert_eq!(p.crop_rect(), (0, 1, 7));
    let p = Preprocessor::new(10, 7, PixelLayout::Rgb, 3).unwrap();
    assert_eq!(p.crop_rect(), (1, 0, 7));
}

#[test]
fn normalize_exact_values() {
    let mut out = [0f32; 4];
    normalize_to_f32(&[0, 127, 128, 255], &mut out);
    assert_eq!(out[0].to_bits(), (-1.0f32).to_bits());
    // (127 - 127.5) / 127.5 = -1/255 correctly rounded to f32 = -0x3B808081.
    assert_eq!(out[1].to_bits(), 0xBB80_8081);
    assert_eq!(out[2].to_bits(), 0x3B80_8081);
    assert_eq!(out[3].to_bits(), 1.0f32.to_bits());
    // All 256 values are the f32 operation (no fused or f64 shortcut).
    let all: Vec<u8> = (0..=255).collect();
    let mut v = vec![0f32; 256];
    normalize_to_f32(&all, &mut v);
    for (p, &x) in v.iter().enumerate() {
        assert_eq!(x.to_bits(), ((p as f32 - 127.5f32) / 127.5f32).to_bits());
        assert_eq!(-x, v[255 - p]);
    }
    // Length mismatch: converts the common prefix, no panic.
    let mut short = [9f32; 2];
    normalize_to_f32(&[255, 0, 0], &mut short);
    assert_eq!(short, [1.0, -1.0]);
}

fn kind<T: std::fmt::Debug>(r: mobilenet_wasm::error::Result<T>) -> (ErrorKind, String) {
    let e = r.expect_err("expected an error");
    (e.kind(), e.message().to_string())
}

#[test]
fn new_rejects_bad_sizes() {
    for (w, h, r) in [(0u32, 480u32, 224u32), (640, 0, 224), (640, 480, 0)] {
        let (k, m) = kind(Preprocessor::new(w, h, PixelLayout::Rgba, r));
        assert_eq!(k, ErrorKind::InvalidArgument, "{w}x{h}->{r}: {m}");
    }
    let (k, m) = kind(Preprocessor::new(16385, 10, PixelLayout::Rgba, 224));
    assert_eq!(k, ErrorKind::TooLarge);
    assert!(m.contains("16385"), "{m}");
    let (k, m) = kind(Preprocessor::new(10, u32::MAX, PixelLayout::Rgb, 224));
    assert_eq!(k, ErrorKind::TooLarge, "{m}");
    // 16384 x 16384 is within the per-side cap but above the pixel cap.
    let (k, m) = kind(Preprocessor::new(16384, 16384, PixelLayout::Rgba, 224));
    assert_eq!(k, ErrorKind::TooLarge);
    assert!(m.contains("268435456"), "{m}");
    let (k, _) = kind(Preprocessor::new(640, 480, PixelLayout::Rgba, 100_000));
    assert_eq!(k, ErrorKind::TooLarge);
}

#[test]
fn run_rejects_wrong_buffer_lengths() {
    let mut p = Preprocessor::new(640, 480, PixelLayout::Rgba, 224).unwrap();
    let mut out = vec![0u8; 224 * 224 * 3];
    let (k, m) = kind(p.run_u8(&vec![0u8; 640 * 480 * 3], false, &mut out));
    assert_eq!(k, ErrorKind::InvalidArgument);
    assert!(m.contains("921600") && m.contains("1228800"), "{m}");
    let (k, _) = kind(p.run_u8(&[], false, &mut out));
    assert_eq!(k, ErrorKind::InvalidArgument);
    let (k, m) = kind(p.run_u8(&vec![0u8; 640 * 480 * 4], false, &mut out[..100]));
    assert_eq!(k, ErrorKind::InvalidArgument);
    assert!(m.contains("150528"), "{m}");
    // Still usable after errors.
    p.run_u8(&vec![0u8; 640 * 480 * 4], false, &mut out).unwrap();
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

fn push_chunk(v: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let mut chunk = kind.to_vec();
    chunk.extend_from_slice(data);
    v.extend_from_slice(&(data.len() as u32).to_be_bytes());
    v.extend_from_slice(&chunk);
    v.extend_from_slice(&crc32(&chunk).to_be_bytes());
}

/// A well-formed PNG container declaring `w`x`h` RGB8 whose IDAT holds only a tiny stored zlib block
/// (far too little data): the header is valid, the pixels are missing.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut v = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    push_chunk(&mut v, b"IHDR", &ihdr);
    push_chunk(&mut v, b"IDAT", &[0x78, 0x01, 0x01, 0x01, 0x00, 0xFE, 0xFF, 0x00]);
    push_chunk(&mut v, b"IEND", &[]);
    v
}

#[test]
fn decode_errors() {
    let (k, _) = kind(decode_image(&[], DEFAULT_MAX_IMAGE_PIXELS));
    assert_eq!(k, ErrorKind::InvalidArgument);

    let garbage: Vec<u8> = (0..1000u32).map(|i| (i * 31 % 256) as u8).collect();
    let (k, m) = kind(decode_image(&garbage, DEFAULT_MAX_IMAGE_PIXELS));
    assert_eq!(k, ErrorKind::Decode, "{m}");
    let (k, _) = kind(decode_image(b"hello", DEFAULT_MAX_IMAGE_PIXELS));
    assert_eq!(k, ErrorKind::Decode);

    let png = read(&data_dir().join("images").join("chelsea.png"));
    for cut in [8usize, 20, 33, 100, png.len() / 2, png.len() - 20] {
        let (k, m) = kind(decode_image(&png[..cut], DEFAULT_MAX_IMAGE_PIXELS));
        assert_eq!(k, ErrorKind::Decode, "PNG cut at {cut}: {m}");
    }
    let jpg = read(&data_dir().join("images").join("owl.jpg"));
    let r = decode_image(&jpg[..jpg.len() / 2], DEFAULT_MAX_IMAGE_PIXELS);
    // Some JPEG decoders pad truncated scans; either a Decode error or a full-size image is acceptable, never a panic.
    if let Err(e) = r {
        assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    }
    let bmp = read(&data_dir().join("images").join("cat.bmp"));
    let (k, m) = kind(decode_image(&bmp[..bmp.len() / 2], DEFAULT_MAX_IMAGE_PIXELS));
    assert_eq!(k, ErrorKind::Decode, "{m}");

    // Too large for the caller's limit: refused from the header.
    let (k, m) = kind(decode_image(&png, 451 * 300 - 1));
    assert_eq!(k, ErrorKind::TooLarge);
    assert!(m.contains("451x300"), "{m}");
    assert!(decode_image(&png, 451 * 300).is_ok());

    // A header declaring 100000 x 100000 with no pixel data: TooLarge, not a decode attempt.
    let (k, m) = kind(decode_image(&png_header_only(100_000, 100_000), DEFAULT_MAX_IMAGE_PIXELS));
    assert_eq!(k, ErrorKind::TooLarge, "{m}");
    assert!(m.contains("100000x100000"), "{m}");
    // The same header within limits but without data: Decode.
    let (k, m) = kind(decode_image(&png_header_only(64, 64), DEFAULT_MAX_IMAGE_PIXELS));
    assert_eq!(k, ErrorKind::Decode, "{m}");
}

#[test]
fn decode_other_formats_roundtrip() {
    // GIF / RGBA PNG / grey PNG produced by the image crate decode to the expected RGB.
    use image::{ImageFormat, RgbImage, RgbaImage};
    let mut rgba = RgbaImage::new(5, 3);
    for (i, p) in rgba.pixels_mut().enumerate() {
        *p = image::Rgba([i as u8 * 10, 255 - i as u8, 7, (i * 50 % 256) as u8]);
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    rgba.write_to(&mut buf, ImageFormat::Png).unwrap();
    let (w, h, px) = decode_image(buf.get_ref(), DEFAULT_MAX_IMAGE_PIXELS).unwrap();
    assert_eq!((w, h), (5, 3));
    let want: Vec<u8> = rgba.pixels().flat_map(|p| [p.0[0], p.0[1], p.0[2]]).collect();
    assert_eq!(px, want);

    let mut rgb = RgbImage::new(4, 4);
    for p in rgb.pixels_mut() {
        *p = image::Rgb([255, 0, 0]);
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    rgb.write_to(&mut buf, ImageFormat::Gif).unwrap();
    let (w, h, px) = decode_image(buf.get_ref(), DEFAULT_MAX_IMAGE_PIXELS).unwrap();
    assert_eq!((w, h), (4, 4));
    assert!(px.chunks_exact(3).all(|p| p == [255, 0, 0]));
}

/// 16-bit PNGs follow Pillow: high byte of RGB / RGBA / grey+alpha samples, grey clipped to 255.
#[test]
fn decode_16_bit_png_like_pillow() {
    use image::{ImageBuffer, ImageFormat, Luma, LumaA, Rgb, Rgba};
    fn png<P: image::PixelWithColorType<Subpixel = u16>>(img: ImageBuffer<P, Vec<u16>>) -> Vec<u8>
    where
        [P::Subpixel]: image::EncodableLayout,
    {
        let mut buf = std::io::Cursor::new(Vec::new());
        img.write_to(&mut buf, ImageFormat::Png).unwrap();
        buf.into_inner()
    }
    let vals = [0u16, 1, 255, 256, 0x7FFF, 0x80FF, 0xFF00, 0xFFFF];
    let hi: Vec<u8> = vals.iter().map(|v| (v >> 8) as u8).collect();

    let rgb = ImageBuffer::from_fn(8, 1, |x, _| Rgb([vals[x as usize], vals[7 - x as usize], 300]));
    let (_, _, px) = decode_image(&png(rgb), DEFAULT_MAX_IMAGE_PIXELS).unwrap();
    for x in 0..8 {
        assert_eq!(&px[x * 3..x * 3 + 3], &[hi[x], hi[7 - x], 1]);
    }
    let rgba = ImageBuffer::from_fn(8, 1, |x, _| Rgba([vals[x as usize], 0xABCD, 0, 7]));
    let (_, _, px) = decode_image(&png(rgba), DEFAULT_MAX_IMAGE_PIXELS).unwrap();
    for x in 0..8 {
        assert_eq!(&px[x * 3..x * 3 + 3], &[hi[x], 0xAB, 0]);
    }
    let la = ImageBuffer::from_fn(8, 1, |x, _| LumaA([vals[x as usize], 0]));
    let (_, _, px) = decode_image(&png(la), DEFAULT_MAX_IMAGE_PIXELS).unwrap();
    for x in 0..8 {
        assert_eq!(&px[x * 3..x * 3 + 3], &[hi[x]; 3]);
    }
    let l = ImageBuffer::from_fn(8, 1, |x, _| Luma([vals[x as usize]]));
    let (_, _, px) = decode_image(&png(l), DEFAULT_MAX_IMAGE_PIXELS).unwrap();
    for x in 0..8 {
        assert_eq!(&px[x * 3..x * 3 + 3], &[vals[x].min(255) as u8; 3]);
    }
}
