// Assembles the demo site: www/ + the built npm package (pkg/npm, served as is under mobilenet-wasm/, imported by
// the page like any plain ES-module page would) + the models of $MOBILENET_DATA (copied into the git-ignored
// output, indexed in models/models.json), then stamps the service worker with the app-shell file list and a hash
// of those files, so every build that changes the shell is a new service worker version.
// Usage: node tools/assemble-demo.mjs [OUT_DIR=dist/www]   (from the repository root, after the package is built)
import { createHash } from 'node:crypto';
import { cp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { indexModels } from './model-index.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const out = resolve(process.argv[2] ?? join(root, 'dist/www'));
const data = resolve(process.env.MOBILENET_DATA ?? join(root, '../shared/data'));
const pkg = join(root, 'pkg/npm');

/** Package files a browser never requests: Node entry points, types, docs, metadata. */
const NOT_SHELL = [/\.d\.ts$/, /\.md$/, /(^|\/)package\.json$/, /^mobilenet-wasm\/(node|builds-node)\.js$/, /^sw\.js$/, /^models\/.*\.tflite$/];

async function files(dir, base = dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await files(path, base)));
    else found.push(relative(base, path));
  }
  return found.sort();
}

async function main() {
  if (!(await stat(join(pkg, 'index.js')).catch(() => null))) throw new Error(`no npm package at ${pkg}: run ./build.sh build`);
  await rm(out, { recursive: true, force: true });
  await cp(join(root, 'www'), out, { recursive: true });
  await cp(pkg, join(out, 'mobilenet-wasm'), { recursive: true });
  const index = await indexModels(join(data, 'models'), join(out, 'models'));

  const shell = (await files(out)).filter((f) => !NOT_SHELL.some((re) => re.test(f)));
  const hash = createHash('sha256');
  for (const f of shell) hash.update(f).update(await readFile(join(out, f)));
  const version = hash.digest('hex').slice(0, 16);
  const entries = ['./', ...shell.filter((f) => f !== 'index.html')];
  const swPath = join(out, 'sw.js');
  const sw = (await readFile(swPath, 'utf8'))
    .replace(/^const VERSION = .*$/m, `const VERSION = '${version}';`)
    .replace(/^const SHELL = .*$/m, `const SHELL = ${JSON.stringify(entries)};`);
  if (!sw.includes(version) || !sw.includes('mobilenet-wasm/index.js')) throw new Error('sw.js: VERSION/SHELL lines not found');
  await writeFile(swPath, sw);
  console.log(`demo assembled in ${relative(root, out) || out}: ${shell.length} shell files (version ${version}), models: ${index.models.map((m) => m.name).join(', ')}`);
}

await main();
