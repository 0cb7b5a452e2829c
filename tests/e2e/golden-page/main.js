// Runs every golden model × image through the wasm build in a Worker (threads when the page is cross-origin
// isolated) and publishes the verdict on window.result for the driver (Playwright for Chromium, WebDriver for
// Firefox); uncaught page errors are collected in window.pageErrors, which both drivers can read.
const params = new URLSearchParams(location.search);
window.pageErrors = [];
addEventListener('error', (e) => window.pageErrors.push(String(e.message ?? e)));
addEventListener('unhandledrejection', (e) => window.pageErrors.push(String(e.reason)));
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
window.result = null;
worker.onmessage = ({ data }) => {
  window.result = data;
  document.getElementById('log').textContent = JSON.stringify(data, null, 1);
};
worker.onerror = (e) => { window.result = { error: String(e.message ?? e) }; };
worker.postMessage({ threads: Number(params.get('threads') ?? 2), build: params.get('build') ?? 'auto',
  brokenPool: params.has('brokenPool') });
