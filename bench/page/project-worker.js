// Runs a project build inside a module Worker: the threaded build (wasm-bindgen-rayon) blocks with Atomics.wait
// while its pool works, which a page's main thread may not do. Protocol (one request in flight at a time):
//   { cmd: 'setup', jsUrl, wasmUrl, modelUrl, threads, quantized } -> { info }
//   { cmd: 'input', u8, f32 }                                      -> {}
//   { cmd: 'infer' }                                               -> { output } (transferred)
let clf = null, infer = null, input = null;

self.onmessage = async ({ data: m }) => {
  try {
    if (m.cmd === 'setup') {
      const mod = await import(m.jsUrl);
      await mod.default({ module_or_path: m.wasmUrl });
      if (typeof mod.initThreadPool === 'function') await mod.initThreadPool(m.threads);
      const bytes = new Uint8Array(await (await fetch(m.modelUrl)).arrayBuffer());
      clf = new mod.Classifier(bytes);
      clf.warmUp?.(); // as the package's load() does (part of setup; builds before it lack the method)
      infer = m.quantized ? () => clf.runRaw(input) : () => clf.runRawFloat(input);
      const threads = typeof mod.threadCount === 'function' ? mod.threadCount() : m.threads;
      self.postMessage({ info: { threads, inputSize: clf.inputSize, quantized: clf.quantized } });
    } else if (m.cmd === 'input') {
      input = m.quantized ? m.u8 : m.f32;
      self.postMessage({});
    } else if (m.cmd === 'infer') {
      const output = infer();
      self.postMessage({ output }, [output.buffer]);
    }
  } catch (e) {
    self.postMessage({ error: String(e?.message ?? e) });
  }
};
