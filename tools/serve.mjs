// Static file server for the demo and e2e tests: loopback only, no dependencies.
// Sends COOP/COEP (cross-origin isolation, needed for wasm threads) and a strict Content-Security-Policy.
// Usage: node tools/serve.mjs DIR [PORT] [--no-isolation] [--log]   (--log: one stdout line per request)
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

const args = process.argv.slice(2);
const root = resolve(args.find((a) => !a.startsWith('--') && isNaN(Number(a))) ?? 'dist/www');
const port = Number(args.find((a) => /^\d+$/.test(a)) ?? 8080);
const isolate = !args.includes('--no-isolation');
const logRequests = args.includes('--log');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.tflite': 'application/octet-stream',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8', '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json', '.gif': 'image/gif', '.webp': 'image/webp', '.bmp': 'image/bmp',
};
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  let path = normalize(join(root, decodeURIComponent(url.pathname)));
  if (path !== root && !path.startsWith(root + sep)) { res.writeHead(403).end(); return; } // ../ or a sibling dir
  try {
    if ((await stat(path)).isDirectory()) path = join(path, 'index.html');
    const body = await readFile(path);
    const headers = {
      'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
      'Content-Length': body.length,
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Cross-Origin-Resource-Policy': 'same-origin',
    };
    if (isolate) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : body);
    if (logRequests) console.log(`${req.method} ${url.pathname} 200`);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    if (logRequests) console.log(`${req.method} ${url.pathname} 404`);
  }
});
server.listen(port, '127.0.0.1', () => {
  const { port: p } = server.address();
  console.log(`serving ${root} on http://127.0.0.1:${p}/ (cross-origin isolation ${isolate ? 'on' : 'off'})`);
});
