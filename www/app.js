// The demo page: webcam or image → the mobilenet-wasm package (inference in its Worker) → live top-5, or teach
// mode's k-NN over embeddings. It uses the package exactly as any page would: load(), classify(), embed().
import { load } from './mobilenet-wasm/index.js';
import { Camera, CameraError, cameraSupport } from './lib/camera.js';
import { FrameLoop } from './lib/frame-loop.js';
import { FrameStats } from './lib/frame-stats.js';
import { watchImageInput } from './lib/image-input.js';
import { cachedModelUrls, describeModel, fetchModelIndex, formatAlpha, integrityOf, megabytes, modelTitle } from './lib/models.js';
import { RankedBars, percent, splitLabel } from './lib/results-view.js';
import { PredictionSmoother } from './lib/smoothing.js';
import { TeachMode } from './lib/teach.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const STORED_MODEL = 'mobilenet-demo:model'; // the last model picked (the only thing this page stores)
const TOP_K_TRACKED = 10; // classes fetched per frame: smoothing needs more than the 5 shown
const MIN_SHOWN = 0.001; // a still image's classes below 0.1 % are noise (uint8 models output many exact zeros)

const ui = {
  stage: $('stage'), video: $('video'), still: $('still'), placeholder: $('placeholder'), overlay: $('overlay'),
  cameraProblem: $('camera-problem'), camera: $('camera'), startBig: $('start-big'), cameraPick: $('camera-pick'),
  cameraSelect: $('camera-select'), mirror: $('mirror'), file: $('file'), status: $('status'), fps: $('fps'),
  latency: $('latency'), build: $('build'), modelInfo: $('model-info'), model: $('model'),
  progress: $('model-progress'), progressBar: $('model-progress-bar'), progressText: $('model-progress-text'),
  tabs: [$('tab-imagenet'), $('tab-teach')], resultsEmpty: $('results-empty'), announcer: $('announcer'),
};

const state = {
  clf: null, // the loaded MobileNet (package object)
  model: null, // its models.json entry
  models: [],
  loading: null, // AbortController of the load in progress
  source: 'none', // 'none' | 'camera' | 'image'
  image: null, // { blob, name, url, predictions, embedding }
  mode: 'imagenet', // 'imagenet' | 'teach'
  mirrorTouched: false, // the user chose; stop guessing from the camera's facing mode
  lastLoad: { model: null, progressEvents: 0, cached: false, ms: 0 },
  framesTotal: 0, // camera frames processed since the page opened (across model switches)
};

const camera = new Camera(ui.video);
const stats = new FrameStats({ latencyWindow: 30 });
const smoother = new PredictionSmoother({ halfLifeMs: 250 });
const results = new RankedBars($('results'), 5);
const teach = new TeachMode({
  list: $('classes'), addButton: $('add-class'), clearButton: $('clear-examples'), note: $('teach-note'),
  onCaptureStart: captureFromStill,
});
const loop = new FrameLoop(ui.video, cameraStep, (e) => report(e));

// ── status line ──────────────────────────────────────────────────────────────────────────────────────────────
function say(text, kind = 'info') {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

function report(e, context = '') {
  const code = e?.code ? ` (${e.code})` : '';
  say(`${context}${e?.message ?? e}${code}`, 'error');
}

/** localStorage, which a browser may refuse (privacy settings, sandboxed frames): then nothing is remembered. */
function storage(op, value) {
  try {
    return op === 'get' ? localStorage.getItem(STORED_MODEL) : localStorage.setItem(STORED_MODEL, value);
  } catch {
    return null;
  }
}

// ── models ───────────────────────────────────────────────────────────────────────────────────────────────────
async function initModels() {
  const { models, defaultName } = await fetchModelIndex();
  state.models = models;
  const wanted = params.get('model') ?? storage('get');
  const first = models.find((m) => m.name === wanted) ?? models.find((m) => m.name === defaultName);
  ui.model.replaceChildren(...models.map((m) => new Option(describeModel(m), m.name)));
  ui.model.value = first.name;
  ui.model.disabled = false;
  ui.model.addEventListener('change', () => switchModel(models.find((m) => m.name === ui.model.value)));
  await refreshCachedMarks();
  await switchModel(first);
}

async function refreshCachedMarks() {
  const cached = await cachedModelUrls();
  for (const option of ui.model.options) {
    const m = state.models.find((x) => x.name === option.value);
    option.textContent = `${describeModel(m)}${cached.has(m.url) ? ' · offline ✓' : ''}`;
  }
}

function showProgress(entry, { loaded, total, cached }) {
  const size = total || entry.bytes;
  ui.progress.hidden = false;
  ui.progressBar.value = size ? Math.min(1, loaded / size) : 0;
  ui.progressText.textContent = cached
    ? `Loading ${modelTitle(entry)} from the offline cache…`
    : `Downloading ${modelTitle(entry)}: ${megabytes(loaded)} / ${megabytes(size)}`;
  if (loaded >= size) ui.progressText.textContent = `Starting ${modelTitle(entry)}…`;
}

function loadOptions(entry, signal, onProgress) {
  const options = { model: entry.url, cache: true, signal, onProgress };
  const integrity = integrityOf(entry);
  if (integrity) options.integrity = integrity;
  if (params.has('build')) options.build = params.get('build');
  if (params.has('threads')) options.threads = Number(params.get('threads')) || false;
  return options;
}

/** Load another model while the current one keeps classifying; swap when it is ready. */
async function switchModel(entry) {
  state.loading?.abort();
  const controller = new AbortController();
  state.loading = controller;
  const started = performance.now();
  const record = { model: entry.name, progressEvents: 0, cached: false, ms: 0 };
  document.body.dataset.modelState = 'loading';
  ui.model.setAttribute('aria-busy', 'true');
  say(state.clf ? `Loading ${modelTitle(entry)}; ${modelTitle(state.model)} keeps running meanwhile…` : `Loading ${modelTitle(entry)}…`);
  showProgress(entry, { loaded: 0, total: entry.bytes, cached: false });
  try {
    const clf = await load(loadOptions(entry, controller.signal, (p) => {
      if (controller.signal.aborted) return;
      record.progressEvents++;
      record.cached = p.cached;
      showProgress(entry, p);
    }));
    if (controller.signal.aborted) return clf.dispose(); // superseded by a newer pick
    const previous = state.clf;
    Object.assign(state, { clf, model: entry });
    previous?.dispose();
    record.ms = performance.now() - started;
    state.lastLoad = record;
    smoother.reset();
    stats.reset();
    ui.overlay.hidden = true; // until the new model's first result
    delete ui.overlay.dataset.label;
    storage('set', entry.name);
    document.body.dataset.model = entry.name;
    document.body.dataset.modelState = 'ready';
    showModelInfo();
    say(`${modelTitle(entry)} ready in ${(record.ms / 1000).toFixed(1)} s${record.cached ? ' (from the offline cache)' : ''}. ${nextStepHint()}`);
    refreshCachedMarks();
    await Promise.all([teach.relearn(clf), state.source === 'image' ? classifyStill() : null]);
  } catch (e) {
    if (controller.signal.aborted) return;
    document.body.dataset.modelState = state.clf ? 'ready' : 'error';
    if (state.model) ui.model.value = state.model.name;
    report(e, `Could not load ${modelTitle(entry)}: `);
  } finally {
    if (state.loading === controller) {
      state.loading = null;
      ui.progress.hidden = true;
      ui.model.removeAttribute('aria-busy');
    }
  }
}

function nextStepHint() {
  if (state.source !== 'none') return '';
  return cameraSupport() ? 'Choose, drop or paste an image.' : 'Start the camera, or choose, drop or paste an image.';
}

function buildName({ build, threads }) {
  if (build === 'threads') return `SIMD · ${threads} thread${threads === 1 ? '' : 's'}`;
  if (build === 'relaxed-simd') return 'relaxed SIMD · 1 thread';
  return 'SIMD128 · 1 thread';
}

function showModelInfo() {
  const { info } = state.clf;
  ui.build.textContent = buildName(info);
  ui.build.title = `wasm build '${info.build}'${info.worker ? ', inference in a Web Worker' : ''}`;
  ui.build.dataset.build = info.build;
  ui.modelInfo.textContent = `α ${formatAlpha(info.alpha)} · ${info.inputSize} px · ${info.quantized ? 'uint8' : 'float32'}`;
  ui.modelInfo.title = `${state.model.name}: ${info.numClasses} classes, ${info.embeddingLength}-d embedding`;
}

// ── camera ───────────────────────────────────────────────────────────────────────────────────────────────────
async function startCamera(deviceId) {
  ui.cameraProblem.hidden = true;
  say('Starting the camera…');
  try {
    await camera.start(deviceId);
  } catch (e) {
    setSource(state.image ? 'image' : 'none');
    if (e instanceof CameraError) {
      ui.cameraProblem.textContent = e.message;
      ui.cameraProblem.hidden = false;
      ui.stage.dataset.cameraProblem = e.kind;
      say(state.source === 'none' ? 'The camera did not start (see above).' : e.message, 'error');
    } else report(e);
    return;
  }
  delete ui.stage.dataset.cameraProblem;
  const { facingMode, width, height, label } = camera.settings();
  if (!state.mirrorTouched) ui.mirror.checked = facingMode !== 'environment';
  applyMirror();
  setSource('camera');
  await listCameras();
  const about = [label, width && `${width}×${height}`].filter(Boolean).join(', ');
  say(`Camera on${about ? ` (${about})` : ''}. ${state.clf ? 'Classifying…' : 'Waiting for the model…'}`);
  loop.start();
}

function stopCamera() {
  loop.stop();
  camera.stop();
  ui.overlay.hidden = true;
  if (state.source === 'camera') setSource('none');
}

async function listCameras() {
  const cams = await Camera.list();
  const current = camera.settings().deviceId;
  ui.cameraPick.hidden = cams.length < 2;
  ui.cameraSelect.replaceChildren(...cams.map((d, i) => new Option(d.label || `Camera ${i + 1}`, d.deviceId)));
  if (current) ui.cameraSelect.value = current;
}

/** Size the crop guide to the centre square of the frame as displayed (object-fit: cover scales the frame). */
function fitCropGuide() {
  const { videoWidth: w, videoHeight: h } = ui.video;
  const { width: sw, height: sh } = ui.stage.getBoundingClientRect();
  if (!w || !h || !sw || !sh) return;
  const side = Math.min(w, h) * Math.max(sw / w, sh / h);
  const guide = $('crop-guide').style;
  guide.width = `${Math.min(side, sw)}px`;
  guide.height = `${Math.min(side, sh)}px`;
}

function applyMirror() {
  ui.video.classList.toggle('mirrored', ui.mirror.checked);
  smoother.reset();
}

/** One camera frame: classify (ImageNet) or embed + k-NN (teach). At most one runs at a time (FrameLoop). */
async function cameraStep() {
  const clf = state.clf;
  if (!clf || state.source !== 'camera') return;
  const mirror = ui.mirror.checked;
  const started = performance.now();
  try {
    if (state.mode === 'teach') {
      const captureId = teach.takeCaptureRequest();
      const snapshot = captureId ? snapshotOf(ui.video, mirror) : null; // the frame embed() is about to take
      const embedding = await clf.embed(ui.video, { mirror });
      if (clf !== state.clf || state.mode !== 'teach') return; // switched meanwhile
      frameDone(started);
      if (captureId) teach.addExample(captureId, embedding, await snapshot);
      showTeachResult(teach.predict(embedding));
    } else {
      const predictions = await clf.classify(ui.video, { topK: TOP_K_TRACKED, mirror, deny: denied(clf) });
      if (clf !== state.clf || state.mode !== 'imagenet') return;
      frameDone(started);
      showImagenet(smoother.update(predictions, performance.now()));
    }
  } catch (e) {
    if (clf !== state.clf || e?.code === 'SOURCE_NOT_READY' || e?.code === 'DISPOSED') return;
    throw e;
  }
}

/** ImageNet models' class 0, "background", means nothing to a user: never show it (other label sets may lack it). */
function denied(clf) {
  return clf.labels[0] === 'background' ? ['background'] : [];
}

function frameDone(started) {
  const now = performance.now();
  state.framesTotal++;
  stats.record(now - started, now);
  const fps = stats.fps(now);
  ui.fps.textContent = fps > 0 ? fps.toFixed(1) : '–'; // needs two frames
  ui.latency.textContent = `${stats.medianLatency().toFixed(0)} ms`;
  ui.latency.title = `median of the last ${stats.latencySamples()} frames, from the frame to its result`;
}

const SNAPSHOT_SIZE = 224;
let snapshotCanvas = null; // one canvas, made on the first capture

/** The centre square of the frame, as shown (mirrored or not), as a 224×224 JPEG: a thumbnail and re-learnable. */
function snapshotOf(video, mirror) {
  const n = SNAPSHOT_SIZE;
  if (!snapshotCanvas) {
    const canvas = typeof OffscreenCanvas === 'function'
      ? new OffscreenCanvas(n, n)
      : Object.assign(document.createElement('canvas'), { width: n, height: n });
    snapshotCanvas = { canvas, ctx: canvas.getContext('2d') };
  }
  const { canvas, ctx } = snapshotCanvas;
  const { videoWidth: w, videoHeight: h } = video;
  const s = Math.min(w, h);
  ctx.setTransform(mirror ? -1 : 1, 0, 0, 1, mirror ? n : 0, 0);
  ctx.drawImage(video, (w - s) / 2, (h - s) / 2, s, s, 0, 0, n, n);
  return canvas.convertToBlob
    ? canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })
    : new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9));
}

// ── images ───────────────────────────────────────────────────────────────────────────────────────────────────
async function showStill(blob, name) {
  stopCamera();
  if (state.image) URL.revokeObjectURL(state.image.url);
  state.image = { blob, name, url: URL.createObjectURL(blob), predictions: null, embedding: null };
  ui.still.src = state.image.url;
  ui.still.alt = `Your image: ${name}`;
  setSource('image');
  await classifyStill();
}

async function classifyStill() {
  const clf = state.clf;
  const image = state.image;
  if (!image) return;
  if (!clf) return say('The image will be classified as soon as the model is ready.');
  say(`Classifying ${image.name}…`);
  try {
    const started = performance.now();
    const predictions = await clf.classify(image.blob, { topK: 5, scoreThreshold: MIN_SHOWN, deny: denied(clf) });
    const ms = performance.now() - started;
    const embedding = await clf.embed(image.blob);
    if (clf !== state.clf || image !== state.image) return;
    Object.assign(image, { predictions, embedding });
    ui.latency.textContent = `${ms.toFixed(0)} ms`;
    ui.latency.title = 'this image: decoding, resizing and inference';
    ui.fps.textContent = '–';
    showStillResult();
    say(`${image.name}: ${predictions[0] ? splitLabel(predictions[0].label).primary : 'no prediction'}.`);
  } catch (e) {
    if (clf !== state.clf || e?.code === 'DISPOSED') return;
    if (e?.code === 'DECODE_FAILED') say(`Could not read ${image.name}: PNG, JPEG, BMP, GIF and WebP images work.`, 'error');
    else report(e, `Could not classify ${image.name}: `);
  }
}

function showStillResult() {
  const image = state.image;
  if (!image?.predictions) return;
  if (state.mode === 'teach') showTeachResult(teach.predict(image.embedding));
  else showImagenet(image.predictions);
}

/** A capture button pressed while a still image is shown: the image itself becomes one example. */
function captureFromStill(id) {
  if (state.source === 'camera') return; // the frame loop takes it
  teach.takeCaptureRequest();
  if (state.source !== 'image' || !state.image?.embedding) {
    say('Start the camera or choose an image first: examples come from what it shows.', 'error');
    return;
  }
  teach.addExample(id, state.image.embedding, state.image.blob);
  showStillResult();
}

// ── rendering ────────────────────────────────────────────────────────────────────────────────────────────────
function setSource(source) {
  state.source = source;
  ui.stage.dataset.source = source;
  ui.still.hidden = source !== 'image';
  ui.placeholder.hidden = source !== 'none';
  ui.video.hidden = source !== 'camera';
  const on = source === 'camera';
  ui.camera.textContent = on ? 'Stop camera' : 'Start camera';
  ui.camera.setAttribute('aria-pressed', String(on));
  if (!on) {
    ui.fps.textContent = '–';
    smoother.reset();
  }
  if (source === 'none') {
    results.clear();
    ui.overlay.hidden = true;
    ui.resultsEmpty.hidden = false;
    teach.showScores(null);
  }
}

let announced = { label: null, candidate: null, since: 0 };

function showImagenet(ranked) {
  results.render(ranked);
  ui.resultsEmpty.hidden = ranked.length > 0;
  const best = ranked[0];
  showOverlay(best ? splitLabel(best.label).primary : null, best?.probability);
  // Screen readers hear the top class once it has held for a second, not every frame.
  const now = performance.now();
  const label = best && best.probability >= 0.3 ? splitLabel(best.label).primary : null;
  if (label !== announced.candidate) announced = { ...announced, candidate: label, since: now };
  else if (label && label !== announced.label && (now - announced.since > 1000 || state.source === 'image')) {
    announced.label = label;
    ui.announcer.textContent = `${label}, ${percent(best.probability)}`;
  }
}

function showTeachResult(prediction) {
  if (!prediction) return showOverlay(null);
  showOverlay(prediction.name, prediction.confidence);
  if (ui.overlay.dataset.label !== ui.announcer.textContent) ui.announcer.textContent = prediction.name;
}

function showOverlay(label, probability) {
  ui.overlay.hidden = !label || state.source === 'none';
  if (!label) return;
  ui.overlay.dataset.label = label;
  ui.overlay.textContent = `${label} · ${percent(probability)}`;
}

function selectMode(mode, focus = false) {
  state.mode = mode;
  for (const tab of ui.tabs) {
    const selected = tab.id === `tab-${mode}`;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(tab.getAttribute('aria-controls')).hidden = !selected;
    if (selected && focus) tab.focus();
  }
  document.body.dataset.mode = mode;
  smoother.reset();
  ui.overlay.hidden = true;
  showStillResult();
}

// ── wiring ───────────────────────────────────────────────────────────────────────────────────────────────────
function wire() {
  const toggleCamera = () => (camera.active ? stopCamera() : startCamera());
  ui.camera.addEventListener('click', toggleCamera);
  ui.startBig.addEventListener('click', () => startCamera());
  ui.cameraSelect.addEventListener('change', () => startCamera(ui.cameraSelect.value));
  navigator.mediaDevices?.addEventListener?.('devicechange', () => camera.active && listCameras());
  ui.video.addEventListener('resize', fitCropGuide); // the stream's size is known or changed
  new ResizeObserver(fitCropGuide).observe(ui.stage);
  ui.mirror.addEventListener('change', () => {
    state.mirrorTouched = true;
    applyMirror();
  });
  ui.tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => selectMode(tab.id.slice(4)));
    tab.addEventListener('keydown', (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1, Home: -i, End: ui.tabs.length - 1 - i }[e.key];
      if (step === undefined) return;
      e.preventDefault();
      const next = ui.tabs[(i + step + ui.tabs.length) % ui.tabs.length];
      selectMode(next.id.slice(4), true);
    });
  });
  watchImageInput({ fileInput: ui.file, onImage: (blob, name) => showStill(blob, name), onReject: (m) => say(m, 'error') });
  const problem = cameraSupport();
  if (problem) {
    ui.cameraProblem.textContent = problem.message;
    ui.cameraProblem.hidden = false;
    ui.stage.dataset.cameraProblem = problem.kind;
  }
  setSource('none');
  applyMirror();
}

/** The app shell works offline once a service worker has cached it (sw.js; models are in the package's cache). */
function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || params.has('nosw')) return;
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (hadController) $('update').hidden = false; // a newer build took over: offer to reload
  });
  $('reload').addEventListener('click', () => location.reload());
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn('service worker not registered:', e));
}

/** Read-only numbers for the e2e tests and the soak (tests/e2e). */
window.mobilenetDemo = Object.freeze({
  get frames() { return state.framesTotal; },
  get maxInFlight() { return loop.maxInFlight; },
  get model() { return state.model?.name ?? null; },
  get info() { return state.clf?.info ?? null; },
  get lastLoad() { return { ...state.lastLoad }; },
  get examples() { return teach.knn.total(); },
});

wire();
registerServiceWorker();
initModels().catch((e) => {
  document.body.dataset.modelState = 'error';
  report(e, 'Could not list the models: ');
});
