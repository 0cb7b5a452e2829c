// One thread of the threaded build's pool (started by pool.js): instantiate the threaded glue on the shared
// module and memory it is sent, say so, then serve the rayon pool until the inference worker ends.
import { BUILDS } from './builds.js';

self.addEventListener('message', async function init({ data }) {
  if (data?.type !== 'wasm_bindgen_worker_init') return;
  self.removeEventListener('message', init);
  let glue;
  try {
    glue = await BUILDS.threads.load();
    await glue.default({ module_or_path: data.module, memory: data.memory });
  } catch (e) {
    self.postMessage({ type: 'mobilenet_pool_worker_failed', message: String(e?.message ?? e) });
    return;
  }
  self.postMessage({ type: 'wasm_bindgen_worker_ready' });
  glue.wbg_rayon_start_worker(data.receiver); // returns only when the pool is torn down
});
