// Getting the model's bytes: from bytes, a Blob/Response, or a URL (download with progress, optional Cache Storage
// so a model downloads once per origin, optional sha256 integrity check). Runs where load() is called, so the
// model arrives in the worker as one transferred buffer and progress needs no messages.
import { MobileNetError, asMobileNetError, invalid } from './errors.js';

export const DEFAULT_CACHE_NAME = 'mobilenet-wasm-models';

/**
 * @param {string | URL | ArrayBuffer | ArrayBufferView | Blob | Response} model
 * @param {object} o
 * @param {(p: { loaded: number, total: number, cached: boolean }) => void} [o.onProgress]
 * @param {boolean | string} [o.cache] Cache Storage: true for the default cache name, or a cache name
 * @param {string} [o.integrity] 'sha256-<base64>' (as in SRI) or 64 hex digits
 * @param {AbortSignal} [o.signal]
 * @param {{ read(url: URL): Promise<Uint8Array>, toUrl(path: string): URL }} [o.files] Node only: plain paths
 *   and file: URLs are read from disk
 * @returns {Promise<Uint8Array>} a copy the caller owns (it may be transferred to a worker)
 */
export async function modelBytes(model, { onProgress, cache, integrity, signal, files } = {}) {
  const expected = integrity === undefined ? null : parseIntegrity(integrity);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('onProgress must be a function');
  let bytes;
  if (model instanceof ArrayBuffer || ArrayBuffer.isView(model)) {
    bytes = model instanceof ArrayBuffer ? new Uint8Array(model.slice(0)) : new Uint8Array(copyView(model));
    report(onProgress, bytes.length, bytes.length, false);
  } else if (isBlobOrResponse(model)) {
    bytes = new Uint8Array(await model.arrayBuffer());
    report(onProgress, bytes.length, bytes.length, false);
  } else if (typeof model === 'string' || model instanceof URL) {
    const url = resolveUrl(model, files);
    if (url.protocol !== 'file:') return download(url, { onProgress, cache, expected, signal }); // verified there
    if (!files) throw invalid(`file: URLs are only readable in Node: ${url.href}`);
    bytes = await files.read(url).catch((e) => {
      throw new MobileNetError('MODEL_FETCH_FAILED', `cannot read the model ${url.href}: ${e.message}`, { cause: e });
    });
    report(onProgress, bytes.length, bytes.length, false);
  } else {
    throw invalid('model must be a URL, a path (Node), bytes (Uint8Array/ArrayBuffer), a Blob or a Response');
  }
  if (expected && !(await matches(bytes, expected))) throw mismatch(model);
  return bytes;
}

function copyView(view) {
  return view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
}

function isBlobOrResponse(x) {
  return (typeof Blob === 'function' && x instanceof Blob) || (typeof Response === 'function' && x instanceof Response);
}

/** Relative URLs resolve against the page (browser); in Node a string without a scheme is a file path. */
function resolveUrl(model, files) {
  if (model instanceof URL) return model;
  if (files && !/^[a-z][a-z0-9+.-]+:/i.test(model)) return files.toUrl(model); // 2+ letters: not C:\ paths
  const base = globalThis.document?.baseURI ?? globalThis.location?.href;
  try {
    return new URL(model, base);
  } catch {
    throw invalid(`model: not a valid URL: ${model}`);
  }
}

function report(onProgress, loaded, total, cached) {
  onProgress?.({ loaded, total, cached });
}

async function download(url, { onProgress, cache, expected, signal }) {
  const store = await openCache(cache);
  const key = url.href;
  if (store) {
    const hit = await store.match(key).catch(() => undefined);
    if (hit) {
      const bytes = await readBody(hit, onProgress, true, signal);
      if (!expected || (await matches(bytes, expected))) return bytes;
      await store.delete(key).catch(() => false); // a corrupt or outdated entry: fetch it again
    }
  }
  let response;
  try {
    response = await fetch(url, { signal });
  } catch (e) {
    if (e?.name === 'AbortError') throw asMobileNetError(e);
    throw new MobileNetError('MODEL_FETCH_FAILED', `model download failed: ${url.href}: ${e.message}`, { cause: e });
  }
  if (!response.ok) throw new MobileNetError('MODEL_FETCH_FAILED', `model download failed: HTTP ${response.status} for ${url.href}`);
  if (/^text\/html\b/i.test(response.headers.get('Content-Type') ?? '')) {
    // A wrong path behind a dev server or SPA fallback answers 200 with index.html: say so, not "NOT_TFLITE".
    throw new MobileNetError('MODEL_FETCH_FAILED', `${url.href} answered with an HTML page, not a .tflite model: wrong URL?`);
  }
  const bytes = await readBody(response, onProgress, false, signal);
  if (expected && !(await matches(bytes, expected))) throw mismatch(url.href);
  if (store) {
    const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) };
    await store.put(key, new Response(bytes.slice(), { headers })).catch(() => {}); // quota: work uncached
  }
  return bytes;
}

async function openCache(cache) {
  if (!cache) return null;
  if (cache !== true && typeof cache !== 'string') throw invalid('cache must be true, false or a cache name');
  if (typeof caches === 'undefined') return null; // Node, or an insecure context: fall back to the network
  try {
    return await caches.open(cache === true ? DEFAULT_CACHE_NAME : cache);
  } catch {
    return null;
  }
}

/** Read a body, reporting progress; `total` is 0 when unknown (no Content-Length, or a compressed transfer). */
async function readBody(response, onProgress, cached, signal) {
  const declared = Number(response.headers.get('Content-Length'));
  const total = response.headers.get('Content-Encoding') || !(declared > 0) ? 0 : declared;
  try {
    if (!onProgress || !response.body) {
      const bytes = new Uint8Array(await response.arrayBuffer());
      report(onProgress, bytes.length, bytes.length, cached);
      return bytes;
    }
    const reader = response.body.getReader();
    const chunks = [];
    let loaded = 0;
    report(onProgress, 0, total, cached);
    for (;;) {
      if (signal?.aborted) throw new MobileNetError('ABORTED', 'aborted');
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      report(onProgress, loaded, Math.max(total, loaded), cached);
    }
    const bytes = new Uint8Array(loaded);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    if (total !== loaded) report(onProgress, loaded, loaded, cached);
    return bytes;
  } catch (e) {
    if (e instanceof MobileNetError || e?.name === 'AbortError') throw asMobileNetError(e);
    throw new MobileNetError('MODEL_FETCH_FAILED', `model download interrupted: ${e.message}`, { cause: e });
  }
}

/** 'sha256-<base64>' or 64 hex digits → the 32 expected digest bytes. */
export function parseIntegrity(integrity) {
  if (typeof integrity !== 'string') throw invalid('integrity must be a string');
  const hex = integrity.trim().toLowerCase();
  if (/^[0-9a-f]{64}$/.test(hex)) return Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));
  const sri = /^sha256-([A-Za-z0-9+/]{43}=)$/.exec(integrity.trim());
  if (sri) return Uint8Array.from(atob(sri[1]), (c) => c.charCodeAt(0));
  throw invalid(`integrity must be 'sha256-<base64>' or 64 hex digits, got ${JSON.stringify(integrity)}`);
}

async function matches(bytes, expected) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new MobileNetError('UNSUPPORTED_ENVIRONMENT', 'integrity needs crypto.subtle (a secure context: https or localhost)');
  }
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return digest.every((b, i) => b === expected[i]);
}

function mismatch(source) {
  const where = typeof source === 'string' || source instanceof URL ? String(source) : 'the model bytes';
  return new MobileNetError('INTEGRITY_MISMATCH', `the sha256 of ${where} does not match the integrity given`);
}
