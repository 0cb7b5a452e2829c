// Runs the f32x4 peak modules of bench/lib/peak.mjs (in the page and in Node: no DOM use). Each module exports
// run(n, m, c): n loop iterations of `flopsPerIter` FLOPs. n is calibrated to >= 100 ms, then REPEATS timings
// (the best is the peak: on a shared machine every disturbance only slows a run down).
const REPEATS = 10;
export async function measurePeak(variants) {
  const results = [];
  for (const v of variants) {
    const r = { name: v.name, variant: v.variant, chains: v.chains };
    try {
      const bytes = v.bytes ?? new Uint8Array(await (await fetch(v.url)).arrayBuffer());
      const { instance } = await WebAssembly.instantiate(bytes);
      const run = instance.exports.run;
      let n = 1000;
      for (;;) { // calibrate (also warms the function up into the optimising tier)
        const t0 = performance.now();
        run(n, 1.0, 1e-7);
        if (performance.now() - t0 > 100) break;
        n *= 2;
      }
      const gflops = [];
      let sink = 0;
      for (let rep = 0; rep < REPEATS; rep++) {
        const t0 = performance.now();
        sink += run(n, 1.0, 1e-7);
        gflops.push((n * v.flopsPerIter) / ((performance.now() - t0) * 1e6));
      }
      gflops.sort((a, b) => a - b);
      Object.assign(r, { best: gflops[gflops.length - 1], median: gflops[REPEATS >> 1], sink });
    } catch (e) {
      r.error = String(e?.message ?? e); // e.g. relaxed SIMD not enabled in this engine
    }
    results.push(r);
  }
  return results;
}
