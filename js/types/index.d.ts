// Type declarations of mobilenet-wasm (browser and Node entries share them). Hand-written: the runtime is plain
// ES modules; the low-level `Classifier` types are wasm-bindgen's own (whose `[Symbol.dispose]` needs the
// esnext.disposable lib, referenced here so consumers need not change their `lib`).
/// <reference lib="dom" />
/// <reference lib="esnext.disposable" />

export { Classifier } from './wasm/simd/mobilenet_wasm.js';

/** One ranked class. */
export interface Prediction {
  /** Class index in the model's numbering (ImageNet models: 1001 classes, 0 = "background"). */
  index: number;
  label: string;
  /** Softmax probability in [0, 1] (dequantised for uint8 models). */
  probability: number;
}

/** The wasm build running inference: chosen at load() from what the package ships and the engine supports. */
export type BuildName = 'simd' | 'relaxed-simd' | 'threads';

export interface ModelInfo {
  /** Width multiplier α (0.25, 0.5, 0.75, 1.0 for the published models). */
  alpha: number;
  /** Resolution ρ: frames are centre-cropped and resized to ρ×ρ. */
  inputSize: number;
  numClasses: number;
  /** true for uint8 models (bit-exact with TFLite), false for float32. */
  quantized: boolean;
  /** Length of embed() vectors (1024·α). */
  embeddingLength: number;
  build: BuildName;
  /** Threads each inference uses: 1 unless `build` is 'threads' and the network is large enough to gain from
   * them (≥ 100 M multiply-adds: 1.0/224 and 0.75/192 on the published models). */
  threads: number;
  /** true when inference runs in a Worker. */
  worker: boolean;
}

export interface LoadProgress {
  /** Bytes received so far. */
  loaded: number;
  /** Bytes expected; 0 while unknown (no Content-Length, or a compressed transfer). */
  total: number;
  /** true when the bytes come from Cache Storage rather than the network. */
  cached: boolean;
}

export interface LoadOptions {
  /**
   * The MobileNet V1 .tflite (uint8 or float32, any α, ρ and class count): a URL (relative to the page), bytes,
   * a Blob or a Response; in Node also a file path or file: URL. Models are not bundled: see the README.
   */
  model: string | URL | ArrayBuffer | ArrayBufferView | Blob | Response;
  /** One label per class; default: the built-in ImageNet labels for 1001/1000-class models, else "class N". */
  labels?: string[];
  /** Thread pool size for the threaded build: 'auto' (default: the core count, at most 8), false or 1 for one. */
  threads?: 'auto' | boolean | number;
  /** Run inference in a module Worker (default true in browsers; Node always runs on the calling thread). */
  worker?: boolean;
  /** Force a build instead of choosing the best runnable one (default 'auto'). */
  build?: 'auto' | BuildName;
  /** Download progress, called as bytes arrive (and once for bytes given directly). */
  onProgress?: (progress: LoadProgress) => void;
  /** Keep the downloaded model in Cache Storage (true: cache "mobilenet-wasm-models"; a string: that cache). */
  cache?: boolean | string;
  /** Expected sha256 of the model: 'sha256-<base64>' (as in SRI) or 64 hex digits. Checked on every load. */
  integrity?: string;
  /** Aborts the download. */
  signal?: AbortSignal;
  /**
   * Run the network twice on a grey frame before load() resolves (default true), so that the first real frame is
   * already at full speed: engines first run new wasm in a baseline tier (Chromium, 1.0/224: first inference
   * 130–200 ms against 36 steady). Costs about that much at load; false skips it.
   */
  warmUp?: boolean;
}

export interface ClassifyOptions {
  /** How many classes to return, best first (default 5). */
  topK?: number;
  /** Drop predictions with probability below this, in [0, 1] (default 0). */
  scoreThreshold?: number;
  /** Return only these labels (mutually exclusive with `deny`). Unknown labels are an INVALID_ARGUMENT error. */
  allow?: string[];
  /** Never return these labels. */
  deny?: string[];
  /** Flip frames horizontally first (a selfie camera shown mirrored). Not for encoded images. */
  mirror?: boolean;
}

export interface EmbedOptions {
  mirror?: boolean;
}

/** Raw pixels, row-major: RGBA (channels 4, as ImageData) or RGB (channels 3). */
export interface RawPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** Default: inferred from data.length. */
  channels?: 3 | 4;
}

/** Everything classify() and embed() accept. Encoded bytes (PNG, JPEG, BMP, GIF, WebP) are decoded in wasm. */
export type ImageSource =
  | HTMLVideoElement
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | ImageBitmap
  | VideoFrame
  | ImageData
  | RawPixels
  | Uint8Array
  | ArrayBuffer
  | Blob;

export declare class MobileNet {
  private constructor();
  readonly info: Readonly<ModelInfo>;
  /** The class labels, index-aligned with Prediction.index. */
  readonly labels: readonly string[];
  /** Classify one image or video frame; predictions come best first. */
  classify(source: ImageSource, options?: ClassifyOptions): Promise<Prediction[]>;
  /** The embedding (global-average-pooled features, info.embeddingLength floats). */
  embed(source: ImageSource, options?: EmbedOptions): Promise<Float32Array>;
  /** Free the wasm memory and stop the worker; later calls reject with code 'DISPOSED'. */
  dispose(): void;
}

/** Load a model: `const clf = await load({ model: 'mobilenet_v1_1.0_224_quant.tflite' })`. */
export declare function load(options: LoadOptions): Promise<MobileNet>;

/** Codes of errors raised by the wasm layer. */
export type WasmErrorCode =
  | 'MODEL_TRUNCATED'
  | 'NOT_TFLITE'
  | 'MODEL_MALFORMED'
  | 'NOT_MOBILENET'
  | 'UNSUPPORTED'
  | 'TOO_LARGE'
  | 'INVALID_ARGUMENT'
  | 'DECODE_FAILED';

/** Codes of errors raised by the JavaScript layer. */
export type JsErrorCode =
  | 'INVALID_ARGUMENT'
  | 'SOURCE_NOT_READY'
  | 'MODEL_FETCH_FAILED'
  | 'INTEGRITY_MISMATCH'
  | 'NO_WASM_SIMD'
  | 'BUILD_UNAVAILABLE'
  | 'UNSUPPORTED_ENVIRONMENT'
  | 'WORKER_FAILED'
  | 'DISPOSED'
  | 'ABORTED'
  | 'INTERNAL';

export type ErrorCode = WasmErrorCode | JsErrorCode;

/** Every error this package rejects with. */
export declare class MobileNetError extends Error {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown });
  readonly name: 'MobileNetError';
  readonly code: ErrorCode;
}

export declare const JS_ERROR_CODES: readonly JsErrorCode[];
export declare const DEFAULT_TOP_K: number;
/** The Cache Storage name `cache: true` uses (delete it with `caches.delete(DEFAULT_CACHE_NAME)`). */
export declare const DEFAULT_CACHE_NAME: string;

/** What this engine supports: SIMD128 (required), relaxed SIMD, threads (cross-origin isolation). */
export declare function detectFeatures(): { simd: boolean; relaxedSimd: boolean; threads: boolean };

/**
 * Initialise the low-level wasm-bindgen API (the SIMD128 build) before `new Classifier(bytes)`. In browsers the
 * .wasm is fetched next to the module unless `moduleOrPath` says otherwise; in Node it is read from disk.
 */
export declare function initWasm(moduleOrPath?: string | URL | Response | BufferSource | WebAssembly.Module): Promise<void>;
