// TypeScript consumer: type-checked with `tsc --noEmit` against the installed package's declarations. Each
// expect-error directive in mistakes() must meet an error: the check fails if the declarations loosen to `any`.
import { Classifier, MobileNetError, initWasm, load } from 'mobilenet-wasm';
import type { BuildName, ClassifyOptions, ErrorCode, ImageSource, MobileNet, ModelInfo, Prediction } from 'mobilenet-wasm';

export async function webcam(video: HTMLVideoElement): Promise<string> {
  const clf: MobileNet = await load({
    model: '/models/mobilenet_v1_1.0_224_quant.tflite',
    threads: 'auto',
    worker: true,
    cache: true,
    integrity: 'sha256-mJsAz24ejvAu8PdA7l65Q5K2NPxpd4CP4f7ttX6S6Dc=',
    onProgress: ({ loaded, total, cached }) => console.log(loaded, total, cached),
  });
  const info: Readonly<ModelInfo> = clf.info;
  const build: BuildName = info.build;
  const options: ClassifyOptions = { topK: 3, scoreThreshold: 0.1, deny: ['background'], mirror: true };
  const predictions: Prediction[] = await clf.classify(video, options);
  const features: Float32Array = await clf.embed(video, { mirror: true });
  clf.dispose();
  return `${build} ${info.threads} ${predictions[0]?.label} ${predictions[0]?.probability.toFixed(2)} ${features.length}`;
}

export async function everySource(clf: MobileNet, bitmap: ImageBitmap, data: ImageData, canvas: OffscreenCanvas) {
  const sources: ImageSource[] = [bitmap, data, canvas, new Uint8Array(8), new ArrayBuffer(8), new Blob([]), { data: new Uint8Array(12), width: 2, height: 2, channels: 3 }];
  for (const s of sources) await clf.classify(s);
}

export async function errors(bytes: Uint8Array): Promise<ErrorCode | undefined> {
  try {
    await load({ model: bytes, build: 'relaxed-simd', threads: false, signal: AbortSignal.timeout(1000) });
  } catch (e) {
    if (e instanceof MobileNetError) return e.code;
  }
  return undefined;
}

export async function lowLevel(bytes: Uint8Array): Promise<number> {
  await initWasm();
  const c = new Classifier(bytes);
  c.setFilter(0.5, ['espresso'], null);
  const n = c.numClasses;
  c.free();
  return n;
}

export async function mistakes(clf: MobileNet) {
  // @ts-expect-error topK is a number
  await clf.classify(new Uint8Array(1), { topK: '5' });
  // @ts-expect-error a misspelt option
  await clf.classify(new Uint8Array(1), { topk: 5 });
  // @ts-expect-error not an image source
  await clf.classify(42);
  // @ts-expect-error no such build
  await load({ model: 'm.tflite', build: 'gpu' });
  // @ts-expect-error the model is required
  await load({ worker: false });
  // @ts-expect-error info is read-only
  clf.info.build = 'simd';
  // @ts-expect-error predictions have no className (that is tfjs' shape)
  (await clf.classify(new Uint8Array(1)))[0].className;
}
