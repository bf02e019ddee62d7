/** Short messages in the corner: saved, failed, copied. */
import { h } from './dom.ts'

let host: HTMLElement | null = null

export function toast(message: string, kind: 'info' | 'error' = 'info', ms = 4000): void {
  if (host === null || !host.isConnected) {
    host = h('div.toasts', { attrs: { role: 'status', 'aria-live': 'polite' } })
    document.body.append(host)
  }
  const item = h(`div.toast.${kind}`, {}, message)
  host.append(item)
  setTimeout(() => item.remove(), ms)
}
