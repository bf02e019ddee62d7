/** Sign in or create an account. */
import { api, ApiError, type User } from '../api/client.ts'
import { h } from '../ui/dom.ts'

export function signInPage(onSignedIn: (user: User) => void): HTMLElement {
  let mode: 'signin' | 'signup' = 'signin'
  const username = h('input#username', {
    name: 'username',
    autocomplete: 'username',
    required: true,
    attrs: { 'aria-label': 'Username', spellcheck: 'false' },
  })
  const password = h('input#password', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    attrs: { 'aria-label': 'Password' },
  })
  const error = h('p.form-error', { attrs: { role: 'alert' } })
  const submit = h('button.primary', { type: 'submit' }, 'Sign in')
  const switcher = h('button.link', { type: 'button', onclick: () => setMode(mode === 'signin' ? 'signup' : 'signin') })
  const heading = h('h1', {}, 'Sign in')

  function setMode(next: 'signin' | 'signup'): void {
    mode = next
    heading.textContent = mode === 'signin' ? 'Sign in' : 'Create your account'
    submit.textContent = mode === 'signin' ? 'Sign in' : 'Create account'
    switcher.textContent = mode === 'signin' ? 'New here? Create an account' : 'Have an account? Sign in'
    password.autocomplete = mode === 'signin' ? 'current-password' : 'new-password'
    error.textContent = ''
  }
  setMode('signin')

  const form = h(
    'form.auth-card',
    {
      onsubmit: (event) => {
        event.preventDefault()
        submit.disabled = true
        error.textContent = ''
        const call = mode === 'signin' ? api.signIn : api.signUp
        call(username.value.trim(), password.value)
          .then(onSignedIn)
          .catch((e: unknown) => {
            error.textContent = e instanceof ApiError ? e.message : 'The server cannot be reached.'
          })
          .finally(() => {
            submit.disabled = false
          })
      },
    },
    h('div.brand', {}, h('span.logo', {}, '◆'), 'Bandmate'),
    heading,
    h('label', {}, 'Username', username),
    h('label', {}, 'Password', password),
    error,
    submit,
    switcher,
  )
  return h('main.auth-page', {}, form)
}
