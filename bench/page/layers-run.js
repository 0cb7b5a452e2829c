// Times the helper crate's Pointwise GEMM (bench/kernels, see bench/lib/layers.mjs) for each layer shape:
// 2 warm-up runs, then runs until >= 150 ms and >= 5 runs. -> [{ m, k, n, count, medianMs, bestMs, gflops }]
export async function measureLayers({ jsUrl, wasmUrl, shapes }) {
  const mod = await import(jsUrl);
  await mod.default({ module_or_path: wasmUrl });
  const out = [];
  for (const [m, k, n, count] of shapes) {
    const layer = new mod.Pointwise(m, k, n);
    let sink = layer.run() + layer.run();
    const times = [];
    const start = performance.now();
    while (times.length < 5 || performance.now() - start < 150) {
      const t0 = performance.now();
      sink += layer.run();
      times.push(performance.now() - t0);
    }
    layer.free();
    times.sort((a, b) => a - b);
    const medianMs = times[times.length >> 1];
    out.push({ m, k, n, count, medianMs, bestMs: times[0], gflops: (2 * m * k * n) / (medianMs * 1e6), sink });
  }
  return out;
}
