// Threaded build e2e: the golden suite (45 cases) runs in a Worker of a page served WITH cross-origin isolation
// (threaded build, ≥ 2 threads) and WITHOUT (falls back to the single-thread build); both must be exact, in headless
// Chromium (Playwright) and headless Firefox (geckodriver, tests/e2e/firefox.mjs); and, with pool threads whose script
// is missing, initThreadPool must reject with the cause rather than hang.
// Usage: node tests/e2e/threads.mjs (after ./build.sh build).
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchFirefox } from './firefox.mjs';
import { chromium, data, root, startServer } from './harness.mjs';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--proxy-server=http://127.0.0.1:9'];

const site = await mkdtemp(join(tmpdir(), 'mnw-threads-'));
await symlink(join(root, 'tests/e2e/golden-page'), join(site, 'page'));
await symlink(join(root, 'pkg/web'), join(site, 'pkg'));
await symlink(join(root, 'pkg/npm'), join(site, 'npm')); // the threaded build as shipped, with its pool workers
await symlink(data, join(site, 'data'));

let passed = 0, failed = 0;
const check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); ok ? passed++ : failed++; };
/** Open `url` in `browser`, wait for the suite's verdict; returns it with the page's uncaught errors. */
async function runPage(browser, url, profileName) {
  if (browser === 'firefox') {
    const ff = await launchFirefox();
    try {
      await ff.goto(url);
      const r = await ff.waitFor('return window.result', 600_000);
      return { r, errors: await ff.evaluate('return window.pageErrors') };
    } finally {
      await ff.close();
    }
  }
  const ctx = await chromium.launchPersistentContext(join(site, profileName), { executablePath: '/usr/bin/chromium', args: FLAGS });
  try {
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction(() => window.result, null, { timeout: 600000 });
    return { r: await page.evaluate(() => window.result), errors };
  } finally {
    await ctx.close();
  }
}

try {
  for (const browser of ['chromium', 'firefox']) {
    for (const [isolation, extra, wantBuild] of [['with isolation', [], 'threads'], ['without isolation', ['--no-isolation'], 'single']]) {
      const label = `${browser}, ${isolation}`;
      const { origin, stop } = await startServer(site, extra);
      try {
        const { r, errors } = await runPage(browser, `${origin}/page/index.html?threads=2`, `profile-${browser}-${wantBuild}`);
        console.log(`${label}: ${JSON.stringify(r)}`);
        check(!r.error, `${label}: suite ran ${r.error ?? ''}`);
        check(r.build === wantBuild, `${label}: chose the ${r.build} build (want ${wantBuild})`);
        check(wantBuild === 'threads' ? r.threadCount >= 2 : r.threadCount === 1, `${label}: ${r.threadCount} threads`);
        check(r.cases === 45 && r.failures?.length === 0, `${label}: ${r.cases} golden cases, ${r.exact} exact, failures: ${r.failures?.join('; ')}`);
        check(errors.length === 0, `${label}: no page errors ${errors.join(' | ')}`);
      } catch (e) {
        check(false, `${label}: the page ran (${e.message})`);
      } finally {
        await stop();
      }
    }
    // Pool threads that cannot start: initThreadPool rejects with the cause (the loader then runs the next build).
    const { origin, stop } = await startServer(site, []);
    try {
      const { r } = await runPage(browser, `${origin}/page/index.html?threads=2&brokenPool`, `profile-${browser}-broken`);
      check(/pool worker failed to start/.test(r.poolError ?? ''), `${browser}: a pool that cannot start rejects: ${r.poolError ?? r.error}`);
    } catch (e) {
      check(false, `${browser}: the broken-pool page ran (${e.message})`);
    } finally {
      await stop();
    }
  }
} finally {
  await rm(site, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
