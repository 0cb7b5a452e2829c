// Converts the layer list of lib/tflite.mjs into the two formats the float peers load, in memory:
//   * a TF.js graph model (model.json + weights.bin) in the form tfjs-converter emits for a frozen TF MobileNet:
//     _FusedConv2D / FusedDepthwiseConv2dNative with fused_ops [BiasAdd, Relu6], AvgPool, Reshape, Softmax;
//     input NHWC [1, R, R, 3];
//   * an ONNX model (opset 13): Conv + Clip(0, 6), AveragePool, Flatten, Softmax; input NCHW [1, 3, R, R]
//     (ONNX convolutions are NCHW; the harness transposes the input outside the timed region).
// Both compute the .tflite graph op for op, in float32, with the same (dequantised) weights.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const b64 = (s) => Buffer.from(s).toString('base64');
const shapeAttr = (dims) => ({ dim: dims.map((d) => ({ size: String(d) })) });

/** TFLite OHWI [O, K, K, I] -> TF HWIO [K, K, I, O]. */
function ohwiToHwio(w, O, K, I) {
  const out = new Float32Array(w.length);
  for (let o = 0; o < O; o++)
    for (let hw = 0; hw < K * K; hw++)
      for (let i = 0; i < I; i++) out[(hw * I + i) * O + o] = w[(o * K * K + hw) * I + i];
  return out;
}
/** TFLite OHWI -> ONNX OIHW [O, I, K, K]. */
function ohwiToOihw(w, O, K, I) {
  const out = new Float32Array(w.length);
  for (let o = 0; o < O; o++)
    for (let hw = 0; hw < K * K; hw++)
      for (let i = 0; i < I; i++) out[(o * I + i) * K * K + hw] = w[(o * K * K + hw) * I + i];
  return out;
}
/** TFLite depthwise [1, K, K, C] -> ONNX [C, 1, K, K]. */
function hwcToC1hw(w, K, C) {
  const out = new Float32Array(w.length);
  for (let hw = 0; hw < K * K; hw++) for (let c = 0; c < C; c++) out[c * K * K + hw] = w[hw * C + c];
  return out;
}

/** TF 'SAME' padding of one spatial axis: [before, after]. */
function samePads(size, k, s) {
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** -> { modelJson, weightsBin } (weightsBin is served next to model.json as 'weights.bin'). */
export function toTfjsGraph(net) {
  const R = net.input.shape[1];
  const nodes = [], manifest = [], blobs = [];
  const FLOAT = { type: 'DT_FLOAT' };
  const konst = (name, arr, shape) => {
    const dt = arr instanceof Int32Array ? 'DT_INT32' : 'DT_FLOAT';
    nodes.push({ name, op: 'Const', attr: { dtype: { type: dt }, value: { tensor: { dtype: dt, tensorShape: shapeAttr(shape) } } } });
    manifest.push({ name, shape, dtype: dt === 'DT_INT32' ? 'int32' : 'float32' });
    blobs.push(Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
  };
  nodes.push({ name: 'input', op: 'Placeholder', attr: { dtype: FLOAT, shape: { shape: shapeAttr([1, R, R, 3]) } } });
  let x = 'input';
  net.layers.forEach((L, i) => {
    const n = `l${i}_${L.kind}`;
    const strides = { list: { i: ['1', String(L.stride), String(L.stride), '1'] } };
    if (L.kind === 'conv' || L.kind === 'depthwise') {
      const K = L.kernel;
      if (L.kind === 'conv') konst(`${n}/weights`, ohwiToHwio(L.weights, L.cout, K, L.cin), [K, K, L.cin, L.cout]);
      else konst(`${n}/weights`, L.weights, [K, K, L.cin, 1]); // [1,K,K,C] and [K,K,C,1] share a memory order
      konst(`${n}/bias`, L.bias, [L.cout]);
      const fused = ['BiasAdd', ...(L.activation === 'relu6' ? ['Relu6'] : L.activation === 'relu' ? ['Relu'] : [])];
      nodes.push({
        name: n, op: L.kind === 'conv' ? '_FusedConv2D' : 'FusedDepthwiseConv2dNative',
        input: [x, `${n}/weights`, `${n}/bias`], device: '/device:CPU:0',
        attr: {
          T: FLOAT, num_args: { i: '1' }, strides, padding: { s: b64(L.padding) }, data_format: { s: b64('NHWC') },
          dilations: { list: { i: ['1', '1', '1', '1'] } }, explicit_paddings: { list: {} }, epsilon: { f: 0 },
          fused_ops: { list: { s: fused.map(b64) } },
        },
      });
    } else if (L.kind === 'avgpool') {
      nodes.push({ name: n, op: 'AvgPool', input: [x], attr: { T: FLOAT, strides, padding: { s: b64(L.padding) },
        data_format: { s: b64('NHWC') }, ksize: { list: { i: ['1', String(L.kernel), String(L.kernel), '1'] } } } });
    } else if (L.kind === 'flatten') {
      konst(`${n}/shape`, new Int32Array([1, net.classes]), [2]);
      nodes.push({ name: n, op: 'Reshape', input: [x, `${n}/shape`], attr: { T: FLOAT, Tshape: { type: 'DT_INT32' } } });
    } else if (L.kind === 'softmax') {
      if (L.beta !== 1) throw new Error('softmax beta != 1 not handled');
      nodes.push({ name: n, op: 'Softmax', input: [x], attr: { T: FLOAT } });
    }
    x = n;
  });
  const modelJson = {
    format: 'graph-model', generatedBy: 'mobilenet-wasm bench/lib/convert.mjs', convertedBy: null,
    modelTopology: { node: nodes, library: {}, versions: { producer: 1 } },
    weightsManifest: [{ paths: ['weights.bin'], weights: manifest }],
  };
  return { modelJson, weightsBin: Buffer.concat(blobs), outputNode: x };
}

/** -> ONNX model bytes (Uint8Array); input 'input' NCHW, output 'probs'. */
export function toOnnx(net) {
  const R = net.input.shape[1];
  const inits = [], nodes = [];
  const tensor = (name, arr, dims) => inits.push(onnx.TensorProto.create({
    name, dims, dataType: arr instanceof BigInt64Array ? onnx.TensorProto.DataType.INT64 : onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength),
  }));
  const ints = (name, v) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
  const int = (name, v) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });
  const node = (opType, input, output, attribute = []) => nodes.push(onnx.NodeProto.create({ opType, input, output, name: output[0], attribute }));
  tensor('relu6_min', new Float32Array([0]), []);
  tensor('relu6_max', new Float32Array([6]), []);
  let x = 'input';
  net.layers.forEach((L, i) => {
    const n = `l${i}_${L.kind}`;
    if (L.kind === 'conv' || L.kind === 'depthwise') {
      const K = L.kernel;
      const [pb, pe] = L.padding === 'SAME' ? samePads(L.inSize, K, L.stride) : [0, 0];
      if (L.kind === 'conv') tensor(`${n}/W`, ohwiToOihw(L.weights, L.cout, K, L.cin), [L.cout, L.cin, K, K]);
      else tensor(`${n}/W`, hwcToC1hw(L.weights, K, L.cin), [L.cin, 1, K, K]);
      tensor(`${n}/B`, L.bias, [L.cout]);
      node('Conv', [x, `${n}/W`, `${n}/B`], [`${n}/conv`], [ints('kernel_shape', [K, K]), ints('strides', [L.stride, L.stride]),
        ints('pads', [pb, pb, pe, pe]), ints('dilations', [1, 1]), int('group', L.kind === 'depthwise' ? L.cin : 1)]);
      x = `${n}/conv`;
      if (L.activation === 'relu6') node('Clip', [x, 'relu6_min', 'relu6_max'], [(x = `${n}/relu6`)]);
      else if (L.activation === 'relu') node('Relu', [x], [(x = `${n}/relu`)]);
    } else if (L.kind === 'avgpool') {
      if (L.padding !== 'VALID') throw new Error('SAME average pooling not handled (ONNX counts padding differently)');
      node('AveragePool', [x], [(x = n)], [ints('kernel_shape', [L.kernel, L.kernel]), ints('strides', [L.stride, L.stride])]);
    } else if (L.kind === 'flatten') {
      node('Flatten', [x], [(x = n)], [int('axis', 1)]);
    } else if (L.kind === 'softmax') {
      node('Softmax', [x], [(x = n)], [int('axis', 1)]);
    }
  });
  nodes[nodes.length - 1].output = ['probs'];
  const valueInfo = (name, dims) => onnx.ValueInfoProto.create({ name, type: { tensorType: {
    elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const model = onnx.ModelProto.create({
    irVersion: 8, producerName: 'mobilenet-wasm bench', opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'mobilenet_v1', node: nodes, initializer: inits,
      input: [valueInfo('input', [1, 3, R, R])], output: [valueInfo('probs', [1, net.classes])] },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** The float input the converted models expect, from RGB pixels: the dequantised uint8 input, or (p-127.5)/127.5. */
export function floatInput(rgb, net) {
  const { dtype, scale, zeroPoint } = net.input;
  const f = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) f[i] = dtype === 'uint8' ? (rgb[i] - zeroPoint) * scale : (rgb[i] - 127.5) / 127.5;
  return f;
}

/** NHWC [R, R, 3] -> NCHW [3, R, R]. */
export function toNchw(a, R) {
  const o = new Float32Array(a.length);
  for (let p = 0; p < R * R; p++) for (let c = 0; c < 3; c++) o[c * R * R + p] = a[p * 3 + c];
  return o;
}
