// Single-layer timing: the project's pointwise (1×1) convolution GEMM alone, through the helper crate
// bench/kernels (public kernel API only), built here with wasm-pack into bench/kernels/pkg-<variant> (git-ignored).
// Its GFLOP/s divided by the f32x4 peak of lib/peak.mjs is the kernel's fraction of peak. A build failure (e.g. the
// kernel API changed) is reported and the section skipped; the rest of the benchmark does not depend on it.
import path from 'node:path';
import { spawnSync } from 'node:child_process';

/** The 13 pointwise layers of MobileNet V1 1.0/224: [pixels M, input channels K, output channels N, count]. */
export const POINTWISE_224 = [
  [112 * 112, 32, 64, 1], [56 * 56, 64, 128, 1], [56 * 56, 128, 128, 1], [28 * 28, 128, 256, 1], [28 * 28, 256, 256, 1],
  [14 * 14, 256, 512, 1], [14 * 14, 512, 512, 5], [7 * 7, 512, 1024, 1], [7 * 7, 1024, 1024, 1],
];

const VARIANTS = {
  simd128: { rustflags: null, peak: 'mul+add' }, // .cargo/config.toml's +simd128
  relaxed: { rustflags: '-C target-feature=+simd128,+relaxed-simd', peak: 'madd' },
};

/** Build the helper for each variant; -> [{ variant, peak, dir } | { variant, error }]. */
export function buildKernelBench(root, variants, log) {
  const crate = path.join(root, 'bench', 'kernels');
  return variants.map((variant) => {
    const v = VARIANTS[variant];
    const dir = path.join(crate, `pkg-${variant}`);
    const env = { ...process.env, CARGO_TARGET_DIR: path.join(crate, `target-${variant}`) };
    if (v.rustflags) env.RUSTFLAGS = v.rustflags;
    log(`building bench/kernels (${variant}) with wasm-pack`);
    const r = spawnSync('wasm-pack', ['build', '--release', '--target', 'web', '--out-dir', dir, '--out-name', 'kernel_bench',
      '--no-pack', crate], { env, encoding: 'utf8' });
    if (r.status !== 0) {
      const err = `${r.stderr ?? ''}${r.error ?? ''}`.split('\n').filter((l) => /error/.test(l)).slice(0, 3).join(' | ');
      return { variant, error: `wasm-pack build failed: ${err || `exit ${r.status}`}` };
    }
    return { variant, peak: v.peak, dir };
  });
}
