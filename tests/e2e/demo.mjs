// End-to-end suite of the demo page (dist/www, after ./build.sh build), in headless Chromium with fake webcams
// showing real photos, served by tools/serve.mjs (strict CSP, COOP/COEP), nothing allowed off the machine.
// Covers: webcam → top-1 with the default model, FPS/latency/build shown, at most one frame in flight; model switch
// with download progress while the old model keeps running; image via file input, drop and paste; teach mode
// (two classes from two videos, hold-to-capture by mouse and keyboard, re-learning after a model switch);
// camera denied / absent / two cameras; an insecure context; phone-sized layout and accessible names; a second
// visit offline (server stopped). Every page must log no console error and no CSP violation, and every request
// must stay on the page's origin (all requests are logged to artifacts/requests.log).
// Screenshots of the main states go to tests/e2e/artifacts/. Ends with 'N passed, M failed'.
// Usage: node tests/e2e/demo.mjs
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  artifacts, BROWSER_SERVICES, chromiumFlags, counter, data, launch, makeVideos, showOnCamera, site, startServer, startTrapProxy,
  watch, webcamFlags,
} from './harness.mjs';
import { runUnitTests } from './unit.mjs';

const t = counter();
const check = t.check;
const started = Date.now();
const SMALL = 'mobilenet_v1_0.25_128_quant'; // fastest model, for tests that are not about the model
const SWITCH_TO = 'mobilenet_v1_0.5_160_quant';
const requestLog = [];

const shot = (page, name, options = {}) => page.screenshot({ path: join(artifacts, `${name}.png`), ...options });
const top1 = (page) => page.evaluate(() => document.querySelector('#results li:not([hidden])')?.dataset.label ?? null);
const waitTop1 = (page, re, timeout = 60_000) =>
  page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#results li:not([hidden])')?.dataset.label ?? ''), re.source, { timeout });
const waitReady = (page, model, timeout = 90_000) =>
  page.waitForFunction((m) => document.body.dataset.modelState === 'ready' && (!m || document.body.dataset.model === m), model, { timeout });
const demo = (page) => page.evaluate(() => ({ ...window.mobilenetDemo, info: window.mobilenetDemo.info, lastLoad: window.mobilenetDemo.lastLoad }));
const waitFrames = (page, n, timeout = 60_000) => page.waitForFunction((k) => window.mobilenetDemo.frames >= k, n, { timeout });

/** Run one scenario; an exception fails it (with its message) instead of ending the suite. */
async function scenario(name, body) {
  const t0 = Date.now();
  try {
    await body();
  } catch (e) {
    check(false, `${name}: ${String(e?.message ?? e).split('\n')[0]}`);
  }
  console.log(`  (${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

function checkClean(label, seen, cspViolations) {
  check(seen.errors.length === 0, `${label}: no console errors ${seen.errors.slice(0, 5).join(' | ')}`);
  check(cspViolations.length === 0, `${label}: no CSP violations ${cspViolations.join(' | ')}`);
  check(seen.foreign.length === 0, `${label}: all ${seen.requests.length} requests stayed on the page's origin ${seen.foreign.slice(0, 5).join(' ')}`);
  requestLog.push(`## ${label}`, ...seen.requests);
}

const csp = (page) => page.evaluate(() => window.__cspViolations ?? ['(no CSP listener)']).catch(() => ['(page gone)']);

/** Drop or paste an image file into the page, as a user's drag-and-drop or Ctrl+V would deliver it. */
async function deliverImage(page, how, path, type) {
  const b64 = (await readFile(path)).toString('base64');
  await page.evaluate(({ how, b64, type, name }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, { type }));
    if (how === 'drop') {
      const stage = document.getElementById('stage');
      for (const type of ['dragenter', 'dragover', 'drop']) {
        stage.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }
    } else {
      document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    }
  }, { how, b64, type, name: path.split('/').pop() });
}

async function main() {
  await mkdir(artifacts, { recursive: true });
  const tmp = await mkdtemp(join(tmpdir(), 'mnw-demo-e2e-'));
  const trap = await startTrapProxy();
  let server = await startServer();
  const index = JSON.parse(await readFile(join(site, 'models/models.json'), 'utf8'));
  const contexts = [];
  try {
    console.log('# unit: teach-mode k-NN, smoothing, frame statistics (Node)');
    runUnitTests(check);

    const videos = await makeVideos(join(tmp, 'videos'), trap.url, { coffee: 'coffee.png', parrot: 'parrot.jpg' });
    const cameraFile = join(tmp, 'camera.y4m'); // what the main session's fake webcam shows; swapped per scenario
    await showOnCamera(cameraFile, videos.coffee);

    // ── camera problems, in their own browsers (different flags) ─────────────────────────────────────────────
    await scenario('camera states', async () => {
      const cases = [
        ['denied', ['--deny-permission-prompts', '--use-fake-device-for-media-stream'], /permission was denied/i],
        ['none', ['--use-fake-ui-for-media-stream'], /no camera was found/i],
        ['two cameras', ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream=device-count=2'], null],
      ];
      for (const [label, flags, message] of cases) {
        const ctx = await launch(join(tmp, `profile-${label.replace(' ', '-')}`), chromiumFlags(trap.url, flags));
        contexts.push(ctx);
        const seen = await watch(ctx, server.origin);
        const page = ctx.pages()[0] ?? (await ctx.newPage());
        await page.goto(`${server.origin}/?model=${SMALL}`);
        await page.click('#camera');
        if (message) {
          await page.waitForFunction(() => document.getElementById('stage').dataset.cameraProblem, null, { timeout: 20_000 });
          const shown = await page.textContent('#camera-problem');
          check(message.test(shown) && (await page.isVisible('#camera-problem')), `camera ${label}: the page says so ("${shown.slice(0, 70)}…")`);
          check((await page.getAttribute('#camera', 'aria-pressed')) === 'false', `camera ${label}: the camera button is back to "Start"`);
          if (label === 'denied') await shot(page, '07-camera-denied');
        } else {
          await page.waitForSelector('#camera-pick:not([hidden])', { timeout: 20_000 });
          const options = await page.$$eval('#camera-select option', (os) => os.map((o) => o.value));
          check(options.length === 2, `two cameras: a camera picker with ${options.length} entries`);
          await waitReady(page, SMALL);
          await page.selectOption('#camera-select', options[1]);
          await page.waitForFunction((id) => document.getElementById('camera-select').value === id, options[1], { timeout: 20_000 });
          const before = (await demo(page)).frames;
          await waitFrames(page, before + 3, 30_000);
          check((await page.inputValue('#camera-select')) === options[1], 'two cameras: switching camera keeps classifying');
        }
        checkClean(`camera ${label}`, seen, await csp(page));
        await ctx.close();
      }
    });

    // ── an insecure context (http on a non-local name): no camera, no caches, but images still work ───────────
    await scenario('insecure context', async () => {
      const plain = await startServer(site, ['--no-isolation']); // an http site would not send COOP/COEP either
      const origin = `http://demo.test:${plain.port}`;
      const ctx = await launch(join(tmp, 'profile-insecure'), chromiumFlags(trap.url, [
        `--host-resolver-rules=MAP demo.test 127.0.0.1`, '--proxy-bypass-list=demo.test', '--use-fake-ui-for-media-stream',
      ]));
      contexts.push(ctx);
      try {
        const seen = await watch(ctx, origin);
        const page = ctx.pages()[0] ?? (await ctx.newPage());
        await page.goto(`${origin}/?model=${SMALL}`);
        check((await page.evaluate(() => window.isSecureContext)) === false, 'insecure: the page is not a secure context');
        const problem = await page.textContent('#camera-problem');
        check(/secure page/.test(problem) && (await page.isVisible('#camera-problem')), `insecure: explains why the camera cannot work ("${problem.slice(0, 60)}…")`);
        await waitReady(page, SMALL);
        await page.setInputFiles('#file', join(data, 'images/parrot.jpg'));
        await waitTop1(page, /^macaw$/);
        check(true, 'insecure: an image is still classified (macaw) without Cache Storage or crypto.subtle');
        await shot(page, '08-insecure-context');
        checkClean('insecure', seen, await csp(page));
      } finally {
        await ctx.close();
        await plain.stop();
      }
    });

    // ── the main session: one browser, its webcam file swapped between camera starts ─────────────────────────
    const ctx = await launch(join(tmp, 'profile-main'), chromiumFlags(trap.url, webcamFlags(cameraFile)));
    contexts.push(ctx);
    const seen = await watch(ctx, server.origin);
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const violations = [];

    await scenario('webcam', async () => {
      await page.goto(`${server.origin}/`);
      await waitReady(page);
      const d0 = await demo(page);
      check(d0.model === index.default, `webcam: the default model ${index.default} loads (${d0.model}, ${(d0.lastLoad.ms / 1000).toFixed(1)} s)`);
      await page.click('#camera');
      await waitTop1(page, /^espresso$/);
      const first = (await demo(page)).frames;
      await waitFrames(page, first + 3);
      const d = await demo(page);
      const fps = Number(await page.textContent('#fps'));
      const latency = await page.textContent('#latency');
      const build = await page.textContent('#build');
      const isolated = await page.evaluate(() => crossOriginIsolated);
      console.log(`  webcam: ${fps} FPS, latency ${latency}, build ${JSON.stringify(d.info)}`);
      check((await page.textContent('#overlay')).startsWith('espresso'), 'webcam: espresso is the top-1, in the list and over the video');
      check(fps > 0, `webcam: FPS shown (${fps})`);
      check(/^\d+ ms$/.test(latency), `webcam: median latency shown (${latency})`);
      const threadsOk = d.info.build !== 'threads' || build.includes(`${d.info.threads} thread`);
      check(build.length > 0 && threadsOk && (await page.getAttribute('#build', 'data-build')) === d.info.build,
        `webcam: the build is shown ("${build}" for ${d.info.build}, ${d.info.threads} thread(s))`);
      check(!isolated || d.info.build === 'threads', `webcam: cross-origin isolated page runs the threaded build (${d.info.build})`);
      check(d.maxInFlight === 1, `webcam: never more than one frame in flight (max ${d.maxInFlight})`);
      check(await page.evaluate(() => document.getElementById('video').classList.contains('mirrored')), 'webcam: the preview is mirrored by default');
      await shot(page, '01-webcam-espresso');
    });

    await scenario('model switch', async () => {
      const cdp = await ctx.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: 1_000_000, uploadThroughput: -1 });
      const before = (await demo(page)).frames;
      await page.selectOption('#model', SWITCH_TO);
      await page.waitForFunction(() => {
        const bar = document.getElementById('model-progress-bar');
        return !document.getElementById('model-progress').hidden && bar.value > 0.15 && bar.value < 0.85;
      }, null, { timeout: 30_000 });
      await shot(page, '02-model-downloading');
      const progressText = await page.textContent('#model-progress-text');
      await waitReady(page, SWITCH_TO);
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
      const d = await demo(page);
      check(/Downloading .*MB \/ .*MB/.test(progressText), `switch: download progress shown ("${progressText}")`);
      check(d.lastLoad.progressEvents >= 3 && d.lastLoad.cached === false, `switch: ${d.lastLoad.progressEvents} progress updates, from the network`);
      check(d.frames > before, `switch: the previous model kept classifying during the download (${d.frames - before} frames)`);
      await waitFrames(page, d.frames + 3);
      await waitTop1(page, /^espresso$/);
      check(/160 px/.test(await page.textContent('#model-info')), 'switch: predictions continue with the new model (espresso, 160 px)');
      check(/offline ✓/.test(await page.$eval(`#model option[value="${SWITCH_TO}"]`, (o) => o.textContent)), 'switch: the picker marks the model as cached');
    });

    await scenario('images', async () => {
      await page.setInputFiles('#file', join(data, 'images/parrot.jpg'));
      await waitTop1(page, /^macaw$/);
      check(await page.isVisible('#still') && (await page.getAttribute('#still', 'src')).startsWith('blob:'), 'file input: the image is shown');
      check((await page.getAttribute('#camera', 'aria-pressed')) === 'false', 'file input: the camera stops while an image is shown');
      check((await page.textContent('#overlay')).startsWith('macaw'), 'file input: macaw is the top-1');
      await shot(page, '03-image-macaw');
      await deliverImage(page, 'drop', join(data, 'images/hot_dog.jpg'), 'image/jpeg');
      await waitTop1(page, /^hotdog/);
      check(true, 'drag and drop: hot_dog.jpg → hotdog');
      await writeFile(join(tmp, 'broken.png'), 'this is not a PNG');
      await deliverImage(page, 'paste', join(tmp, 'broken.png'), 'image/png');
      await page.waitForFunction(() => document.getElementById('status').dataset.kind === 'error', null, { timeout: 20_000 });
      check(/Could not read/.test(await page.textContent('#status')), `a broken image: "${(await page.textContent('#status')).slice(0, 60)}…"`);
      await deliverImage(page, 'paste', join(data, 'images/sunflower.bmp'), 'image/bmp');
      await waitTop1(page, /^daisy$/);
      check(true, 'paste: sunflower.bmp → daisy (and the page recovered from the broken image)');
      violations.push(...(await csp(page)));
    });

    await scenario('teach mode', async () => {
      const row = (n) => `#classes .class-row:nth-child(${n})`;
      const count = (n) => page.$eval(row(n), (li) => Number(li.dataset.count));
      await page.click('#tab-teach');
      await page.fill(`${row(1)} .class-name`, 'coffee');
      await page.fill(`${row(2)} .class-name`, 'parrot');
      await showOnCamera(cameraFile, videos.coffee);
      await page.click('#camera');
      await waitFrames(page, (await demo(page)).frames + 2);
      // Hold to capture, with the mouse.
      await page.hover(`${row(1)} .capture`);
      await page.mouse.down();
      await page.waitForFunction((sel) => Number(document.querySelector(sel).dataset.count) >= 6, row(1), { timeout: 60_000 });
      await page.mouse.up();
      await waitFrames(page, (await demo(page)).frames + 2); // a frame in flight at release may still add one
      const coffeeExamples = await count(1);
      await page.click('#camera'); // stop; the next start reads the new video
      await showOnCamera(cameraFile, videos.parrot);
      await page.click('#camera');
      await waitFrames(page, (await demo(page)).frames + 3);
      // Hold to capture with the mouse while another class's button had the focus (its blur must not stop this
      // capture), then more with the keyboard.
      await page.focus(`${row(1)} .capture`);
      await page.hover(`${row(2)} .capture`);
      await page.mouse.down();
      await page.waitForFunction((sel) => Number(document.querySelector(sel).dataset.count) >= 3, row(2), { timeout: 60_000 });
      await page.mouse.up();
      await waitFrames(page, (await demo(page)).frames + 2);
      const byMouse = await count(2);
      await page.focus(`${row(2)} .capture`);
      await page.keyboard.down('Space');
      await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel).dataset.count) >= n + 3, [row(2), byMouse], { timeout: 60_000 });
      await page.keyboard.up('Space');
      await waitFrames(page, (await demo(page)).frames + 2);
      const parrotExamples = await count(2);
      check(coffeeExamples >= 6 && byMouse >= 3 && parrotExamples >= byMouse + 3 && (await count(1)) === coffeeExamples,
        `teach: hold-to-capture by mouse (${coffeeExamples} coffee, ${byMouse} parrot) and keyboard (${parrotExamples - byMouse} parrot)`);
      check((await page.$$eval(`${row(1)} .thumbs img`, (imgs) => imgs.length)) > 0, 'teach: thumbnails of the examples are shown');
      await waitFrames(page, (await demo(page)).frames + 2);
      await page.waitForFunction(() => document.getElementById('overlay').dataset.label === 'parrot', null, { timeout: 30_000 });
      const parrotScore = await page.textContent(`${row(2)} .pct`);
      check(await page.$eval(row(2), (li) => li.classList.contains('best')), `teach: the parrot video is classified as "parrot" (${parrotScore})`);
      await shot(page, '04-teach-parrot');
      await page.click('#camera');
      await showOnCamera(cameraFile, videos.coffee);
      await page.click('#camera');
      await page.waitForFunction(() => document.getElementById('overlay').dataset.label === 'coffee', null, { timeout: 30_000 });
      check(await page.$eval(row(1), (li) => li.classList.contains('best')), `teach: the coffee video is classified as "coffee" (${await page.textContent(`${row(1)} .pct`)})`);
      // Another model: the examples are re-embedded from their snapshots.
      const examples = (await demo(page)).examples;
      await page.selectOption('#model', SMALL);
      await waitReady(page, SMALL);
      await page.waitForFunction((n) => window.mobilenetDemo.examples === n, examples, { timeout: 60_000 });
      await waitFrames(page, (await demo(page)).frames + 3);
      await page.waitForFunction(() => document.getElementById('overlay').dataset.label === 'coffee', null, { timeout: 30_000 });
      check(true, `teach: after switching to ${SMALL}, the ${examples} examples are re-learned and coffee is still recognised`);
      const stored = await page.evaluate(async () => ({
        localStorage: Object.keys(localStorage),
        caches: await caches.keys(),
        indexedDB: (await indexedDB.databases?.())?.length ?? 0,
      }));
      check(stored.localStorage.length === 1 && stored.indexedDB === 0 && stored.caches.every((c) => /^(mobilenet-wasm-models|mobilenet-demo-shell-)/.test(c)),
        `teach: examples are not stored (localStorage ${stored.localStorage}, caches ${stored.caches}, ${stored.indexedDB} IndexedDB)`);
    });

    await scenario('phone and accessibility', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(400);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 0, `phone: no horizontal scrolling at 390 px (${overflow} px too wide)`);
      await shot(page, '05-phone-teach', { fullPage: true });
      await page.focus('#tab-teach');
      await page.keyboard.press('ArrowLeft');
      const selected = await page.getAttribute('#tab-imagenet', 'aria-selected');
      check(selected === 'true' && (await page.evaluate(() => document.activeElement.id)) === 'tab-imagenet', 'keyboard: arrow keys move between the tabs');
      await waitTop1(page, /^espresso$/);
      await shot(page, '05-phone-imagenet', { fullPage: true });
      await page.setViewportSize({ width: 1200, height: 860 });
      const unnamed = await page.evaluate(() => {
        const nameOf = (el) => el.getAttribute('aria-label') || [...(el.labels ?? [])].map((l) => l.textContent).join(' ').trim() ||
          (el.getAttribute('aria-labelledby') && document.getElementById(el.getAttribute('aria-labelledby'))?.textContent) ||
          el.textContent.trim() || el.title;
        return [...document.querySelectorAll('button, select, input, [role=tab], progress')]
          .filter((el) => el.getClientRects().length > 0 || el.id === 'file')
          .filter((el) => !nameOf(el)).map((el) => el.outerHTML.slice(0, 80));
      });
      check(unnamed.length === 0, `accessibility: every control has an accessible name ${unnamed.join(' ')}`);
      violations.push(...(await csp(page)));
      checkClean('main session', seen, violations);
    });

    // ── second visit, offline: the service worker serves the page, the package's cache the model ─────────────
    await scenario('offline', async () => {
      const controlled = await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
        for (let i = 0; i < 50 && !navigator.serviceWorker.controller; i++) await new Promise((r) => setTimeout(r, 100));
        return Boolean(navigator.serviceWorker.controller);
      });
      check(controlled, 'offline: a service worker controls the page after the first visit');
      await page.click('#camera').catch(() => {}); // stop the camera before the reload
      const served = server.log.length;
      await server.stop();
      server = null;
      const [errorsBefore, requestsBefore] = [seen.errors.length, seen.requests.length];
      await page.reload();
      await waitReady(page, SMALL, 60_000);
      const d = await demo(page);
      check(d.lastLoad.cached === true, `offline: the page opens with the server stopped and ${SMALL} comes from the cache (${d.lastLoad.ms.toFixed(0)} ms)`);
      await page.setInputFiles('#file', join(data, 'images/parrot.jpg'));
      await waitTop1(page, /^macaw$/);
      check(true, 'offline: an image is classified (macaw)');
      await showOnCamera(cameraFile, videos.coffee);
      await page.click('#camera');
      await waitTop1(page, /^espresso$/);
      check(true, 'offline: the webcam is classified (espresso)');
      await shot(page, '06-offline-second-visit');
      const errors = seen.errors.slice(errorsBefore);
      check(errors.length === 0, `offline: no console errors ${errors.slice(0, 3).join(' | ')}`);
      check((await csp(page)).length === 0, 'offline: no CSP violations');
      check(seen.foreign.length === 0, `offline: no request left the origin ${seen.foreign.slice(0, 3).join(' ')}`);
      requestLog.push('## offline second visit', ...seen.requests.slice(requestsBefore));
      check(served > 0, `the server logged ${served} requests before it stopped`);
    });
  } finally {
    for (const c of contexts) await c.close().catch(() => {});
    await server?.stop();
    await trap.stop();
    const leaks = trap.hits.filter((h) => !BROWSER_SERVICES.test(h));
    console.log(`  trap proxy: ${trap.hits.length - leaks.length} requests of Chromium's own background services (logged), ${leaks.length} others`);
    check(leaks.length === 0, `no request but Chromium's own services reached the trap proxy (i.e. tried to leave the machine) ${leaks.slice(0, 5).join(' ')}`);
    await writeFile(join(artifacts, 'requests.log'), [...requestLog, '## trap proxy', ...trap.hits, ''].join('\n'));
    await rm(tmp, { recursive: true, force: true });
  }
}

await main().catch((e) => check(false, `suite crashed: ${e?.stack ?? e}`));
console.log(`demo e2e: ${((Date.now() - started) / 1000).toFixed(0)} s; screenshots and requests.log in tests/e2e/artifacts/`);
console.log(`${t.passed} passed, ${t.failed} failed`);
process.exit(t.failed ? 1 : 0);
