/** The studio's entry point: who is signed in, then the page the address names. */
import { api, ApiError, isNetworkError, type User } from './api/client.ts'
import { cache } from './app/cache.ts'
import { interceptLinks, navigate, onNavigate, parseRoute } from './app/router.ts'
import { jamPage } from './jam/page.ts'
import { invitePage } from './pages/invite.ts'
import { projectsPage } from './pages/projects.ts'
import { signInPage } from './pages/signin.ts'
import { studioPage, type Page } from './studio/page.ts'
import { h } from './ui/dom.ts'
import './styles/studio.css'

const root = document.getElementById('app')!
let current: Page | null = null
let user: User | null = null

/** The signed-in user: asked of the server, remembered for when it cannot be reached. */
async function whoAmI(): Promise<User | null> {
  try {
    const me = await api.me()
    cache.setUser(me)
    return me
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      cache.setUser(null)
      return null
    }
    if (isNetworkError(error)) return cache.user()
    throw error
  }
}

function show(page: Page): void {
  current?.destroy()
  current = page
  root.replaceChildren(page.element)
}

function staticPage(element: HTMLElement): Page {
  return { element, destroy: () => undefined }
}

function signOut(): void {
  api.signOut().finally(() => {
    user = null
    cache.setUser(null)
    navigate('/signin')
  })
}

function route(): void {
  const here = parseRoute(location.pathname, location.search)
  if (here.page === 'signin') {
    show(
      staticPage(
        signInPage((signedIn) => {
          user = signedIn
          cache.setUser(signedIn)
          navigate(here.next, true)
        }),
      ),
    )
    return
  }
  if (user === null) {
    navigate(`/signin?next=${encodeURIComponent(location.pathname)}`, true)
    return
  }
  switch (here.page) {
    case 'projects':
      show(staticPage(projectsPage(user, signOut)))
      return
    case 'studio':
      show(studioPage(here.projectId, user))
      return
    case 'jam':
      show(jamPage(here.projectId, user))
      return
    case 'invite':
      show(staticPage(invitePage(here.token)))
      return
    case 'missing':
      show(staticPage(h('main.auth-page', {}, h('div.auth-card', {}, h('h1', {}, 'Not found'), h('a', { href: '/' }, 'Your songs')))))
  }
}

async function start(): Promise<void> {
  interceptLinks(root)
  onNavigate(route)
  try {
    user = await whoAmI()
  } catch (error) {
    root.replaceChildren(h('main.auth-page', {}, h('div.auth-card', {}, h('h1', {}, 'Bandmate'), h('p', {}, String(error)))))
    return
  }
  route()
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/sw.js').catch(() => undefined)
  }
}

void start()
