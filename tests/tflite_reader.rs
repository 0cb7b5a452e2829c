//! `.tflite` reader: the six real MobileNet V1 files parse into the expected graphs; hostile, truncated and
//! bit-flipped inputs give typed errors (never a panic, never a huge allocation).
//! Data: `$MOBILENET_DATA` (default `<crate>/../shared/data`).

use mobilenet_wasm::error::ErrorKind;
use mobilenet_wasm::tflite::{parse, Activation, BuiltinOp, Graph, OpOptions, Padding, TensorType};
use std::path::PathBuf;

#[path = "tflite_reader/builder.rs"]
mod builder;
use builder::{build, conv_spec, Spec, TOp, TTensor, F, WEIGHTS};

fn data_dir() -> PathBuf {
    std::env::var_os("MOBILENET_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"))
}

fn read(rel: &str) -> Vec<u8> {
    let p = data_dir().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn kind(bytes: &[u8]) -> Option<ErrorKind> {
    parse(bytes).err().map(|e| e.kind())
}

fn elements(shape: &[i32]) -> usize {
    shape.iter().map(|&d| d as usize).product()
}

/// Invariants the reader promises for every graph it returns (checked independently of its code).
fn check_invariants(g: &Graph<'_>) {
    let n = g.tensors.len() as i32;
    for t in &g.tensors {
        assert!(t.buffer < g.buffers.len(), "buffer index");
        assert!(t.shape.len() <= 8 && t.shape.iter().all(|&d| d >= 0), "shape {:?}", t.shape);
        let data = g.data(t);
        if let (false, Some(sz)) = (data.is_empty(), t.ty.size()) {
            assert_eq!(data.len(), elements(&t.shape) * sz, "tensor '{}'", t.name);
        }
        if let Some(q) = &t.quantization {
            assert!(!q.scale.is_empty() && q.scale.len() == q.zero_point.len());
        }
    }
    for op in &g.operators {
        assert!(op.inputs.iter().all(|&i| (-1..n).contains(&i)));
        assert!(op.outputs.iter().all(|&i| (0..n).contains(&i)));
    }
    assert!(g.inputs.iter().chain(&g.outputs).all(|&i| (0..n).contains(&i)));
}

// ---------------------------------------------------------------------------------------------------------------
// The real models

struct Expect {
    file: &'static str,
    alpha: f64,
    res: i32,
    float: bool,
    squeeze: bool,
    params: usize,
    description: &'static str,
}

fn check_real_model(e: &Expect) {
    let bytes = read(e.file);
    let g = parse(&bytes).unwrap_or_else(|err| panic!("{}: {err}", e.file));
    check_invariants(&g);
    assert_eq!(g.version, 3);
    assert!(g.description.starts_with(e.description), "{}: description {:?}", e.file, g.description);

    // Op sequence.
    use BuiltinOp::*;
    let mut want = vec![Conv2d];
    for _ in 0..13 {
        want.extend([DepthwiseConv2d, Conv2d]);
    }
    want.extend([AveragePool2d, Conv2d, if e.squeeze { Squeeze } else { Reshape }, Softmax]);
    let got: Vec<BuiltinOp> = g.operators.iter().map(|o| o.op).collect();
    assert_eq!(got, want, "{}", e.file);

    // Wiring: a chain from the graph input to the graph output.
    assert_eq!(g.inputs.len(), 1);
    assert_eq!(g.outputs.len(), 1);
    assert_eq!(g.operators[0].inputs[0], g.inputs[0]);
    for w in g.operators.windows(2) {
        assert_eq!(w[1].inputs[0], w[0].outputs[0]);
    }
    assert_eq!(g.operators[30].outputs[0], g.outputs[0]);

    // Input / output tensors.
    let (ty, q_in, q_out) = if e.float {
        (TensorType::Float32, None, None)
    } else {
        (TensorType::UInt8, Some((0.0078125f32, 128i64)), Some((0.00390625f32, 0i64)))
    };
    let input = &g.tensors[g.inputs[0] as usize];
    assert_eq!(input.name, "input");
    assert_eq!(input.shape, vec![1, e.res, e.res, 3]);
    assert_eq!(input.ty, ty);
    let q = |t: &mobilenet_wasm::tflite::Tensor| t.quantization.as_ref().map(|q| (q.scale[0], q.zero_point[0]));
    assert_eq!(q(input), q_in);
    let output = &g.tensors[g.outputs[0] as usize];
    assert_eq!(output.name, "MobilenetV1/Predictions/Reshape_1");
    assert_eq!(output.shape, vec![1, 1001]);
    assert_eq!(output.ty, ty);
    assert_eq!(q(output), q_out);

    // First conv: 3×3 stride 2 SAME, RELU6, weights [round(32α),3,3,3].
    let c0 = &g.tensors[g.operators[0].inputs[1] as usize];
    assert_eq!(c0.shape, vec![(32.0 * e.alpha).round() as i32, 3, 3, 3]);
    assert_eq!(c0.ty, ty);
    match g.operators[0].options {
        OpOptions::Conv2d {
            padding,
            stride_w: 2,
            stride_h: 2,
            activation: Activation::Relu6,
            dilation_w: 1,
            dilation_h: 1,
        } => {
            assert_eq!(padding, Padding::Same)
        }
        ref o => panic!("op 0 options {o:?}"),
    }
    // Body: RELU6 everywhere, stride 1 except the four downsampling depthwise layers.
    for (i, op) in g.operators.iter().enumerate().take(27).skip(1) {
        let (act, stride) = match op.options {
            OpOptions::Conv2d { activation, stride_w, dilation_w: 1, dilation_h: 1, .. } => (activation, stride_w),
            OpOptions::DepthwiseConv2d { activation, stride_w, depth_multiplier: 1, dilation_w: 1, .. } => {
                (activation, stride_w)
            }
            ref o => panic!("op {i} options {o:?}"),
        };
        assert_eq!(act, Activation::Relu6, "op {i}");
        let downsample = matches!(i, 3 | 7 | 11 | 23);
        assert_eq!(stride, if downsample { 2 } else { 1 }, "op {i} stride");
    }
    let k = (e.res + 31) / 32;
    assert!(matches!(
        g.operators[27].options,
        OpOptions::Pool2d { padding: Padding::Valid, filter_w, filter_h, activation: Activation::None, .. } if filter_w == k && filter_h == k
    ));
    // Logits: 1×1 conv 1024α → 1001, no activation.
    assert!(matches!(g.operators[28].options, OpOptions::Conv2d { activation: Activation::None, stride_w: 1, .. }));
    let logits_w = &g.tensors[g.operators[28].inputs[1] as usize];
    assert_eq!(logits_w.shape, vec![1001, 1, 1, (1024.0 * e.alpha).round() as i32]);
    match &g.operators[29].options {
        OpOptions::Squeeze { squeeze_dims } => assert_eq!(squeeze_dims, &vec![1, 2]),
        OpOptions::Reshape { new_shape } => assert_eq!(new_shape, &vec![1, 1001]),
        // MLIR-converted files give the target shape only as a second (constant int32) input.
        OpOptions::None => {
            let shape_t = &g.tensors[g.operators[29].inputs[1] as usize];
            assert_eq!((shape_t.ty, g.data(shape_t)), (TensorType::Int32, &[1u8, 0, 0, 0, 0xe9, 3, 0, 0][..]));
        }
        o => panic!("op 29 options {o:?}"),
    }
    assert_eq!(g.operators[30].options, OpOptions::Softmax { beta: 1.0 });

    // Constant data: every conv weight and bias has data of exactly shape × element size; parameter count
    // matches SOURCES.md / README.md.
    let mut params = 0;
    for op in g.operators.iter().filter(|o| matches!(o.op, BuiltinOp::Conv2d | BuiltinOp::DepthwiseConv2d)) {
        for &ti in &op.inputs[1..3] {
            let t = &g.tensors[ti as usize];
            let want_ty = if e.float {
                TensorType::Float32
            } else if ti == op.inputs[2] {
                TensorType::Int32
            } else {
                TensorType::UInt8
            };
            assert_eq!(t.ty, want_ty, "tensor '{}'", t.name);
            assert_eq!(g.data(t).len(), elements(&t.shape) * t.ty.size().unwrap(), "tensor '{}'", t.name);
            params += elements(&t.shape);
        }
    }
    assert_eq!(params, e.params, "{}", e.file);
    for t in &g.tensors {
        let d = g.data(t);
        assert!(d.is_empty() || d.len() == elements(&t.shape) * t.ty.size().unwrap(), "tensor '{}'", t.name);
    }
}

macro_rules! real_model_test {
    ($name:ident, $file:expr, $alpha:expr, $res:expr, $float:expr, $squeeze:expr, $params:expr, $desc:expr) => {
        #[test]
        fn $name() {
            check_real_model(&Expect {
                file: $file,
                alpha: $alpha,
                res: $res,
                float: $float,
                squeeze: $squeeze,
                params: $params,
                description: $desc,
            });
        }
    };
}

real_model_test!(
    real_1_0_224_quant,
    "models/mobilenet_v1_1.0_224_quant.tflite",
    1.0,
    224,
    false,
    false,
    4_222_057,
    "MobileNet V1 1.0 224 quant"
);
real_model_test!(
    real_0_75_192_quant,
    "models/mobilenet_v1_0.75_192_quant.tflite",
    0.75,
    192,
    false,
    false,
    2_578_121,
    "MLIR Converted."
);
real_model_test!(
    real_0_5_160_quant,
    "models/mobilenet_v1_0.5_160_quant.tflite",
    0.5,
    160,
    false,
    false,
    1_326_633,
    "MLIR Converted."
);
real_model_test!(
    real_0_25_128_quant,
    "models/mobilenet_v1_0.25_128_quant.tflite",
    0.25,
    128,
    false,
    false,
    467_593,
    "MLIR Converted."
);
real_model_test!(
    real_0_25_224_float,
    "models/mobilenet_v1_0.25_224.tflite",
    0.25,
    224,
    true,
    true,
    467_593,
    "TOCO Converted."
);
real_model_test!(
    real_1_0_224_float_dequant,
    "bench-models/mobilenet_v1_1.0_224_float_dequant.tflite",
    1.0,
    224,
    true,
    false,
    4_222_057,
    "BENCH-ONLY float32"
);

// ---------------------------------------------------------------------------------------------------------------
// Rejections of broken real files

const SMALL: &str = "models/mobilenet_v1_0.25_128_quant.tflite";

#[test]
fn rejects_short_and_foreign_bytes() {
    assert_eq!(kind(&[]), Some(ErrorKind::Truncated));
    assert_eq!(kind(&[1, 2, 3]), Some(ErrorKind::Truncated));
    assert_eq!(kind(b"\x1c\0\0\0TFL"), Some(ErrorKind::Truncated));
    assert_eq!(kind(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(ErrorKind::NotTflite));
    assert_eq!(kind(b"PK\x03\x04\x14\0\0\0\0\0"), Some(ErrorKind::NotTflite));
    let mut bytes = read(SMALL);
    bytes[4..8].copy_from_slice(b"TFL2");
    let err = parse(&bytes).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotTflite);
    assert!(err.message().contains("TFL2"), "{}", err.message());
    // Header only: the root offset points past the end.
    assert_eq!(kind(b"\x00\x10\0\0TFL3"), Some(ErrorKind::Truncated));
    assert_eq!(kind(b"\xff\xff\xff\xffTFL3"), Some(ErrorKind::Truncated));
}

/// Offset of the zip appended after the flatbuffer (labels), if any.
fn zip_start(bytes: &[u8], from: usize) -> Option<usize> {
    bytes.get(from..)?.windows(4).position(|w| w == b"PK\x03\x04").map(|p| p + from)
}

#[test]
fn truncation_is_reported_and_the_appended_zip_is_ignored() {
    let bytes = read(SMALL);
    let g = parse(&bytes).unwrap();
    let base = bytes.as_ptr() as usize;
    let data_end =
        g.buffers.iter().filter(|d| !d.is_empty()).map(|d| d.as_ptr() as usize - base + d.len()).max().unwrap();
    // In this file the tables follow the weights; the flatbuffer ends exactly where the labels zip begins.
    let fb_end = zip_start(&bytes, data_end).expect("appended zip");
    assert!(fb_end < bytes.len());
    let mut cuts: Vec<usize> = (0..=64).collect();
    cuts.extend((0..bytes.len()).step_by(997));
    for c in [540, data_end, fb_end] {
        cuts.extend(c.saturating_sub(40)..(c + 40).min(bytes.len() + 1));
    }
    cuts.push(bytes.len());
    for &n in &cuts {
        let r = parse(&bytes[..n]);
        if n < fb_end {
            let e = r.expect_err("truncated flatbuffer parsed");
            assert_eq!(e.kind(), ErrorKind::Truncated, "cut at {n}: {e}");
        } else {
            let g2 = r.unwrap_or_else(|e| panic!("cut at {n} (zip only): {e}"));
            assert_eq!(g2.tensors, g.tensors);
        }
    }
}

/// Deterministic xorshift64*.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const NASTY: [u32; 8] = [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xfff0, 0x0010_0000, 0xffff_fffc];

#[test]
fn random_mutations_never_panic() {
    let mut bytes = read(SMALL);
    let g = parse(&bytes).unwrap();
    let base = bytes.as_ptr() as usize;
    // Mutate the structure (header, tables, vectors, strings), not the inside of big weight arrays.
    let big: Vec<(usize, usize)> =
        g.buffers.iter().filter(|d| d.len() >= 64).map(|d| (d.as_ptr() as usize - base, d.len())).collect();
    drop(g);
    let fb_end = zip_start(&bytes, big.iter().map(|(s, l)| s + l).max().unwrap()).unwrap();
    let targets: Vec<usize> = (0..fb_end).filter(|&p| !big.iter().any(|&(s, l)| p >= s + 8 && p < s + l)).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut errs) = (0, std::collections::HashMap::new());
    for _ in 0..2000 {
        let saved = bytes.clone();
        let edits = 1 + rng.below(3);
        for _ in 0..edits {
            let p = targets[rng.below(targets.len())];
            match rng.below(3) {
                0 => bytes[p] ^= 1 << rng.below(8),
                1 => bytes[p] = rng.next() as u8,
                _ => {
                    let p = p & !3;
                    bytes[p..p + 4].copy_from_slice(&NASTY[rng.below(NASTY.len())].to_le_bytes());
                }
            }
        }
        match parse(&bytes) {
            Ok(g) => {
                check_invariants(&g);
                ok += 1;
            }
            Err(e) => *errs.entry(e.kind()).or_insert(0) += 1,
        }
        bytes.copy_from_slice(&saved);
    }
    eprintln!("mutations: {ok} parsed, errors {errs:?}");
    assert!(errs.values().sum::<usize>() > 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Hand-built flatbuffers (see `tflite_reader/builder.rs`)

fn err_of(s: &Spec) -> (ErrorKind, String) {
    let e = parse(&build(s)).expect_err("should be rejected");
    (e.kind(), e.message().to_string())
}

#[test]
fn hand_built_model_reads_back() {
    let bytes = build(&conv_spec());
    let g = parse(&bytes).unwrap();
    check_invariants(&g);
    assert_eq!((g.version, g.description.as_str()), (3, "hand-built"));
    assert_eq!(g.tensors[1].shape, vec![2, 1, 1, 3]);
    assert_eq!(g.data(&g.tensors[1]), &WEIGHTS);
    assert_eq!(g.tensors[2].ty, TensorType::Int32);
    let q = g.tensors[0].quantization.as_ref().unwrap();
    assert_eq!((q.scale.clone(), q.zero_point.clone(), q.quantized_dimension), (vec![0.5], vec![128], 0));
    assert_eq!(g.operators[0].op, BuiltinOp::Conv2d);
    // dilation is absent in the file: schema default 1.
    let want = OpOptions::Conv2d {
        padding: Padding::Valid,
        stride_w: 2,
        stride_h: 2,
        activation: Activation::Relu6,
        dilation_w: 1,
        dilation_h: 1,
    };
    assert_eq!(g.operators[0].options, want);
}

#[test]
fn opcode_codes_options_and_quantisation_variants() {
    // Only the new 32-bit field set; a code ≥ 127 (placeholder in the old field); a custom op.
    let mut s = conv_spec();
    s.codes = vec![(0, 3), (127, 150), (32, 32)];
    s.ops.push(TOp { opcode: 1, inputs: vec![3], outputs: vec![3], tag: 0, options: None });
    s.ops.push(TOp { opcode: 2, inputs: vec![-1], outputs: vec![3], tag: 0, options: None });
    s.tensors[3].quant = Some((vec![], vec![], 0)); // empty scale → None
    let bytes = build(&s);
    let g = parse(&bytes).unwrap();
    let ops: Vec<_> = g.operators.iter().map(|o| o.op).collect();
    assert_eq!(ops, vec![BuiltinOp::Conv2d, BuiltinOp::Other(150), BuiltinOp::Other(-1)]);
    assert_eq!(g.operators[2].inputs, vec![-1]);
    assert_eq!(g.tensors[3].quantization, None);

    // Options absent entirely → OpOptions::None; depthwise / pool / softmax / reshape / squeeze defaults.
    let mut s = conv_spec();
    s.ops[0].tag = 0;
    s.ops[0].options = None;
    s.codes.extend([(4, 4), (1, 1), (25, 25), (22, 22), (43, 43)]);
    let op = |opcode, tag, f: Vec<(u16, F)>| TOp { opcode, inputs: vec![0], outputs: vec![3], tag, options: Some(f) };
    s.ops.push(op(1, 2, vec![(10, F::I32(1))]));
    s.ops.push(op(2, 5, vec![(4, F::I8(1)), (10, F::I32(7)), (12, F::I32(7))]));
    s.ops.push(op(3, 9, vec![(4, F::F32(0.5))]));
    s.ops.push(op(4, 17, vec![(4, F::Ints(vec![1, -1]))]));
    s.ops.push(op(5, 30, vec![]));
    let bytes = build(&s);
    let g = parse(&bytes).unwrap();
    let o: Vec<_> = g.operators.iter().map(|o| o.options.clone()).collect();
    assert_eq!(o[0], OpOptions::None);
    assert_eq!(
        o[1],
        OpOptions::DepthwiseConv2d {
            padding: Padding::Same,
            stride_w: 0,
            stride_h: 0,
            depth_multiplier: 1,
            activation: Activation::None,
            dilation_w: 1,
            dilation_h: 1
        }
    );
    assert_eq!(
        o[2],
        OpOptions::Pool2d {
            padding: Padding::Valid,
            stride_w: 0,
            stride_h: 0,
            filter_w: 7,
            filter_h: 7,
            activation: Activation::None
        }
    );
    assert_eq!(o[3], OpOptions::Softmax { beta: 0.5 });
    assert_eq!(o[4], OpOptions::Reshape { new_shape: vec![1, -1] });
    assert_eq!(o[5], OpOptions::Squeeze { squeeze_dims: vec![] });
}

#[test]
fn inconsistent_graphs_are_malformed() {
    let m = ErrorKind::Malformed;
    let mut s = conv_spec();
    s.ops[0].inputs[1] = 4;
    let (k, msg) = err_of(&s);
    assert_eq!(k, m);
    assert!(msg.contains("operator 0 (CONV_2D) inputs[1]: tensor index 4 out of range"), "{msg}");

    let mut s = conv_spec();
    s.ops[0].outputs[0] = -1;
    assert_eq!(err_of(&s).0, m);
    let mut s = conv_spec();
    s.outputs = vec![-7];
    assert_eq!(err_of(&s).0, m);
    let mut s = conv_spec();
    s.tensors[1].buffer = 3;
    assert!(err_of(&s).1.contains("tensor 1 'weights': buffer index 3 out of range"));
    let mut s = conv_spec();
    s.buffers[1].0.pop();
    let (k, msg) = err_of(&s);
    assert_eq!(k, m);
    assert!(msg.contains("tensor 1 'weights': buffer 1 holds 5 bytes, shape [2,1,1,3] uint8 needs 6"), "{msg}");
    let mut s = conv_spec();
    s.tensors[3].shape[1] = -4;
    assert_eq!(err_of(&s).0, m);
    let mut s = conv_spec();
    s.ops[0].opcode = 1;
    assert!(err_of(&s).1.contains("opcode index 1 out of range"));
    let mut s = conv_spec();
    s.ops[0].tag = 5; // Pool2DOptions on a CONV_2D
    assert_eq!(err_of(&s).0, m);
    let mut s = conv_spec();
    s.ops[0].options = Some(vec![(4, F::I8(9))]); // padding 9
    assert!(err_of(&s).1.contains("unknown padding 9"));
    let mut s = conv_spec();
    s.ops[0].options = None; // union tag without value (verifier)
    assert_eq!(err_of(&s).0, m);
    let mut s = conv_spec();
    s.tensors[1].quant = Some((vec![0.5, 0.5], vec![0], 0));
    assert_eq!(err_of(&s).0, m);
    let mut s = conv_spec();
    s.tensors[1].quant = Some((vec![0.5, 0.5], vec![0, 0], 3)); // per-axis on a dimension of size 3
    assert_eq!(err_of(&s).0, m);
    s.tensors[1].quant = Some((vec![0.5, 0.5], vec![0, 0], 0));
    assert!(parse(&build(&s)).is_ok());
    let mut s = conv_spec();
    s.custom_quant = Some(1);
    assert!(parse(&build(&s))
        .is_err_and(|e| e.kind() == ErrorKind::Unsupported && e.message().contains("tensor 1 'weights'")));
    s.tensors[1].quant = Some((vec![], vec![], 0)); // custom details without a scale: no affine quantisation
    assert!(parse(&build(&s)).is_ok());
    let mut s = conv_spec();
    s.subgraphs = 0;
    assert!(err_of(&s).1.contains("no subgraphs"));
    // Invalid UTF-8 in a tensor name (verifier).
    let mut bytes = build(&conv_spec());
    let p = bytes.windows(7).position(|w| w == b"weights").unwrap();
    bytes[p] = 0xff;
    assert_eq!(kind(&bytes), Some(m));
}

#[test]
fn absurd_sizes_are_too_large() {
    let l = ErrorKind::TooLarge;
    let mut s = conv_spec();
    s.tensors[3].shape = vec![1; 9];
    assert_eq!(err_of(&s).0, l);
    let mut s = conv_spec();
    s.tensors[3].shape = vec![8192, 8192, 2];
    assert!(err_of(&s).1.contains("134217728 elements"));
    let mut s = conv_spec();
    s.tensors[3].shape = vec![i32::MAX, i32::MAX, i32::MAX, i32::MAX];
    assert_eq!(err_of(&s).0, l);
    let mut s = conv_spec();
    let extra = TTensor { name: "", shape: vec![1], ty: 0, buffer: 0, quant: None };
    s.tensors.resize(10_001, extra);
    assert!(err_of(&s).1.contains("10001"));
}

#[test]
fn huge_declared_lengths_fail_without_allocating() {
    let bytes = build(&conv_spec());
    let p = bytes.windows(6).position(|w| w == WEIGHTS).unwrap();
    for len in [0x7fff_fff0u32, 0xffff_ffff, 7] {
        let mut b = bytes.clone();
        b[p - 4..p].copy_from_slice(&len.to_le_bytes());
        let want = if len == 7 { ErrorKind::Malformed } else { ErrorKind::Truncated };
        assert_eq!(kind(&b), Some(want), "length {len:#x}");
    }
    // Every aligned word of the small model set to a nasty value, and every single-bit flip: never a panic.
    let mut b = bytes.clone();
    for p in (0..bytes.len()).step_by(4) {
        for v in NASTY {
            b[p..p + 4].copy_from_slice(&v.to_le_bytes());
            if let Ok(g) = parse(&b) {
                check_invariants(&g);
            }
        }
        b[p..p + 4].copy_from_slice(&bytes[p..p + 4]);
    }
    for p in 0..bytes.len() {
        for bit in 0..8 {
            b[p] ^= 1 << bit;
            if let Ok(g) = parse(&b) {
                check_invariants(&g);
            }
            b[p] ^= 1 << bit;
        }
    }
}

#[test]
fn external_buffer_data_is_bounds_checked() {
    // The flatbuffer's length does not depend on the offset value, so build once to learn where it ends.
    let mut s = conv_spec();
    s.buffers[1] = (vec![], Some((2, 6)));
    let fb_len = build(&s).len() as u64;
    s.buffers[1].1 = Some((fb_len, 6));
    let mut bytes = build(&s);
    bytes.extend_from_slice(&WEIGHTS);
    let g = parse(&bytes).unwrap();
    assert_eq!(g.data(&g.tensors[1]), &WEIGHTS);
    assert_eq!(kind(&bytes[..bytes.len() - 1]), Some(ErrorKind::Truncated));
    for ext in [(fb_len, u64::MAX), (u64::MAX - 2, 6), (1 << 40, 6)] {
        s.buffers[1].1 = Some(ext);
        let mut b = build(&s);
        b.extend_from_slice(&WEIGHTS);
        assert_eq!(kind(&b), Some(ErrorKind::Truncated), "{ext:?}");
    }
    // Offset 1 is not external: the (absent) inline data is used, so the weights tensor is just empty.
    s.buffers[1].1 = Some((1, 6));
    let bytes = build(&s);
    let g = parse(&bytes).unwrap();
    assert!(g.data(&g.tensors[1]).is_empty());
}
