// The page's side of the worker protocol (worker.js documents the messages): inference runs in a module Worker so
// the page never blocks; frames cross as transferred ImageBitmaps (or pixel buffers), answers come back by `id`.
import { MobileNetError, errorFromMessage } from './errors.js';
import { describeSource, frameForWorker } from './frames.js';

/**
 * Start a worker and load the model into it.
 * @param {{ model: Uint8Array, labels?: string[], candidates: string[], threadCount: number, warmUp: boolean }} o
 */
export async function startWorker({ model, labels, candidates, threadCount, warmUp }) {
  // This exact `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })` shape is what Vite and
  // webpack 5 recognise to bundle the worker with zero configuration; browsers run it as is.
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'mobilenet-wasm' });
  const client = new WorkerClient(worker);
  const owned = model.byteOffset === 0 && model.byteLength === model.buffer.byteLength ? model : model.slice();
  try {
    const loaded = await client.call('load', { model: owned, labels, candidates, threadCount, warmUp }, [owned.buffer]);
    return new WorkerBackend(client, loaded);
  } catch (e) {
    client.close(e);
    throw e;
  }
}

class WorkerClient {
  #worker;
  #pending = new Map(); // id → { resolve, reject }
  #nextId = 1;
  #closed = null; // the error every later call rejects with

  constructor(worker) {
    this.#worker = worker;
    worker.onmessage = ({ data }) => {
      const call = this.#pending.get(data?.id);
      if (!call) return;
      this.#pending.delete(data.id);
      if (data.ok) call.resolve(data.result);
      else call.reject(errorFromMessage(data.error));
    };
    worker.onerror = (event) => {
      event.preventDefault?.();
      const why =
        event.message ||
        'its script could not be loaded: worker.js must be served next to index.js (Vite dev server: add ' +
          "optimizeDeps: { exclude: ['mobilenet-wasm'] } to vite.config)";
      this.close(new MobileNetError('WORKER_FAILED', `the inference worker failed: ${why}`));
    };
    worker.onmessageerror = () => this.close(new MobileNetError('WORKER_FAILED', 'a worker message could not be decoded'));
  }

  call(op, payload, transfer = []) {
    if (this.#closed) {
      for (const t of transfer) t.close?.(); // an ImageBitmap made for this call
      return Promise.reject(this.#closed);
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, op, ...payload }, transfer);
    });
  }

  /** Stop the worker; pending and later calls reject with `error`. */
  close(error) {
    if (this.#closed) return;
    this.#closed = error;
    this.#worker.terminate();
    for (const call of this.#pending.values()) call.reject(error);
    this.#pending.clear();
  }
}

class WorkerBackend {
  #client;
  worker = true;

  constructor(client, { info, labels }) {
    this.#client = client;
    this.info = info;
    this.labels = labels;
  }

  async classify(source, options) {
    const { frame, transfer } = await frameForWorker(await describeSource(source));
    return this.#client.call('classify', { frame, options }, transfer);
  }

  async embed(source, options) {
    const { frame, transfer } = await frameForWorker(await describeSource(source));
    return this.#client.call('embed', { frame, options }, transfer);
  }

  dispose() {
    this.#client.close(new MobileNetError('DISPOSED', 'this classifier was disposed'));
  }
}
