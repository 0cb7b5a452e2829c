//! A tiny `.tflite` writer for the reader tests: builds a flatbuffer from a [`Spec`] with the field slots written
//! out here independently of the reader (field id n at vtable offset 4 + 2n), so tests can produce valid models and
//! precisely broken ones.

use flatbuffers::{FlatBufferBuilder, WIPOffset};

#[derive(Clone)]
pub enum F {
    I8(i8),
    I32(i32),
    F32(f32),
    Ints(Vec<i32>),
}

#[derive(Clone)]
pub struct TTensor {
    pub name: &'static str,
    pub shape: Vec<i32>,
    pub ty: i8,
    pub buffer: u32,
    pub quant: Option<(Vec<f32>, Vec<i64>, i32)>,
}

#[derive(Clone)]
pub struct TOp {
    pub opcode: u32,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    pub tag: u8,
    pub options: Option<Vec<(u16, F)>>,
}

pub type TBuf = (Vec<u8>, Option<(u64, u64)>);

#[derive(Clone)]
pub struct Spec {
    pub codes: Vec<(i8, i32)>,
    /// Inline data and optional external (offset, size).
    pub buffers: Vec<TBuf>,
    pub tensors: Vec<TTensor>,
    pub ops: Vec<TOp>,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    pub subgraphs: usize,
    /// Tensor whose quantisation also carries `CustomQuantization` details (union type 1).
    pub custom_quant: Option<usize>,
}

pub const WEIGHTS: [u8; 6] = [0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6];

/// One uint8 CONV_2D: input [1,4,4,3] → output [1,4,4,2], weights [2,1,1,3], bias [2].
pub fn conv_spec() -> Spec {
    let t = |name, shape: &[i32], ty, buffer, s: f32, z: i64| TTensor {
        name,
        shape: shape.to_vec(),
        ty,
        buffer,
        quant: Some((vec![s], vec![z], 0)),
    };
    Spec {
        codes: vec![(3, 3)],
        buffers: vec![(vec![], None), (WEIGHTS.to_vec(), None), (vec![1, 0, 0, 0, 2, 0, 0, 0], None)],
        tensors: vec![
            t("input", &[1, 4, 4, 3], 3, 0, 0.5, 128),
            t("weights", &[2, 1, 1, 3], 3, 1, 0.25, 100),
            t("bias", &[2], 2, 2, 0.125, 0),
            t("output", &[1, 4, 4, 2], 3, 0, 1.0, 0),
        ],
        ops: vec![TOp {
            opcode: 0,
            inputs: vec![0, 1, 2],
            outputs: vec![3],
            tag: 1,
            options: Some(vec![(4, F::I8(1)), (6, F::I32(2)), (8, F::I32(2)), (10, F::I8(3))]),
        }],
        inputs: vec![0],
        outputs: vec![3],
        subgraphs: 1,
        custom_quant: None,
    }
}

pub fn build(s: &Spec) -> Vec<u8> {
    let mut b = FlatBufferBuilder::new();
    let off = |b: &mut FlatBufferBuilder, fields: &[(u16, F)]| {
        let vecs: Vec<Option<WIPOffset<_>>> =
            fields.iter().map(|(_, f)| if let F::Ints(v) = f { Some(b.create_vector(v)) } else { None }).collect();
        let t = b.start_table();
        for ((slot, f), v) in fields.iter().zip(vecs) {
            match f {
                F::I8(x) => b.push_slot_always(*slot, *x),
                F::I32(x) => b.push_slot_always(*slot, *x),
                F::F32(x) => b.push_slot_always(*slot, *x),
                F::Ints(_) => b.push_slot_always(*slot, v.unwrap()),
            }
        }
        b.end_table(t)
    };
    let codes: Vec<_> = s.codes.iter().map(|&(d, c)| off(&mut b, &[(4, F::I8(d)), (10, F::I32(c))])).collect();
    let buffers: Vec<_> = s
        .buffers
        .iter()
        .map(|(data, ext)| {
            let d = (!data.is_empty()).then(|| b.create_vector(data));
            let t = b.start_table();
            if let Some(d) = d {
                b.push_slot_always(4, d);
            }
            if let Some((o, n)) = ext {
                b.push_slot_always(6, *o);
                b.push_slot_always(8, *n);
            }
            b.end_table(t)
        })
        .collect();
    let tensors: Vec<_> = s
        .tensors
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let shape = b.create_vector(&t.shape);
            let name = b.create_string(t.name);
            let q = t.quant.as_ref().map(|(sc, zp, qd)| {
                let (sc, zp) = (b.create_vector(sc), b.create_vector(zp));
                let details = (s.custom_quant == Some(i)).then(|| {
                    let custom = b.create_vector(&[1u8, 2, 3]);
                    let d = b.start_table();
                    b.push_slot_always(4, custom);
                    b.end_table(d)
                });
                let q = b.start_table();
                b.push_slot_always(8, sc);
                b.push_slot_always(10, zp);
                if let Some(d) = details {
                    b.push_slot_always(12, 1u8);
                    b.push_slot_always(14, d);
                }
                b.push_slot(16, *qd, 0);
                b.end_table(q)
            });
            let tt = b.start_table();
            b.push_slot_always(4, shape);
            b.push_slot(6, t.ty, 0);
            b.push_slot(8, t.buffer, 0);
            b.push_slot_always(10, name);
            if let Some(q) = q {
                b.push_slot_always(12, q);
            }
            b.end_table(tt)
        })
        .collect();
    let ops: Vec<_> = s
        .ops
        .iter()
        .map(|o| {
            let (i, out) = (b.create_vector(&o.inputs), b.create_vector(&o.outputs));
            let opts = o.options.as_ref().map(|f| off(&mut b, f));
            let t = b.start_table();
            b.push_slot(4, o.opcode, 0);
            b.push_slot_always(6, i);
            b.push_slot_always(8, out);
            b.push_slot(10, o.tag, 0);
            if let Some(x) = opts {
                b.push_slot_always(12, x);
            }
            b.end_table(t)
        })
        .collect();
    let (tv, ov) = (b.create_vector(&tensors), b.create_vector(&ops));
    let (iv, outv) = (b.create_vector(&s.inputs), b.create_vector(&s.outputs));
    let sg = b.start_table();
    b.push_slot_always(4, tv);
    b.push_slot_always(6, iv);
    b.push_slot_always(8, outv);
    b.push_slot_always(10, ov);
    let sg = b.end_table(sg);
    let sgs = vec![sg; s.subgraphs];
    let (cv, sv, bv) = (b.create_vector(&codes), b.create_vector(&sgs), b.create_vector(&buffers));
    let desc = b.create_string("hand-built");
    let m = b.start_table();
    b.push_slot(4, 3u32, 0);
    b.push_slot_always(6, cv);
    b.push_slot_always(8, sv);
    b.push_slot_always(10, desc);
    b.push_slot_always(12, bv);
    let m = b.end_table(m);
    b.finish(m, Some("TFL3"));
    b.finished_data().to_vec()
}
