// Shared plumbing of the demo page's e2e suite (demo.mjs) and soak (soak-demo.mjs): the static server, a trap
// proxy, fake-webcam videos, Chromium launches, and per-page watchers for console errors, CSP violations and
// requests that leave the page's origin.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, rename } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { writeY4m } from './y4m.mjs';

export const root = resolve(new URL('../..', import.meta.url).pathname);
export const data = resolve(process.env.MOBILENET_DATA ?? join(root, '../shared/data'));
export const site = join(root, 'dist/www');
export const artifacts = join(root, 'tests/e2e/artifacts');
export const { chromium } = createRequire(join(root, '.tools/package.json'))('playwright-core');

// AutofillServerCommunication: Chromium asks its autofill server about any page with text inputs (teach mode's
// class names) even with autocomplete="off"; that is the browser, not the page, and it has a switch.
const BASE_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-features=AutofillServerCommunication'];

/** tools/serve.mjs on a free port (strict CSP, COOP/COEP), logging every request it answers. */
export async function startServer(dir = site, extra = []) {
  const proc = spawn('node', [join(root, 'tools/serve.mjs'), dir, '0', '--log', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  const log = [];
  const origin = await new Promise((ok, fail) => {
    const deadline = setTimeout(() => fail(new Error('tools/serve.mjs did not report its address within 30 s')), 30_000);
    proc.on('exit', (code) => fail(new Error(`tools/serve.mjs exited (${code})`)));
    proc.stdout.on('data', (chunk) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        const m = /http:\/\/127\.0\.0\.1:\d+/.exec(line);
        if (m) { clearTimeout(deadline); ok(m[0]); }
        else log.push(line);
      }
    });
  });
  return {
    origin,
    port: Number(new URL(origin).port),
    log,
    stop: () => new Promise((ok) => {
      if (proc.exitCode !== null) return ok();
      proc.once('exit', ok);
      proc.kill();
    }),
  };
}

/**
 * A proxy that forwards nothing: Chromium is pointed at it, so any request for another origin lands here (loopback
 * bypasses proxies) and is recorded, then refused.
 */
export async function startTrapProxy() {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(502).end();
  });
  server.on('connect', (req, socket) => {
    hits.push(`CONNECT ${req.url}`);
    socket.destroy();
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}`, hits, stop: () => new Promise((ok) => server.close(ok)) };
}

/**
 * Chromium's own background services (component updater, network time, sign-in) try to reach Google even on
 * about:blank with every --disable-* flag; they reach the trap proxy whatever the page does. They are logged, and
 * the page's own requests are checked separately (watch()).
 */
export const BROWSER_SERVICES = /^(CONNECT |[A-Z]+ https?:\/\/)(update\.googleapis\.com|clients\d*\.google\.com|accounts\.google\.com|www\.googleapis\.com|optimizationguide-pa\.googleapis\.com|safebrowsing\.googleapis\.com)[:/]/;

/** Chromium flags: headless, quiet, every foreign request sent to `proxy`; camera options on top. */
export function chromiumFlags(proxy, extra = []) {
  return [...BASE_FLAGS, `--proxy-server=${proxy}`, ...extra];
}

/** Fake-webcam flags: Chromium reads the Y4M `video` each time a camera starts. */
export function webcamFlags(video) {
  return ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`];
}

export async function launch(profileDir, args, options = {}) {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    args,
    viewport: { width: 1200, height: 860 },
    ...options,
  });
}

/** Y4M videos of real photos, made at test time by a throwaway browser. @returns {Record<string, string>} paths */
export async function makeVideos(dir, proxy, images) {
  await mkdir(dir, { recursive: true });
  const maker = await launch(join(dir, 'maker-profile'), chromiumFlags(proxy));
  const page = await maker.newPage();
  const paths = {};
  try {
    for (const [name, image] of Object.entries(images)) {
      paths[name] = join(dir, `${name}.y4m`);
      await writeY4m(page, join(data, 'images', image), paths[name]);
    }
  } finally {
    await maker.close();
  }
  return paths;
}

/** Point the fake camera file at another video (atomically: a camera starting meanwhile sees one or the other). */
export async function showOnCamera(cameraFile, video) {
  await copyFile(video, `${cameraFile}.tmp`);
  await rename(`${cameraFile}.tmp`, cameraFile);
}

/**
 * Watch a browser context: console errors and uncaught exceptions of its pages (and their workers), CSP
 * violations (a listener installed before any page script runs), and every request, split into the page's
 * origin and the rest.
 */
export async function watch(context, origin) {
  const seen = { errors: [], requests: [], foreign: [] };
  context.on('request', (r) => {
    const url = r.url();
    seen.requests.push(`${r.method()} ${url}`);
    if (!url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url)) seen.foreign.push(url);
  });
  const attach = (page) => {
    page.on('console', (m) => {
      if (m.type() === 'error') seen.errors.push(m.text());
    });
    page.on('pageerror', (e) => seen.errors.push(String(e)));
  };
  context.pages().forEach(attach);
  context.on('page', attach);
  // Awaited: a page navigated before the script is registered would have no listener (seen once as a flaky
  // "no CSP listener" failure).
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return seen;
}

export function counter() {
  let passed = 0;
  let failed = 0;
  return {
    check(ok, what) {
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
      if (ok) passed++;
      else failed++;
      return ok;
    },
    get passed() { return passed; },
    get failed() { return failed; },
  };
}
