// Model inputs and correctness references from $MOBILENET_DATA/golden (see golden/README.md there):
// inputs/<image>_<R>.png is the exact model input; <model>/<image>.json holds TFLite's output (reference kernels)
// and output_xnnpack. The bench-models stand-in has no golden files: it is compared with the TFLite peer instead.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { PNG } from 'pngjs';
import { floatInput, toNchw } from './convert.mjs';

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

/** The image ids that have an input PNG at resolution R. */
export function imagesAt(goldenDir, R) {
  return fs.readdirSync(path.join(goldenDir, 'inputs')).filter((f) => f.endsWith(`_${R}.png`))
    .map((f) => f.slice(0, -`_${R}.png`.length)).sort();
}

/** -> { image, tensors: { u8, f32, nchw }, ref (golden JSON or null) }; checks the tensor hash against golden. */
export function loadCase(goldenDir, stem, image, net) {
  const R = net.input.shape[1];
  const png = PNG.sync.read(fs.readFileSync(path.join(goldenDir, 'inputs', `${image}_${R}.png`)));
  if (png.width !== R || png.height !== R) throw new Error(`${image}_${R}.png is ${png.width}x${png.height}`);
  const u8 = new Uint8Array(R * R * 3);
  for (let p = 0; p < R * R; p++) for (let c = 0; c < 3; c++) u8[p * 3 + c] = png.data[p * 4 + c];
  const f32 = floatInput(u8, net);
  const refFile = path.join(goldenDir, stem, `${image}.json`);
  const ref = fs.existsSync(refFile) ? JSON.parse(fs.readFileSync(refFile, 'utf8')) : null;
  if (ref) {
    const fed = net.input.dtype === 'uint8' ? u8 : f32;
    if (sha256(Buffer.from(fed.buffer)) !== ref.input.sha256) throw new Error(`${stem}/${image}: input tensor differs from golden's`);
  }
  return { image, tensors: { u8, f32, nchw: toNchw(f32, R) }, ref };
}

/** Index of the largest value; ties go to the lower index (golden's rule). */
export function top1(v) {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

function diff(a, b) {
  let max = 0, count = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > 0) count++;
    if (d > max) max = d;
  }
  return { maxAbs: max, nDiff: count };
}

/** Float outputs within this of golden count as correct (TFLite's own XNNPACK path differs by ~4e-6). */
export const FLOAT_TOLERANCE = 1e-4;

/**
 * Compare one runtime's output vector with the reference. `raw`: the vector is in the model's own output type
 * (project, tflite) and is compared value by value; otherwise (the float peers' probabilities) only top-1.
 * anchor: the TFLite peer's output, used when there is no golden file. `float`: the model's output is float32.
 * `ok`: uint8 bit-exact, float within FLOAT_TOLERANCE (raw), or top-1 equal (probabilities).
 */
export function check(out, { ref, anchor, raw, float }) {
  const r = { top1: top1(out) };
  const base = ref ? ref.output : anchor;
  if (!base) return r;
  r.refTop1 = top1(base);
  r.top1Ok = r.top1 === r.refTop1;
  r.against = ref ? 'golden' : 'tflite';
  r.ok = r.top1Ok;
  if (raw) {
    r.diff = diff(out, base);
    if (ref) r.vsXnnpack = diff(out, ref.output_xnnpack);
    r.exact = r.diff.nDiff === 0;
    r.ok = float ? r.diff.maxAbs <= FLOAT_TOLERANCE : r.exact;
  }
  return r;
}
