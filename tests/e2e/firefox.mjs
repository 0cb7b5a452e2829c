// Headless Firefox driven through geckodriver (W3C WebDriver over HTTP), for pages Playwright cannot open: its
// Firefox is a patched build, and the machine has Debian's firefox-esr plus the geckodriver that `build.sh setup`
// installs for `wasm-pack test --firefox`. Four WebDriver commands are all the e2e scripts need (new session,
// navigate, execute script, delete session), so this is a few fetch calls rather than a Selenium dependency.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox';
const GECKODRIVER = process.env.GECKODRIVER ?? 'geckodriver';

/** Preferences that keep Firefox's own services (updates, telemetry, safe browsing, captive portal) off the network. */
const QUIET_PREFS = {
  'app.update.disabledForTesting': true,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'toolkit.telemetry.enabled': false,
  'extensions.update.enabled': false,
  'browser.newtabpage.enabled': false,
  'browser.startup.page': 0,
};

const freePort = () => new Promise((ok) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address();
    probe.close(() => ok(port));
  });
});

/** A headless Firefox session: `goto(url)`, `evaluate(js)` (a function body whose `return` value comes back),
 * `waitFor(js, timeoutMs)` (polls until the body returns something other than null/undefined), `close()`. */
export async function launchFirefox() {
  const port = await freePort();
  const profile = await mkdtemp(join(tmpdir(), 'mnw-firefox-'));
  // Firefox's own console chatter goes to geckodriver's stderr: kept, and shown only when the session fails.
  const driver = spawn(GECKODRIVER, ['--port', String(port), '--host', '127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let driverLog = '';
  driver.stderr.on('data', (d) => { driverLog = (driverLog + d).slice(-8000); });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
    return json.value;
  };
  const stop = async () => {
    driver.kill();
    await rm(profile, { recursive: true, force: true });
  };
  try {
    for (let waited = 0; ; waited += 100) {
      const ready = await call('GET', '/status').then((v) => v.ready, () => false);
      if (ready) break;
      if (waited > 30_000) throw new Error('geckodriver did not become ready within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const { sessionId } = await call('POST', '/session', {
      capabilities: { alwaysMatch: { browserName: 'firefox', 'moz:firefoxOptions': {
        binary: FIREFOX, args: ['-headless', '-profile', profile], prefs: QUIET_PREFS } } },
    });
    const session = `/session/${sessionId}`;
    const evaluate = (body) => call('POST', `${session}/execute/sync`, { script: body, args: [] });
    return {
      goto: (url) => call('POST', `${session}/url`, { url }),
      evaluate,
      async waitFor(body, timeoutMs) {
        const t0 = Date.now();
        for (;;) {
          const v = await evaluate(body);
          if (v !== null && v !== undefined) return v;
          if (Date.now() - t0 > timeoutMs) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for: ${body}\ngeckodriver and Firefox said:\n${driverLog}`);
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      },
      async close() {
        await call('DELETE', session).catch(() => {});
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw new Error(`${e.message}\ngeckodriver and Firefox said:\n${driverLog}`);
  }
}
