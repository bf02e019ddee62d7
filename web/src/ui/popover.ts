/** A one-line text field floating at a point: Enter saves, Escape or a click away cancels. */
import { h } from './dom.ts'

export function popoverInput(
  at: { x: number; y: number },
  options: { label: string; value: string; placeholder: string; check?: (value: string) => string | null },
  onSave: (value: string) => void,
): void {
  document.querySelector('.popover')?.remove()
  const input = h('input', { value: options.value, placeholder: options.placeholder, attrs: { 'aria-label': options.label, spellcheck: 'false' } })
  const hint = h('div.hint', {}, 'Enter to save · Esc to cancel')
  const box = h('div.popover', { style: `left:${Math.round(at.x)}px;top:${Math.round(at.y)}px` }, h('div.popover-label', {}, options.label), input, hint)
  let closed = false
  const close = (): void => {
    closed = true
    box.remove()
  }
  input.addEventListener('keydown', (e) => {
    e.stopPropagation()
    if (e.key === 'Escape') close()
    if (e.key !== 'Enter') return
    const problem = options.check?.(input.value.trim()) ?? null
    if (problem !== null) {
      hint.textContent = problem
      hint.classList.add('error')
      return
    }
    close()
    onSave(input.value.trim())
  })
  input.addEventListener('blur', () => setTimeout(() => !closed && close(), 150))
  document.body.append(box)
  input.focus()
  input.select()
}
