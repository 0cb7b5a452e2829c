// The runtimes the page can load, all from this origin (127.0.0.1). Each setup returns the same small interface:
//   { info, setInput({ u8, f32, nchw }) (may return a promise), infer() -> output vector (or a promise of one) }
// and infer() is the fair "input tensor in -> output vector out" call that gets timed:
//   project   clf.runRaw(u8) / clf.runRawFloat(f32): copy in, run, copy the output out (pkg/web*, wasm-bindgen);
//             the threaded build (and `project-worker`, the single-thread build it is compared with) runs in a
//             Worker and is timed over the message round trip
//   tflite    @tensorflow/tfjs-tflite (TFLite C++ + XNNPACK in wasm): copy into the interpreter's input tensor,
//             Invoke, copy the output out (its model runner; predict() would add int32 tf.Tensor conversions)
//   tfjs-wasm tf.tensor4d(f32) -> GraphModel.execute -> await data() -> dispose (tfjs-backend-wasm, XNNPACK)
//   ort-wasm  new ort.Tensor(nchw) -> await session.run -> .data (onnxruntime-web, wasm EP)
// model: { stem, tfliteUrl, tfjsUrl, onnxUrl, quantized, res }

const NM = '/node_modules/';

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`failed to load ${src}`));
    document.head.appendChild(s);
  });
}

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// One tfjs global serves both TF.js peers: the full 4.22.0 bundle (tfjs-tflite only needs tf.tensor from it).
let tfLoaded = null;
function loadTf() {
  tfLoaded ??= loadScript(NM + '@tensorflow/tfjs/dist/tf.min.js');
  return tfLoaded;
}

/** The project's own wasm (any pkg/web* build), through its public wasm-bindgen API. */
async function setupProject(rt, model) {
  if (rt.worker) return setupProjectWorker(rt, model);
  const mod = await import(rt.jsUrl);
  await mod.default({ module_or_path: rt.wasmUrl });
  const info = { threads: 1 };
  const clf = new mod.Classifier(await fetchBytes(model.tfliteUrl));
  clf.warmUp?.(); // as the package's load() does (part of setup; builds before it lack the method)
  Object.assign(info, { inputSize: clf.inputSize, numClasses: clf.numClasses, quantized: clf.quantized });
  let input = null;
  return {
    info,
    setInput(x) { input = model.quantized ? x.u8 : x.f32; },
    infer: model.quantized ? () => clf.runRaw(input) : () => clf.runRawFloat(input),
  };
}

/** A project build in a Worker (the threaded build must not block the main thread). infer() is the round trip:
 * post 'infer', the worker calls runRaw on the input it holds, the output comes back (transferred). */
async function setupProjectWorker(rt, model) {
  const worker = new Worker(new URL('./project-worker.js', import.meta.url), { type: 'module' });
  const call = (msg) => new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => (data.error ? reject(new Error(data.error)) : resolve(data));
    worker.postMessage(msg);
  });
  const { info } = await call({ cmd: 'setup', jsUrl: rt.jsUrl, wasmUrl: rt.wasmUrl, modelUrl: model.tfliteUrl,
    threads: rt.threads ?? navigator.hardwareConcurrency, quantized: model.quantized });
  return {
    info: { ...info, worker: true },
    setInput: (x) => call({ cmd: 'input', quantized: model.quantized, u8: x.u8, f32: x.f32 }),
    infer: async () => (await call({ cmd: 'infer' })).output,
  };
}

/** @tensorflow/tfjs-tflite. Its loader picks the threaded build whenever SharedArrayBuffer exists (this page is
 * cross-origin isolated); for the single-threaded SIMD build, SharedArrayBuffer is hidden until the model is loaded. */
async function setupTflite(rt, model) {
  await loadTf();
  const SAB = globalThis.SharedArrayBuffer;
  const singleThread = rt.variant !== 'threaded';
  const threads = rt.threads ?? navigator.hardwareConcurrency;
  if (singleThread) delete globalThis.SharedArrayBuffer;
  let tfl, features, m;
  try {
    await loadScript(NM + '@tensorflow/tfjs-tflite/dist/tf-tflite.min.js');
    tfl = window.tflite;
    tfl.setWasmPath(NM + '@tensorflow/tfjs-tflite/wasm/');
    features = await tfl.getWasmFeatures();
    if (!features.simd || features.multiThreading === singleThread) {
      throw new Error(`tfjs-tflite: could not select the ${rt.variant} SIMD build (${JSON.stringify(features)})`);
    }
    m = await tfl.loadTFLiteModel(model.tfliteUrl, { numThreads: threads });
  } finally {
    if (singleThread) globalThis.SharedArrayBuffer = SAB;
  }
  const runner = m.modelRunner;
  const inT = runner.getInputs()[0], outT = runner.getOutputs()[0];
  let input = null;
  return {
    info: { threads, features, inputType: inT.dataType, outputType: outT.dataType,
      wasm: `tflite_web_api_cc_simd${singleThread ? '' : '_threaded'}.wasm` },
    setInput(x) { input = inT.dataType === 'uint8' ? x.u8 : x.f32; },
    infer() {
      inT.data().set(input);
      if (!runner.infer()) throw new Error('TFLite Invoke failed');
      return outT.data().slice();
    },
  };
}

/** tfjs-backend-wasm, graph model converted from the same .tflite: the plain SIMD build, or (rt.threaded) the
 * threaded SIMD build with rt.threads threads. */
async function setupTfjsWasm(rt, model) {
  await loadTf();
  await loadScript(NM + '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js');
  const tf = window.tf;
  tf.wasm.setWasmPaths(NM + '@tensorflow/tfjs-backend-wasm/dist/');
  if (rt.threaded) tf.wasm.setThreadsCount(rt.threads ?? navigator.hardwareConcurrency);
  else tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // else it takes the threaded build in an isolated page
  if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') failed");
  await tf.ready();
  const gm = await tf.loadGraphModel(model.tfjsUrl);
  const R = model.res;
  let input = null;
  return {
    info: { threads: tf.wasm.getThreadsCount(), simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
      tfjs: tf.version.tfjs, wasm: rt.threaded ? 'tfjs-backend-wasm-threaded-simd.wasm' : 'tfjs-backend-wasm-simd.wasm' },
    setInput(x) { input = x.f32; },
    async infer() {
      const t = tf.tensor4d(input, [1, R, R, 3]);
      const y = gm.execute(t);
      const out = await y.data();
      t.dispose();
      y.dispose();
      return out;
    },
  };
}

/** onnxruntime-web, wasm execution provider, rt.threads threads (1 unless threaded), on the page's main thread. */
async function setupOrt(rt, model) {
  await loadScript(NM + 'onnxruntime-web/dist/ort.wasm.min.js');
  const ort = window.ort;
  ort.env.wasm.wasmPaths = NM + 'onnxruntime-web/dist/';
  ort.env.wasm.numThreads = rt.threads ?? 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'warning';
  const session = await ort.InferenceSession.create(await fetchBytes(model.onnxUrl),
    { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const R = model.res;
  let input = null;
  return {
    info: { threads: ort.env.wasm.numThreads, version: ort.env.versions?.web, wasm: 'ort-wasm-simd-threaded.wasm' },
    setInput(x) { input = x.nchw; },
    async infer() {
      const r = await session.run({ input: new ort.Tensor('float32', input, [1, 3, R, R]) });
      return r.probs.data;
    },
  };
}

export const SETUP = { project: setupProject, tflite: setupTflite, 'tfjs-wasm': setupTfjsWasm, 'ort-wasm': setupOrt };
