// What the caller hands to classify()/embed() → a frame the engine can run. Three kinds of frame:
//   { kind: 'encoded', bytes }                          PNG/JPEG/BMP/GIF/WebP bytes, decoded in wasm (works in Node)
//   { kind: 'pixels', data, width, height, channels }   raw RGBA (ImageData) or RGB, row-major
//   { kind: 'drawable', drawable, width, height }       anything a 2D canvas can draw (video, img, canvas, bitmap)
// Every check here uses `typeof X` guards so the module also loads in Node and in workers.
import { MobileNetError, invalid } from './errors.js';

const has = (name) => typeof globalThis[name] === 'function';
const isA = (x, name) => has(name) && x instanceof globalThis[name];

/** Sort a source into a frame kind; waits only for an <img> still loading. */
export async function describeSource(source) {
  if (source instanceof ArrayBuffer) return { kind: 'encoded', bytes: new Uint8Array(source) };
  if (source instanceof Uint8Array) return { kind: 'encoded', bytes: source }; // includes Node's Buffer
  if (isA(source, 'Blob')) return { kind: 'encoded', bytes: new Uint8Array(await source.arrayBuffer()) };
  if (isA(source, 'ImageData')) return pixels(source.data, source.width, source.height);
  const drawable = await drawableFrame(source);
  if (drawable) return drawable;
  if (source && typeof source === 'object' && ArrayBuffer.isView(source.data) && 'width' in source && 'height' in source) {
    return pixels(source.data, source.width, source.height, source.channels);
  }
  throw invalid(
    'source must be an HTMLVideoElement, HTMLImageElement, HTMLCanvasElement, OffscreenCanvas, ImageBitmap, VideoFrame, ' +
      'ImageData, { data, width, height, channels? } raw pixels, or encoded image bytes (Uint8Array, ArrayBuffer, Blob)',
  );
}

/** Raw pixels; `channels` (3 = RGB, 4 = RGBA) defaults to whatever the data length implies. */
function pixels(data, width, height, channels) {
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) throw invalid('pixel data must be a Uint8Array or Uint8ClampedArray');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw invalid(`frame size must be positive integers, got ${width}×${height}`);
  }
  const c = channels ?? (data.length === width * height * 3 ? 3 : 4);
  if (c !== 3 && c !== 4) throw invalid(`channels must be 3 (RGB) or 4 (RGBA), got ${channels}`);
  return { kind: 'pixels', data, width, height, channels: c };
}

async function drawableFrame(source) {
  let width;
  let height;
  if (isA(source, 'HTMLVideoElement')) {
    // HAVE_CURRENT_DATA: before it the element has no frame to draw (camera still starting, seeking…).
    if (source.readyState < 2 || source.videoWidth === 0) throw notReady('the video has no frame yet');
    [width, height] = [source.videoWidth, source.videoHeight];
  } else if (isA(source, 'HTMLImageElement')) {
    if (!source.complete) await source.decode().catch(() => {});
    if (source.naturalWidth === 0) throw notReady('the image has not loaded (or failed to)');
    [width, height] = [source.naturalWidth, source.naturalHeight];
  } else if (isA(source, 'VideoFrame')) {
    [width, height] = [source.displayWidth, source.displayHeight];
  } else if (isA(source, 'HTMLCanvasElement') || isA(source, 'OffscreenCanvas') || isA(source, 'ImageBitmap')) {
    [width, height] = [source.width, source.height];
  } else {
    return null;
  }
  if (!(width > 0 && height > 0)) throw invalid(`the source is empty (${width}×${height}; a closed ImageBitmap?)`);
  return { kind: 'drawable', drawable: source, width, height };
}

function notReady(message) {
  return new MobileNetError('SOURCE_NOT_READY', message);
}

let scratch = null; // one canvas reused across frames: resizing only when the frame size changes

/** Draw a drawable at its natural size and read back its RGBA pixels. */
export function readPixels(drawable, width, height) {
  if (!scratch || scratch.canvas.width !== width || scratch.canvas.height !== height) {
    let canvas;
    if (has('OffscreenCanvas')) canvas = new OffscreenCanvas(width, height);
    else if (globalThis.document) canvas = Object.assign(document.createElement('canvas'), { width, height });
    else throw new MobileNetError('UNSUPPORTED_ENVIRONMENT', 'drawing a frame needs OffscreenCanvas or a document');
    scratch = { canvas, ctx: canvas.getContext('2d', { willReadFrequently: true }) };
  }
  scratch.ctx.drawImage(drawable, 0, 0, width, height);
  return scratch.ctx.getImageData(0, 0, width, height).data;
}

/**
 * A frame ready for postMessage to the worker, plus what to transfer. Drawables become ImageBitmaps (a GPU-side
 * copy; the worker reads the pixels, so the page never waits for a readback) when the worker can draw them
 * (OffscreenCanvas), else their pixels are read here and the buffer transferred. Caller-owned buffers are
 * copied by structured clone, never detached.
 */
export async function frameForWorker(frame) {
  if (frame.kind !== 'drawable') return { frame, transfer: [] };
  const { drawable, width, height } = frame;
  if (has('OffscreenCanvas') && has('createImageBitmap')) {
    const bitmap = await createImageBitmap(drawable);
    return { frame: { kind: 'drawable', drawable: bitmap, width, height, owned: true }, transfer: [bitmap] };
  }
  const data = readPixels(drawable, width, height);
  return { frame: { kind: 'pixels', data, width, height, channels: 4 }, transfer: [data.buffer] };
}
