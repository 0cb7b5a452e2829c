//! Writes generated seed inputs into a corpus root: `write_seeds <dir>` fills `<dir>/model_bytes` with tiny
//! MobileNets (uint8 and float, every head) and `<dir>/classify_image` with tiny images in every enabled format.
//! `./build.sh fuzz` runs it and copies the real models and images beside them; nothing here is committed.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageBuffer, ImageFormat, Luma, LumaA, Rgb, Rgba};
use mobilenet_wasm_fuzz::tiny_mobilenet::{Head, TinyNet};

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).expect("create corpus dir");
    std::fs::write(dir.join(name), bytes).expect("write seed");
}

fn main() {
    let root = std::env::args().nth(1).expect("usage: write_seeds <corpus-root>");
    let root = Path::new(&root);
    let mut n = 0;
    for float in [false, true] {
        for (head, h) in [(Head::Direct, "direct"), (Head::Reshape, "reshape"), (Head::Squeeze, "squeeze")] {
            for (size, blocks) in [(1, vec![(1, 3)]), (8, vec![(1, 6), (2, 8)]), (17, vec![(2, 3), (1, 5), (2, 4)])] {
                let net = TinyNet { float, input_size: size, blocks, head, ..TinyNet::default() };
                write(&root.join("model_bytes"), &format!("tiny_{}_{h}_{size}.tflite", if float { "f32" } else { "u8" }), &net.to_tflite());
                n += 1;
            }
        }
    }
    let gradient = |w: u32, h: u32| ImageBuffer::from_fn(w, h, |x, y| Rgb([(x * 16) as u8, (y * 16) as u8, ((x + y) * 8) as u8]));
    let images: Vec<(&str, DynamicImage, ImageFormat)> = vec![
        ("rgb.png", DynamicImage::ImageRgb8(gradient(13, 9)), ImageFormat::Png),
        ("rgba.png", DynamicImage::ImageRgba8(ImageBuffer::from_fn(7, 11, |x, y| Rgba([x as u8 * 30, y as u8 * 20, 9, 128]))), ImageFormat::Png),
        ("gray.png", DynamicImage::ImageLuma8(ImageBuffer::from_fn(5, 5, |x, y| Luma([(x * y * 10) as u8]))), ImageFormat::Png),
        ("gray_alpha.png", DynamicImage::ImageLumaA8(ImageBuffer::from_fn(4, 6, |x, y| LumaA([(x + y) as u8 * 20, 200]))), ImageFormat::Png),
        ("rgb16.png", DynamicImage::ImageRgb16(ImageBuffer::from_fn(6, 4, |x, y| Rgb([x as u16 * 9000, y as u16 * 9000, 65535]))), ImageFormat::Png),
        ("rgb.jpg", DynamicImage::ImageRgb8(gradient(16, 12)), ImageFormat::Jpeg),
        ("rgb.bmp", DynamicImage::ImageRgb8(gradient(5, 3)), ImageFormat::Bmp),
        ("rgba.gif", DynamicImage::ImageRgba8(ImageBuffer::from_fn(6, 6, |x, y| Rgba([x as u8 * 40, y as u8 * 40, 0, 255]))), ImageFormat::Gif),
        ("rgb.webp", DynamicImage::ImageRgb8(gradient(9, 7)), ImageFormat::WebP),
    ];
    for (name, img, format) in images {
        let mut buf = Cursor::new(Vec::new());
        img.write_to(&mut buf, format).unwrap_or_else(|e| panic!("encode {name}: {e}"));
        write(&root.join("classify_image"), name, buf.get_ref());
        n += 1;
    }
    println!("wrote {n} seeds under {}", root.display());
}
