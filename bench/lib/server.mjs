// Loopback-only static server for the benchmark page. It sends COOP/COEP so the page is cross-origin isolated
// (SharedArrayBuffer, which threaded wasm builds need). It serves a fixed set of folders by URL prefix
// (bench/page, bench/node_modules, the project's pkg/) and in-memory files (the converted models, the input
// tensors, the .tflite files read from $MOBILENET_DATA): nothing is copied to disk. tools/serve.mjs is a CLI for
// one folder, hence this small module.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.wasm': 'application/wasm',
};

/**
 * roots: { '/page/': '/abs/dir', ... }; files: Map('/url' -> Buffer | Uint8Array | string).
 * Returns { origin, close(), requests } (requests: every path asked for, for the report).
 */
export async function startServer({ roots, files }) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const rel = decodeURIComponent(url.pathname);
    requests.push(rel);
    const headers = {
      'Cache-Control': 'no-store', 'Cross-Origin-Resource-Policy': 'same-origin',
      'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
      'Content-Type': MIME[path.extname(rel)] ?? 'application/octet-stream',
    };
    const send = (body) => res.writeHead(200, { ...headers, 'Content-Length': body.length }).end(req.method === 'HEAD' ? undefined : body);
    if (files.has(rel)) return send(Buffer.from(files.get(rel)));
    const prefix = Object.keys(roots).find((p) => rel.startsWith(p));
    const file = prefix && path.normalize(path.join(roots[prefix], rel.slice(prefix.length)));
    if (!file || !file.startsWith(roots[prefix])) return res.writeHead(403, headers).end('forbidden');
    fs.readFile(file, (err, body) => (err ? res.writeHead(404, headers).end('not found') : send(body)));
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    requests,
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}
