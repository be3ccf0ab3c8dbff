// Quire's service worker: lets the app open with no server reachable (the relay that served it is down, or
// the laptop is offline). Network first, so an online page always gets the current app and /quire.json;
// the cache answers only when the network fails. Documents are not here: they live in IndexedDB.
const CACHE = 'quire-app-v1'

self.addEventListener('install', () => { self.skipWaiting() })
self.addEventListener('activate', (event) => { event.waitUntil(self.clients.claim()) })

self.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin || /\/(healthz|metrics)$/.test(url.pathname)) return
  event.respondWith((async () => {
    const cache = await caches.open(CACHE)
    try {
      const response = await fetch(request)
      if (response.ok && response.type === 'basic') await cache.put(cacheKey(url, request), response.clone())
      return response
    } catch (err) {
      const cached = await cache.match(cacheKey(url, request))
      if (cached) return cached
      throw err
    }
  })())
})

// One entry per path: the app is the same page whatever its query (?relay=...) says.
function cacheKey(url, request) {
  return request.mode === 'navigate' || url.pathname.endsWith('/') ? new URL('./', self.location.href).toString() : url.origin + url.pathname
}
