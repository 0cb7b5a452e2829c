// Service worker: keeps the app shell (page, scripts, the package and its wasm, models.json) in Cache Storage so
// the page opens instantly and offline. Models are not cached here: the package keeps them in its own cache
// (load({ cache: true })). tools/assemble-demo.mjs replaces SHELL and VERSION at build time; a new build means a
// new sw.js, which the browser installs next to the old one and swaps in (the page then offers to reload).
const VERSION = 'dev';
const SHELL = ['./'];
const CACHE = `mobilenet-demo-shell-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('mobilenet-demo-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

const scope = new URL(self.registration.scope);
const shellUrls = new Set(SHELL.map((path) => new URL(path, scope).href));

/** Cache first for the shell (versioned by the build); everything else (models, …) goes to the network. */
self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // The page itself, whatever its query (?model=…), is the cached './'.
  const isPage = url.pathname === scope.pathname || url.pathname === `${scope.pathname}index.html`;
  const key = isPage ? scope.href : url.origin + url.pathname;
  if (!shellUrls.has(key)) return;
  event.respondWith(
    caches.open(CACHE)
      .then((cache) => cache.match(key))
      .then((hit) => hit ?? fetch(request)),
  );
});
