// Inference worker: owns the wasm instance so the page never blocks. Protocol (postMessage):
//   → { type: 'load', url }                       ← { type: 'loaded', info }
//   → { type: 'frame', bitmap, mirror, topK }     ← { type: 'result', predictions, ms }
//   ← { type: 'error', message, code } for any failure (the worker keeps working).
import init, { Classifier } from './pkg/mobilenet_wasm.js';

const ready = init();
let classifier = null;
let canvas = null;
let ctx = null;

function fail(e) {
  postMessage({ type: 'error', message: String(e?.message ?? e), code: e?.code ?? 'ERROR' });
}

async function load(url) {
  await ready;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`model download failed: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  classifier?.free();
  classifier = null;
  classifier = new Classifier(bytes);
  const { inputSize, numClasses, alpha, quantized } = classifier;
  postMessage({ type: 'loaded', info: { inputSize, numClasses, alpha, quantized } });
}

function classify({ bitmap, mirror, topK }) {
  const { width, height } = bitmap;
  if (!canvas || canvas.width !== width || canvas.height !== height) {
    canvas = new OffscreenCanvas(width, height);
    ctx = canvas.getContext('2d', { willReadFrequently: true });
  }
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const { data } = ctx.getImageData(0, 0, width, height);
  const t0 = performance.now();
  const predictions = classifier.classifyRgba(data, width, height, topK ?? 5, mirror);
  postMessage({ type: 'result', predictions, ms: performance.now() - t0 });
}

onmessage = async ({ data: msg }) => {
  try {
    if (msg.type === 'load') await load(msg.url);
    else if (msg.type === 'frame') {
      if (!classifier) { msg.bitmap?.close(); throw new Error('no model loaded'); }
      classify(msg);
    }
  } catch (e) {
    fail(e);
  }
};
