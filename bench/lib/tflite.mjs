// Reads a sequential CNN (.tflite: CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, RESHAPE/SQUEEZE, SOFTMAX) into a
// plain layer list with float32 weights, so the same file can be converted for TF.js and onnxruntime-web.
// uint8 weights are dequantised, w = (q - zp) * scale and bias = q * input_scale * weight_scale, in float64 then
// rounded once to float32 (the recipe of $MOBILENET_DATA/bench-models/README.md). The peers that read .tflite
// themselves (tfjs-tflite, the project) never go through this file.
//
// Field numbers follow TensorFlow Lite's schema.fbs (a vtable slot is 4 + 2 * field index); the flatbuffers npm
// runtime does the byte-level reading.
import { ByteBuffer } from 'flatbuffers';

const OP = { AVERAGE_POOL_2D: 1, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, RESHAPE: 22, SOFTMAX: 25, SQUEEZE: 43 };
const TYPE = { FLOAT32: 0, INT32: 2, UINT8: 3 };
const ACT = { 0: 'none', 1: 'relu', 3: 'relu6' };
const PAD = { 0: 'SAME', 1: 'VALID' };

/** One flatbuffer table: typed access to its fields by schema field index. */
class Table {
  constructor(bb, pos) {
    this.bb = bb;
    this.pos = pos;
  }
  slot(field) {
    const o = this.bb.__offset(this.pos, 4 + 2 * field);
    return o ? this.pos + o : 0;
  }
  int8(field, dflt = 0) { const s = this.slot(field); return s ? this.bb.readInt8(s) : dflt; }
  uint8(field, dflt = 0) { const s = this.slot(field); return s ? this.bb.readUint8(s) : dflt; }
  int32(field, dflt = 0) { const s = this.slot(field); return s ? this.bb.readInt32(s) : dflt; }
  uint32(field, dflt = 0) { const s = this.slot(field); return s ? this.bb.readUint32(s) : dflt; }
  float32(field, dflt = 0) { const s = this.slot(field); return s ? this.bb.readFloat32(s) : dflt; }
  string(field) { const s = this.slot(field); return s ? this.bb.__string(s) : null; }
  table(field) { const s = this.slot(field); return s ? new Table(this.bb, this.bb.__indirect(s)) : null; }
  /** Vector of tables. */
  tables(field) {
    const s = this.slot(field);
    if (!s) return [];
    const start = this.bb.__vector(s), n = this.bb.__vector_len(s);
    return Array.from({ length: n }, (_, i) => new Table(this.bb, this.bb.__indirect(start + 4 * i)));
  }
  /** Vector of scalars, read with `read(byteOffset)`, element size `size`. */
  scalars(field, size, read) {
    const s = this.slot(field);
    if (!s) return [];
    const start = this.bb.__vector(s), n = this.bb.__vector_len(s);
    return Array.from({ length: n }, (_, i) => read.call(this.bb, start + size * i));
  }
  /** Vector of bytes as a view into the file (no copy). */
  bytes(field) {
    const s = this.slot(field);
    if (!s) return null;
    const start = this.bb.__vector(s);
    return this.bb.bytes().subarray(start, start + this.bb.__vector_len(s));
  }
}

/** Parse `bytes` (Uint8Array of a .tflite file) into { input, output, layers }. Throws on anything unexpected. */
export function readTflite(bytes) {
  const bb = new ByteBuffer(bytes);
  if (bytes.length < 8 || bb.__has_identifier('TFL3') === false) throw new Error('not a .tflite file (no TFL3 identifier)');
  const model = new Table(bb, bb.readInt32(bb.position()) + bb.position());
  const opcodes = model.tables(1).map((c) => Math.max(c.int8(0), c.int32(3))); // deprecated_builtin_code, builtin_code
  const buffers = model.tables(4).map((b) => b.bytes(0));
  const subgraphs = model.tables(2);
  if (subgraphs.length !== 1) throw new Error(`expected 1 subgraph, got ${subgraphs.length}`);
  const sg = subgraphs[0];
  const tensors = sg.tables(0).map((t) => tensorInfo(t, buffers));
  const [inputIdx] = sg.scalars(1, 4, bb.readInt32);
  const [outputIdx] = sg.scalars(2, 4, bb.readInt32);
  const layers = [];
  let shape = tensors[inputIdx].shape.slice(1); // [H, W, C]
  for (const op of sg.tables(3)) {
    const code = opcodes[op.uint32(0)];
    const ins = op.scalars(1, 4, bb.readInt32).map((i) => tensors[i]);
    const out = tensors[op.scalars(2, 4, bb.readInt32)[0]];
    const opt = op.table(4);
    if (code === OP.CONV_2D || code === OP.DEPTHWISE_CONV_2D) {
      const dw = code === OP.DEPTHWISE_CONV_2D;
      // Conv2DOptions: padding 0, stride_w 1, stride_h 2, activation 3. Depthwise: activation is field 4.
      const stride = opt.int32(1, 1), act = ACT[opt.int8(dw ? 4 : 3)];
      if (stride !== opt.int32(2, 1)) throw new Error('non-square strides are not handled');
      if (!act) throw new Error(`fused activation ${opt.int8(dw ? 4 : 3)} not handled`);
      const [w, b] = ins.slice(1);
      layers.push({
        kind: dw ? 'depthwise' : 'conv', name: out.name, stride, padding: PAD[opt.int8(0)], activation: act,
        kernel: w.shape[1], cin: shape[2], cout: out.shape[3], inSize: shape[0], outSize: out.shape[1],
        weights: dequantise(w, dw ? 3 : 0), weightsShape: w.shape, // OHWI (conv) or 1HWC (depthwise)
        bias: dequantiseBias(b, ins[0], w),
      });
    } else if (code === OP.AVERAGE_POOL_2D) {
      // Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_width 3, filter_height 4
      layers.push({ kind: 'avgpool', name: out.name, padding: PAD[opt.int8(0)], stride: opt.int32(1, 1),
        kernel: opt.int32(3, 1), cin: shape[2], inSize: shape[0], outSize: out.shape[1] });
    } else if (code === OP.RESHAPE || code === OP.SQUEEZE) {
      layers.push({ kind: 'flatten', name: out.name });
    } else if (code === OP.SOFTMAX) {
      layers.push({ kind: 'softmax', name: out.name, beta: opt ? opt.float32(0, 1) : 1 });
    } else {
      throw new Error(`builtin operator ${code} not handled`);
    }
    shape = out.shape.length === 4 ? out.shape.slice(1) : shape;
  }
  const inp = tensors[inputIdx], outp = tensors[outputIdx];
  return {
    input: { shape: inp.shape, dtype: inp.dtype, scale: inp.scale?.[0] ?? 0, zeroPoint: inp.zeroPoint?.[0] ?? 0 },
    output: { shape: outp.shape, dtype: outp.dtype, scale: outp.scale?.[0] ?? 0, zeroPoint: outp.zeroPoint?.[0] ?? 0 },
    classes: outp.shape[outp.shape.length - 1],
    layers,
  };
}

function tensorInfo(t, buffers) {
  const bb = t.bb;
  const type = t.int8(1);
  const dtype = { [TYPE.FLOAT32]: 'float32', [TYPE.INT32]: 'int32', [TYPE.UINT8]: 'uint8' }[type] ?? `type${type}`;
  const q = t.table(4); // QuantizationParameters: scale 2, zero_point 3, quantized_dimension 6
  const info = { name: t.string(3), shape: t.scalars(0, 4, bb.readInt32), dtype, data: buffers[t.uint32(2)] };
  if (q) {
    info.scale = q.scalars(2, 4, bb.readFloat32);
    info.zeroPoint = q.scalars(3, 8, bb.readInt64).map(Number);
    info.quantizedDimension = q.int32(6);
    if (!info.scale.length) info.scale = null;
  }
  return info;
}

// Little-endian typed view of a tensor's buffer (buffers are not necessarily aligned in the file: copy).
function typed(t, Ctor) {
  if (!t.data) throw new Error(`tensor ${t.name} has no data`);
  return new Ctor(t.data.slice().buffer);
}

/** Float32 weights; uint8 weights dequantised per tensor or per channel along `channelAxis`. */
function dequantise(t, channelAxis) {
  if (t.dtype === 'float32') return typed(t, Float32Array);
  if (t.dtype !== 'uint8' || !t.scale) throw new Error(`weights ${t.name}: ${t.dtype} not handled`);
  const q = t.data, out = new Float32Array(q.length);
  const inner = t.shape.slice(channelAxis + 1).reduce((a, b) => a * b, 1), nc = t.shape[channelAxis];
  for (let i = 0; i < q.length; i++) {
    const c = t.scale.length > 1 ? Math.floor(i / inner) % nc : 0;
    out[i] = (q[i] - t.zeroPoint[c]) * t.scale[c];
  }
  return out;
}

function dequantiseBias(b, input, w) {
  if (b.dtype === 'float32') return typed(b, Float32Array);
  if (b.dtype !== 'int32') throw new Error(`bias ${b.name}: ${b.dtype} not handled`);
  const q = typed(b, Int32Array), out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = q[i] * input.scale[0] * w.scale[w.scale.length > 1 ? i : 0];
  return out;
}
