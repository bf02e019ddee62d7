/** The invitation dialog: make a link for a role and copy it. */
import { api, ApiError, type Role } from '../api/client.ts'
import { h } from '../ui/dom.ts'

export function openInviteDialog(projectId: string): void {
  const role = h('select', { attrs: { 'aria-label': 'Role' } }, h('option', { value: 'editor' }, 'Can edit'), h('option', { value: 'viewer' }, 'Can view'), h('option', { value: 'owner' }, 'Owner'))
  const uses = h('input', { type: 'number', min: '1', max: '1000', value: '1', attrs: { 'aria-label': 'How many people may use it' } })
  const link = h('input.invite-link', { readOnly: true, placeholder: 'The link appears here', attrs: { 'aria-label': 'Invitation link' } })
  const status = h('p.dialog-status', { attrs: { role: 'status' } })
  const copy = h('button', { type: 'button', disabled: true }, 'Copy')
  const create = h('button.primary', { type: 'button' }, 'Create link')
  const dialog = h(
    'dialog.invite-dialog',
    {},
    h('h2', {}, 'Invite to this song'),
    h('p', {}, 'Anyone signed in who opens the link joins with the role you choose. The link is shown only once.'),
    h('div.row', {}, h('label', {}, 'Role ', role), h('label', {}, 'Uses ', uses), create),
    h('div.row', {}, link, copy),
    status,
    h('div.row.end', {}, h('button.ghost', { type: 'button', onclick: () => dialog.close() }, 'Done')),
  )
  create.addEventListener('click', () => {
    create.disabled = true
    api.invite(projectId, role.value as Role, Math.max(1, Math.min(1000, Number(uses.value) || 1))).then(
      (invitation) => {
        link.value = new URL(invitation.link, location.origin).href
        copy.disabled = false
        status.textContent = `Valid until ${new Date(invitation.expires_at).toLocaleString()}.`
        link.select()
      },
      (error: unknown) => {
        status.textContent = error instanceof ApiError ? error.message : 'The server cannot be reached.'
      },
    ).finally(() => {
      create.disabled = false
    })
  })
  copy.addEventListener('click', () => {
    link.select()
    navigator.clipboard.writeText(link.value).then(
      () => (status.textContent = 'Copied to the clipboard.'),
      () => (status.textContent = 'Select the link and copy it (Ctrl+C).'),
    )
  })
  dialog.addEventListener('close', () => dialog.remove())
  document.body.append(dialog)
  dialog.showModal()
}
