/** The signed-in user's projects: open, create, rename, delete. */
import { api, ApiError, type Project, type User } from '../api/client.ts'
import { cache } from '../app/cache.ts'
import { navigate } from '../app/router.ts'
import { h, replaceChildren } from '../ui/dom.ts'
import { toast } from '../ui/toast.ts'

function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

export function projectsPage(user: User, onSignOut: () => void): HTMLElement {
  const list = h('ul.project-list', { attrs: { 'aria-label': 'Projects' } })
  const name = h('input#new-project', {
    placeholder: 'New song name',
    maxLength: 200,
    attrs: { 'aria-label': 'New project name' },
  })

  async function refresh(): Promise<void> {
    try {
      const projects = await api.projects()
      projects.forEach((p) => cache.setProject(p))
      replaceChildren(list, ...(projects.length > 0 ? projects.map(row) : [h('li.empty', {}, 'No songs yet: start one above.')]))
    } catch (e) {
      replaceChildren(list, h('li.empty', {}, e instanceof ApiError ? e.message : 'Offline: the project list is not available.'))
    }
  }

  function row(project: Project): HTMLElement {
    const title = h('a.project-name', { href: `/p/${encodeURIComponent(project.id)}` }, project.name)
    const rename = h('button.ghost', {
      type: 'button',
      disabled: project.role === 'viewer',
      title: 'Rename',
      onclick: () => {
        const next = prompt('Rename the project', project.name)?.trim()
        if (!next || next === project.name) return
        api.renameProject(project.id, next).then(refresh, report)
      },
    }, 'Rename')
    const remove = h('button.ghost.danger', {
      type: 'button',
      disabled: project.role !== 'owner',
      title: 'Delete',
      onclick: () => {
        if (!confirm(`Delete “${project.name}” and everything in it? This cannot be undone.`)) return
        api.deleteProject(project.id).then(() => {
          cache.forgetProject(project.id)
          return refresh()
        }, report)
      },
    }, 'Delete')
    return h(
      'li.project',
      { dataset: { projectId: project.id } },
      h('div.project-main', {}, title, h('span.meta', {}, `${project.role} · edited ${when(project.updated_at)}`)),
      h('div.project-actions', {}, h('a.button', { href: `/p/${encodeURIComponent(project.id)}` }, 'Open'), h('a.button.jam', { href: `/p/${encodeURIComponent(project.id)}/jam` }, 'Jam'), rename, remove),
    )
  }

  const create = h(
    'form.create',
    {
      onsubmit: (event) => {
        event.preventDefault()
        const value = name.value.trim()
        if (value === '') return
        api.createProject(value).then((project) => {
          cache.setProject(project)
          navigate(`/p/${encodeURIComponent(project.id)}`)
        }, report)
      },
    },
    name,
    h('button.primary', { type: 'submit' }, 'New song'),
  )

  void refresh()
  return h(
    'main.projects-page',
    {},
    h(
      'header.projects-header',
      {},
      h('div.brand', {}, h('span.logo', {}, '◆'), 'Bandmate'),
      h('div.spacer'),
      h('span.who', {}, `Signed in as ${user.username}`),
      h('button.ghost', { type: 'button', onclick: onSignOut }, 'Sign out'),
    ),
    h('section.projects', {}, h('h1', {}, 'Your songs'), create, list),
  )
}

function report(error: unknown): void {
  toast(error instanceof ApiError ? error.message : 'The server cannot be reached.', 'error')
}
