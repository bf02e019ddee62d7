/** A small history router: paths to pages, links without reloads. */

export type Route =
  | { page: 'projects' }
  | { page: 'signin'; next: string }
  | { page: 'studio'; projectId: string }
  | { page: 'jam'; projectId: string }
  | { page: 'invite'; token: string }
  | { page: 'missing'; path: string }

/** The route a path names. */
export function parseRoute(path: string, search = ''): Route {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent)
  if (parts.length === 0) return { page: 'projects' }
  if (parts[0] === 'signin' && parts.length === 1) {
    const next = new URLSearchParams(search).get('next') ?? '/'
    return { page: 'signin', next: next.startsWith('/') && !next.startsWith('//') ? next : '/' }
  }
  if (parts[0] === 'p' && parts.length === 2) return { page: 'studio', projectId: parts[1]! }
  if (parts[0] === 'p' && parts.length === 3 && parts[2] === 'jam') return { page: 'jam', projectId: parts[1]! }
  if (parts[0] === 'invite' && parts.length === 2) return { page: 'invite', token: parts[1]! }
  return { page: 'missing', path }
}

type Listener = () => void
const listeners = new Set<Listener>()

/** Go to `path` without reloading (pushes a history entry unless `replace`). */
export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path)
  else history.pushState(null, '', path)
  for (const listener of listeners) listener()
}

export function onNavigate(listener: Listener): void {
  listeners.add(listener)
  window.addEventListener('popstate', listener)
}

/** Make same-origin <a href> clicks navigate without a reload. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    const link = (event.target as Element).closest('a')
    if (link === null || link.target !== '' || link.hasAttribute('download')) return
    const url = new URL(link.href, location.href)
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return
    event.preventDefault()
    navigate(url.pathname + url.search)
  })
}
