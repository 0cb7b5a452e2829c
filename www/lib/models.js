// The models the demo offers: models/models.json (written at build time by tools/model-index.mjs) plus which of
// them the package has already put in Cache Storage, i.e. which work offline.
import { DEFAULT_CACHE_NAME } from '../mobilenet-wasm/index.js';

/**
 * @typedef {{ name: string, file: string, bytes: number, sha256: string, alpha: number | null,
 *   resolution: number | null, dtype: 'uint8' | 'float32' | null, url: string }} ModelEntry
 */

/** @returns {Promise<{ models: ModelEntry[], defaultName: string }>} */
export async function fetchModelIndex() {
  const response = await fetch('models/models.json');
  if (!response.ok) throw new Error(`models/models.json: HTTP ${response.status}`);
  const index = await response.json();
  const models = index.models.map((m) => ({ ...m, url: new URL(`models/${m.file}`, document.baseURI).href }));
  if (models.length === 0) throw new Error('models/models.json lists no model');
  const defaultName = models.some((m) => m.name === index.default) ? index.default : models[0].name;
  return { models, defaultName };
}

export function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
}

/** 1 → "1.0", 0.25 → "0.25": how the MobileNet file names write α. */
export function formatAlpha(alpha) {
  return Number.isInteger(alpha) ? alpha.toFixed(1) : String(alpha);
}

/** "α 1.0 · 224 px · uint8 · 4.3 MB" (the file name when it does not follow the standard naming). */
export function describeModel(m) {
  if (m.alpha === null) return `${m.name} · ${megabytes(m.bytes)}`;
  return `α ${formatAlpha(m.alpha)} · ${m.resolution} px · ${m.dtype} · ${megabytes(m.bytes)}`;
}

/** "MobileNet 1.0/224 uint8", for sentences. */
export function modelTitle(m) {
  return m.alpha === null ? m.name : `MobileNet ${formatAlpha(m.alpha)}/${m.resolution} ${m.dtype}`;
}

/** URLs of the models already in the package's cache (empty where Cache Storage is unavailable). */
export async function cachedModelUrls() {
  if (typeof caches === 'undefined') return new Set();
  try {
    const cache = await caches.open(DEFAULT_CACHE_NAME);
    return new Set((await cache.keys()).map((request) => request.url));
  } catch {
    return new Set();
  }
}

/** The package's integrity option, when this page can check it (crypto.subtle needs a secure context). */
export function integrityOf(m) {
  return globalThis.crypto?.subtle && /^[0-9a-f]{64}$/.test(m.sha256 ?? '') ? m.sha256 : undefined;
}
