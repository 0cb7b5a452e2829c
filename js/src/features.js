// Which wasm build can this engine run? Feature probes and the build preference order.
// The probes are two tiny hand-assembled modules rather than a dependency (wasm-feature-detect would do the same
// with ~30 probes we do not need); each is `(func (result v128) …)` and only has to validate, never run.
import { MobileNetError } from './errors.js';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const TYPE_AND_FUNC = [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00]; // one func: () -> v128
const I8X16_SPLAT_0 = [0x41, 0x00, 0xfd, 0x0f]; // i32.const 0; i8x16.splat

function moduleWithBody(instructions) {
  const body = [0x00, ...instructions, 0x0b]; // no locals … end
  return Uint8Array.from([...HEADER, ...TYPE_AND_FUNC, 0x0a, body.length + 2, 0x01, body.length, ...body]);
}

/** SIMD128: i8x16.splat. */
export const SIMD_PROBE = moduleWithBody(I8X16_SPLAT_0);
/** Relaxed SIMD: i8x16.relaxed_swizzle (opcode 0xfd 0x100, LEB128 0x80 0x02) of two splats. */
export const RELAXED_SIMD_PROBE = moduleWithBody([...I8X16_SPLAT_0, ...I8X16_SPLAT_0, 0xfd, 0x80, 0x02]);

function validates(bytes) {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/** Threads need shared wasm memory, which browsers only give cross-origin-isolated pages. */
function sharedMemoryWorks() {
  if (typeof SharedArrayBuffer !== 'function' || globalThis.crossOriginIsolated !== true) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** @returns {{ simd: boolean, relaxedSimd: boolean, threads: boolean }} what this engine/page supports */
export function detectFeatures() {
  return { simd: validates(SIMD_PROBE), relaxedSimd: validates(RELAXED_SIMD_PROBE), threads: sharedMemoryWorks() };
}

/** Pool size for `threads` ('auto' | true | false | integer); 1 means single-threaded. */
export function resolveThreadCount(threads = 'auto') {
  if (threads === 'auto' || threads === true) {
    // The thread that calls into wasm waits while the pool works, so the pool may use every core; more than 8
    // threads buys nothing on a network this size.
    return Math.max(1, Math.min(globalThis.navigator?.hardwareConcurrency ?? 1, 8));
  }
  if (threads === false) return 1;
  if (Number.isInteger(threads) && threads >= 1 && threads <= 64) return threads;
  throw new MobileNetError('INVALID_ARGUMENT', `threads must be 'auto', false or an integer in 1..64, got ${threads}`);
}

export const BUILD_NAMES = Object.freeze(['threads', 'relaxed-simd', 'simd']);

/**
 * Builds to try, best first. `available`: the builds this package ships; `threadsAllowed`: false on a browser
 * main thread (a threaded build blocks with Atomics.wait, which the main thread forbids) and in Node.
 * @returns {string[]} never empty
 */
export function buildCandidates({ available, features, build = 'auto', threadCount, threadsAllowed }) {
  if (!features.simd) {
    throw new MobileNetError('NO_WASM_SIMD', 'this browser lacks WebAssembly SIMD128 (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+)');
  }
  const runnable = {
    threads: available.includes('threads') && features.threads && threadsAllowed && threadCount > 1,
    'relaxed-simd': available.includes('relaxed-simd') && features.relaxedSimd,
    simd: available.includes('simd'),
  };
  if (build !== 'auto') {
    if (!BUILD_NAMES.includes(build)) {
      throw new MobileNetError('INVALID_ARGUMENT', `build must be 'auto' or one of ${BUILD_NAMES.join(', ')}, got ${build}`);
    }
    if (!runnable[build]) {
      const why = !available.includes(build) ? 'not shipped for this platform' : 'this engine or page cannot run it';
      throw new MobileNetError('BUILD_UNAVAILABLE', `build '${build}' is unavailable: ${why}`);
    }
    return [build];
  }
  const order = BUILD_NAMES.filter((name) => runnable[name]);
  if (order.length === 0) throw new MobileNetError('BUILD_UNAVAILABLE', 'this package ships no runnable wasm build');
  return order;
}
