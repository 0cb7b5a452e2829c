// Demo page: webcam → worker (wasm) → top-5. The maths lives in Rust; this file only wires the UI.
const $ = (id) => document.getElementById(id);
const video = $('video');
const status = (text, error = false) => { $('status').textContent = text; $('status').classList.toggle('error', error); };

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let busy = false;
let stream = null;
const latencies = [];
let frames = 0;
let fpsStart = performance.now();

worker.onmessage = ({ data: msg }) => {
  if (msg.type === 'loaded') {
    const { inputSize, alpha, quantized } = msg.info;
    status(`Model ready: α ${alpha}, ${inputSize}×${inputSize}, ${quantized ? 'uint8' : 'float32'}.${stream ? '' : ' Start the camera.'}`);
    busy = false;
  } else if (msg.type === 'result') {
    busy = false;
    render(msg.predictions);
    latencies.push(msg.ms);
    if (latencies.length > 30) latencies.shift();
    frames++;
    const now = performance.now();
    const fps = (frames * 1000) / (now - fpsStart);
    if (now - fpsStart > 2000) { frames = 0; fpsStart = now; }
    const median = [...latencies].sort((a, b) => a - b)[latencies.length >> 1];
    $('stats').textContent = `${fps.toFixed(1)} FPS · inference ${median.toFixed(1)} ms (median of ${latencies.length})`;
  } else if (msg.type === 'error') {
    busy = false;
    status(`Error (${msg.code}): ${msg.message}`, true);
  }
};

function render(predictions) {
  const list = $('results');
  list.replaceChildren(...predictions.map((p) => {
    const li = document.createElement('li');
    const label = document.createElement('div');
    label.className = 'label';
    const name = document.createElement('span');
    name.textContent = p.label;
    const pct = document.createElement('span');
    pct.textContent = `${(p.probability * 100).toFixed(1)}%`;
    label.append(name, pct);
    const bar = document.createElement('div');
    bar.className = 'bar';
    const fill = document.createElement('div');
    fill.className = 'fill';
    fill.style.width = `${(p.probability * 100).toFixed(1)}%`;
    bar.append(fill);
    li.append(label, bar);
    return li;
  }));
}

async function loadModels() {
  const { models } = await (await fetch('models/models.json')).json();
  const select = $('model');
  for (const m of models) {
    const opt = document.createElement('option');
    opt.value = `models/${m.file}`;
    opt.textContent = `${m.name} (α ${m.alpha}, ${m.resolution}px, ${m.dtype}, ${(m.bytes / 1e6).toFixed(1)} MB)`;
    select.append(opt);
  }
  select.onchange = () => { busy = true; status('Loading model…'); worker.postMessage({ type: 'load', url: select.value }); };
  select.onchange();
}

async function pump() {
  if (!stream) return;
  if (!busy && video.readyState >= 2 && video.videoWidth > 0) {
    busy = true;
    const bitmap = await createImageBitmap(video);
    worker.postMessage({ type: 'frame', bitmap, mirror: $('mirror').checked, topK: 5 }, [bitmap]);
  }
  if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(pump);
  else requestAnimationFrame(pump);
}

$('camera').onclick = async () => {
  if (stream) {
    stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
    $('camera').textContent = 'Start camera';
    return;
  }
  if (!window.isSecureContext) return status('The camera needs a secure context (https or http://127.0.0.1).', true);
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  } catch (e) {
    return status(e.name === 'NotAllowedError' ? 'Camera permission was denied.' : `No camera available (${e.name}).`, true);
  }
  video.srcObject = stream;
  await video.play();
  $('camera').textContent = 'Stop camera';
  status(`Camera on (${video.videoWidth}×${video.videoHeight}). Classifying…`);
  pump();
};
$('mirror').onchange = () => video.classList.toggle('mirrored', $('mirror').checked);
video.classList.toggle('mirrored', $('mirror').checked);

loadModels().catch((e) => status(`Could not list models: ${e.message}`, true));
