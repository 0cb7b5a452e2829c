//! 150 ImageNet sample JPEGs through the project's own pipeline (decode → centre crop → Pillow-style bilinear
//! resize → model), compared with TFLite's top-1 on Pillow-preprocessed inputs. Exact equality is not expected
//! (JPEG decoders differ slightly); agreement is reported and held above a floor. Native only: it reads the
//! JPEGs from `$MOBILENET_DATA/samples_dev` at run time.
#![cfg(not(target_arch = "wasm32"))]

use mobilenet_wasm::Classifier;
use std::path::PathBuf;

/// Top-1 agreement floors, per model. The resize is Pillow-exact (PNG/BMP inputs give byte-identical tensors), so
/// what remains is the JPEG decoder: the `image` crate's differs from libjpeg-turbo by ±1–2 on some pixels, and
/// the small uint8 models, whose outputs tie often, flip top-1 on near-ties (measured: 0.25/128 143/150,
/// 0.5/160 141/150; every one of our top-1s is in TFLite's top-5). For scale, TFLite's own XNNPACK path agrees
/// with its reference kernels on 141/150 and 144/150 of these images.
const FLOOR_LARGE: f64 = 0.97;
const FLOOR_SMALL_QUANT: f64 = 0.93;

fn dir() -> PathBuf {
    std::env::var("MOBILENET_DATA").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from(env!("MOBILENET_DATA_DIR")))
}

fn agreement(model: &str) -> f64 {
    let data = dir();
    let bytes = std::fs::read(data.join(format!("models/{model}.tflite"))).expect("model file");
    let mut clf = Classifier::new(&bytes, None).unwrap();
    let csv = std::fs::read_to_string(data.join(format!("samples_dev/reference_{model}.csv"))).unwrap();
    let (mut same, mut total, mut top5_hits) = (0, 0, 0);
    for line in csv.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let want_top1: usize = cols[1].parse().unwrap();
        let want_top5: Vec<usize> = cols[1..6].iter().map(|c| c.parse().unwrap()).collect();
        let jpeg = std::fs::read(data.join("samples_dev").join(cols[0])).unwrap();
        let got = clf.classify_image(&jpeg, 5).unwrap();
        total += 1;
        same += usize::from(got[0].index == want_top1);
        top5_hits += usize::from(want_top5.contains(&got[0].index));
    }
    assert_eq!(total, 150);
    let a = same as f64 / total as f64;
    println!("samples_dev {model}: top-1 agrees with TFLite on {same}/{total} = {:.1}% (our top-1 within its top-5: {top5_hits}/{total})", a * 100.0);
    a
}

macro_rules! agreement_test {
    ($name:ident, $model:literal, $floor:expr) => {
        #[test]
        fn $name() {
            let a = agreement($model);
            assert!(a >= $floor, "{}: top-1 agreement {:.1}% below {:.0}%", $model, a * 100.0, $floor * 100.0);
        }
    };
}

agreement_test!(samples_dev_1_0_224_quant, "mobilenet_v1_1.0_224_quant", FLOOR_LARGE);
agreement_test!(samples_dev_0_75_192_quant, "mobilenet_v1_0.75_192_quant", FLOOR_LARGE);
agreement_test!(samples_dev_0_5_160_quant, "mobilenet_v1_0.5_160_quant", FLOOR_SMALL_QUANT);
agreement_test!(samples_dev_0_25_128_quant, "mobilenet_v1_0.25_128_quant", FLOOR_SMALL_QUANT);
agreement_test!(samples_dev_0_25_224_float, "mobilenet_v1_0.25_224", FLOOR_LARGE);
