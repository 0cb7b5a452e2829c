// Starts the threaded build's pool workers. js/assemble.mjs points the threaded glue's worker-helper import here,
// in place of wasm-bindgen-rayon's own helper: that one re-imports the glue by its URL at run time (no-bundler
// mode), which exists only when the package is served as is, so bundled apps could not use threads. Here each
// pool thread is `pool-worker.js`, made by a factory the inference worker registers with a static
// `new Worker(new URL('./pool-worker.js', import.meta.url))`, a form Vite, webpack 5 and browsers all follow.

let makeWorker = null;
/** Pool workers, kept reachable: Firefox may collect workers sharing wasm memory that nothing references. */
let workers = [];

/** @param {() => Worker} factory makes one pool worker (worker.js registers it; pages never start pools). */
export function setPoolWorkerFactory(factory) {
  makeWorker = factory;
}

/**
 * Called by the threaded glue's `initThreadPool`: start `builder.numThreads()` workers on this module and shared
 * memory, each of which enters the rayon pool, then let the pool run.
 * @param {WebAssembly.Module} module
 * @param {WebAssembly.Memory} memory
 * @param {{ numThreads(): number, receiver(): number, build(): void }} builder
 */
export async function startWorkers(module, memory, builder) {
  if (!makeWorker) throw new Error('thread pools start only in the inference worker (no pool worker factory)');
  const count = builder.numThreads();
  if (!(count > 0)) throw new Error(`a pool needs at least one thread, got ${count}`);
  const init = { type: 'wasm_bindgen_worker_init', module, memory, receiver: builder.receiver() };
  const started = await Promise.allSettled(Array.from({ length: count }, () => startOne(init)));
  const failure = started.find((r) => r.status === 'rejected');
  if (failure) {
    // The pool cannot be built: stop the threads that did start (they would wait for it forever).
    for (const r of started) if (r.status === 'fulfilled') r.value.terminate();
    throw failure.reason;
  }
  workers = started.map((r) => r.value);
  builder.build();
}

function startOne(init) {
  return new Promise((resolve, reject) => {
    const worker = makeWorker();
    const failed = (e) => {
      worker.terminate();
      reject(new Error(`a pool worker failed to start: ${e?.message ?? 'script error'}`));
    };
    worker.addEventListener('error', failed);
    worker.addEventListener('message', function ready({ data }) {
      if (data?.type === 'mobilenet_pool_worker_failed') return failed(data);
      if (data?.type !== 'wasm_bindgen_worker_ready') return;
      worker.removeEventListener('message', ready);
      worker.removeEventListener('error', failed);
      resolve(worker);
    });
    worker.postMessage(init);
  });
}
