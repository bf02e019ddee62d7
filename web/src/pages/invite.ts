/** Accept an invitation link (/invite/<token>) and open the project. */
import { api, ApiError } from '../api/client.ts'
import { cache } from '../app/cache.ts'
import { navigate } from '../app/router.ts'
import { h } from '../ui/dom.ts'

export function invitePage(token: string): HTMLElement {
  const message = h('p', {}, 'Joining the project…')
  api.acceptInvitation(token).then(
    (project) => {
      cache.setProject(project)
      navigate(`/p/${encodeURIComponent(project.id)}`, true)
    },
    (error: unknown) => {
      message.textContent =
        error instanceof ApiError ? `This invitation cannot be used: ${error.message}` : 'The server cannot be reached.'
    },
  )
  return h('main.auth-page', {}, h('div.auth-card', {}, h('h1', {}, 'Invitation'), message, h('a', { href: '/' }, 'Your songs')))
}
