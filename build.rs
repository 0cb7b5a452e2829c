//! Embeds the default ImageNet labels from `$MOBILENET_DATA/labels` (never copied into the repository) so the
//! package works with no labels argument. Without the data folder the build still succeeds with an empty list,
//! and models then report "class N".
use std::{env, fs, path::PathBuf};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let data = env::var("MOBILENET_DATA").map(PathBuf::from).unwrap_or_else(|_| manifest.join("../shared/data"));
    let src = data.join("labels/imagenet_labels_1001.txt");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("imagenet_labels_1001.txt");
    let text = fs::read_to_string(&src).unwrap_or_else(|_| {
        println!("cargo:warning=no labels at {}: set MOBILENET_DATA; building without default labels", src.display());
        String::new()
    });
    fs::write(out, text).unwrap();
    println!("cargo:rerun-if-env-changed=MOBILENET_DATA");
    println!("cargo:rerun-if-changed={}", src.display());
    // Where tests find the golden data (also compiled into wasm tests with include_bytes!).
    println!("cargo:rustc-env=MOBILENET_DATA_DIR={}", data.canonicalize().unwrap_or(data).display());
}
