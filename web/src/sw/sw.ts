/**
 * The studio's service worker: it keeps the app shell so the studio opens offline.
 *
 * - Page loads (navigations): network first, the cached shell when offline.
 * - /assets/*: cache first (their names carry a content hash, so they never change).
 * - /api/soundfont: served from the cache when there, revalidated in the background.
 * - Everything else under /api/ goes to the network untouched.
 * Each build has its own cache; older ones are deleted when it activates.
 */
declare const __BUILD_ID__: string

const sw = self as unknown as ServiceWorkerGlobalScope
const SHELL = `bandmate-shell-${__BUILD_ID__}`
const SOUND = 'bandmate-soundfont'

async function cacheShell(): Promise<void> {
  const cache = await caches.open(SHELL)
  const response = await fetch('/', { cache: 'no-cache' })
  if (!response.ok) return
  const html = await response.clone().text()
  await cache.put('/', response)
  // The entry script and styles the page names; lazily loaded chunks are cached on use.
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!)
  await cache.addAll(assets)
}

sw.addEventListener('install', (event) => {
  event.waitUntil(cacheShell().then(() => sw.skipWaiting()))
})

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('bandmate-shell-') && name !== SHELL) await caches.delete(name)
      }
      await sw.clients.claim()
    })(),
  )
})

async function shell(request: Request): Promise<Response> {
  try {
    const response = await fetch(request)
    if (response.ok) {
      const cache = await caches.open(SHELL)
      await cache.put('/', response.clone())
    }
    return response
  } catch (error) {
    const cached = await caches.match('/', { cacheName: SHELL })
    if (cached !== undefined) return cached
    throw error
  }
}

async function asset(request: Request): Promise<Response> {
  const cached = await caches.match(request, { cacheName: SHELL })
  if (cached !== undefined) return cached
  const response = await fetch(request)
  if (response.ok) {
    const cache = await caches.open(SHELL)
    await cache.put(request, response.clone())
  }
  return response
}

async function soundFont(request: Request, wait: (promise: Promise<unknown>) => void): Promise<Response> {
  const cache = await caches.open(SOUND)
  const cached = await cache.match(request)
  const refresh = async (): Promise<Response> => {
    const headers = new Headers()
    const etag = cached?.headers.get('etag')
    if (etag) headers.set('If-None-Match', etag)
    const response = await fetch(request.url, { headers, credentials: 'same-origin' })
    if (response.status === 200) await cache.put(request, response.clone())
    return response
  }
  if (cached === undefined) return refresh()
  wait(refresh().catch(() => undefined))
  return cached
}

sw.addEventListener('fetch', (event) => {
  const request = event.request
  const url = new URL(request.url)
  if (request.method !== 'GET' || url.origin !== sw.location.origin) return
  if (request.mode === 'navigate' && !url.pathname.startsWith('/api/')) {
    event.respondWith(shell(request))
  } else if (url.pathname.startsWith('/assets/')) {
    event.respondWith(asset(request))
  } else if (url.pathname === '/api/soundfont') {
    event.respondWith(soundFont(request, (p) => event.waitUntil(p)))
  }
})
