/**
 * Makes the app open offline: registers the service worker (public/sw.js) and puts what this page already
 * loaded into its cache, since the first visit's files were fetched before the worker existed.
 */
const CACHE = 'quire-app-v1'

export async function enableOfflineApp(win: Window = window): Promise<void> {
  if (!('serviceWorker' in win.navigator) || !win.isSecureContext || import.meta.env.DEV) return
  try {
    await win.navigator.serviceWorker.register('./sw.js')
    const cache = await win.caches.open(CACHE)
    const appUrl = new URL('./', win.location.href).toString()
    const here = win.location.origin
    const loaded = win.performance.getEntriesByType('resource')
      .map((e) => new URL(e.name))
      .filter((u) => u.origin === here && !/\/(healthz|metrics)$/.test(u.pathname))
      .map((u) => u.origin + u.pathname)
    await cache.addAll([...new Set([appUrl, ...loaded])])
  } catch (err) {
    // Without it the app still works online; say why in the console for whoever wonders.
    console.warn('[quire] offline start unavailable:', err)
  }
}
