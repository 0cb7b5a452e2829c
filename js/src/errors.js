// Typed errors. Every failure the package reports is a MobileNetError whose `code` is stable API: the codes the wasm
// layer gives (src/error.rs) plus the ones only the JavaScript layer can detect (download, integrity, workers…).

/** Codes raised by the JavaScript layer; the wasm layer adds MODEL_TRUNCATED, NOT_TFLITE, MODEL_MALFORMED,
 * NOT_MOBILENET, UNSUPPORTED, TOO_LARGE, INVALID_ARGUMENT and DECODE_FAILED. */
export const JS_ERROR_CODES = Object.freeze([
  'INVALID_ARGUMENT', // a bad option or source (shared with the wasm layer)
  'SOURCE_NOT_READY', // a <video> with no frame yet or an <img> that has not loaded: try again on the next frame
  'MODEL_FETCH_FAILED', // the model download failed (HTTP status, network, file not found)
  'INTEGRITY_MISMATCH', // the model's sha256 is not the `integrity` given
  'NO_WASM_SIMD', // this engine lacks WebAssembly SIMD128, which every build needs
  'BUILD_UNAVAILABLE', // `build` asked for a build this package or this engine cannot run
  'UNSUPPORTED_ENVIRONMENT', // a web API the requested feature needs is missing (crypto.subtle, fetch…)
  'WORKER_FAILED', // the inference worker could not start or died
  'DISPOSED', // the classifier was disposed
  'ABORTED', // the `signal` passed to load() aborted
  'INTERNAL', // a bug: the wasm instance trapped or something unexpected threw
]);

export class MobileNetError extends Error {
  /**
   * @param {string} code stable machine-readable code (see JS_ERROR_CODES and the README)
   * @param {string} message what went wrong, for humans
   * @param {{ cause?: unknown }} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'MobileNetError';
    this.code = code;
  }
}

/** Wrap anything thrown (a wasm `Error` with `code`, a DOMException, a string) into a MobileNetError. */
export function asMobileNetError(e, fallbackCode = 'INTERNAL') {
  if (e instanceof MobileNetError) return e;
  if (e?.name === 'AbortError') return new MobileNetError('ABORTED', 'aborted', { cause: e });
  const code = typeof e?.code === 'string' && /^[A-Z_]+$/.test(e.code) ? e.code : fallbackCode;
  // A trapped wasm instance (panic = abort) throws a RuntimeError: that is our bug, never the caller's.
  const finalCode = typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError ? 'INTERNAL' : code;
  return new MobileNetError(finalCode, String(e?.message ?? e), { cause: e });
}

/** The structured-clone-safe form of an error, for the worker protocol. */
export function errorToMessage(e) {
  const err = asMobileNetError(e);
  return { code: err.code, message: err.message };
}

export function errorFromMessage({ code, message }) {
  return new MobileNetError(code, message);
}

export function invalid(message) {
  return new MobileNetError('INVALID_ARGUMENT', message);
}
