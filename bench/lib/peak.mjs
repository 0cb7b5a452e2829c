// f32x4 multiply-add peak of this machine's wasm engine, one thread: small generated .wat modules, assembled with
// binaryen's wasm-as from .tools/, each running K independent accumulator chains in a loop, so the loop is bound by
// SIMD throughput, not by latency. Variants:
//   mul+add  p = p * m; acc = acc + p   (f32x4.mul and f32x4.add: what a plain simd128 GEMM issues)
//   madd     acc = relaxed_madd(acc, m, c)   (relaxed SIMD; a fused FMA where the CPU has one)
// FLOPs: 8 per chain step (4 lanes x (mul + add)). The best K per variant is the peak.
// The float-kernel engineers divide a 1x1 GEMM's GFLOP/s (2 * M * N * K / time) by this to get the fraction of peak.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const UNROLL = 4;

function wat(variant, K) {
  const acc = (k) => `$a${k}`, prod = (k) => `$p${k}`;
  const locals = [], init = [], body = [];
  for (let k = 0; k < K; k++) {
    locals.push(`(local ${acc(k)} v128)`);
    init.push(`(local.set ${acc(k)} (f32x4.splat (f32.const ${1 + k / 16})))`);
    if (variant === 'mul+add') {
      locals.push(`(local ${prod(k)} v128)`);
      init.push(`(local.set ${prod(k)} (f32x4.splat (f32.const ${1 - k / 64})))`);
    }
  }
  for (let u = 0; u < UNROLL; u++) {
    for (let k = 0; k < K; k++) {
      if (variant === 'mul+add') {
        body.push(`(local.set ${prod(k)} (f32x4.mul (local.get ${prod(k)}) (local.get $m)))`);
        body.push(`(local.set ${acc(k)} (f32x4.add (local.get ${acc(k)}) (local.get ${prod(k)})))`);
      } else {
        body.push(`(local.set ${acc(k)} (f32x4.relaxed_madd (local.get ${acc(k)}) (local.get $m) (local.get $c)))`);
      }
    }
  }
  let sum = `(local.get ${acc(0)})`;
  for (let k = 1; k < K; k++) sum = `(f32x4.add ${sum} (local.get ${acc(k)}))`;
  return `(module
  (func (export "run") (param $n i32) (param $mf f32) (param $cf f32) (result f32)
    (local $m v128) (local $c v128) ${locals.join(' ')}
    (local.set $m (f32x4.splat (local.get $mf)))
    (local.set $c (f32x4.splat (local.get $cf)))
    ${init.join('\n    ')}
    (loop $L
      ${body.join('\n      ')}
      (br_if $L (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f32x4.extract_lane 0 ${sum})))
`;
}

/** Assemble every variant; -> [{ name, variant, chains, flopsPerIter, bytes }]. */
export function buildPeakModules(wasmAs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnw-peak-'));
  const out = [];
  try {
    for (const [variant, chains] of [['mul+add', [4, 6, 8]], ['madd', [6, 8, 10, 12]]]) {
      for (const K of chains) {
        const src = path.join(dir, 'peak.wat'), dst = path.join(dir, 'peak.wasm');
        fs.writeFileSync(src, wat(variant, K));
        execFileSync(wasmAs, ['--enable-simd', '--enable-relaxed-simd', src, '-o', dst]);
        out.push({ name: `${variant} x${K}`, variant, chains: K, flopsPerIter: 8 * K * UNROLL, bytes: fs.readFileSync(dst) });
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** Best GFLOP/s per variant from measurePeak() results. */
export function summarisePeak(results) {
  const best = {};
  for (const r of results) {
    if (r.error) continue;
    if (!best[r.variant] || r.best > best[r.variant].best) best[r.variant] = r;
  }
  return best;
}
