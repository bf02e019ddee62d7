/** Building DOM without a framework: `h('button.primary', {onclick}, 'Play')`. */

type Child = Node | string | number | null | undefined | false
type Handler<K extends keyof HTMLElementEventMap> = (event: HTMLElementEventMap[K]) => void
export type Props = {
  [K in keyof HTMLElementEventMap as `on${K}`]?: Handler<K>
} & {
  class?: string
  style?: string
  title?: string
  dataset?: Record<string, string>
  attrs?: Record<string, string | number | boolean>
  [key: string]: unknown
}

/**
 * Create an element. `tag` may carry classes and an id: `'div.lane.muted#main'`.
 * Props that start with `on` become listeners, `attrs` become attributes, the rest are set
 * as properties (`value`, `disabled`, `type` ...).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K | `${K}.${string}` | `${K}#${string}`,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const [head, ...classes] = tag.split('.')
  const [name, id] = head!.split('#') as [K, string | undefined]
  const el = document.createElement(name)
  if (id !== undefined) el.id = id
  if (classes.length > 0) el.className = classes.join(' ')
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue
    if (key === 'class') el.className = [el.className, String(value)].filter(Boolean).join(' ')
    else if (key === 'style') el.setAttribute('style', String(value))
    else if (key === 'dataset') Object.assign(el.dataset, value)
    else if (key === 'attrs') {
      for (const [attr, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === false) continue
        el.setAttribute(attr, v === true ? '' : String(v))
      }
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value as EventListener)
    } else (el as unknown as Record<string, unknown>)[key] = value
  }
  append(el, children)
  return el
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Replace every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, children)
}

/** An <option> list for a <select>. */
export function options(
  items: readonly { value: string; label: string }[],
  selected: string,
): HTMLOptionElement[] {
  return items.map((item) => h('option', { value: item.value, selected: item.value === selected }, item.label))
}

/** Whether the keyboard focus is in a text field (where shortcuts must not fire). */
export function typingInto(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true
  return target instanceof HTMLInputElement && !['checkbox', 'radio', 'range', 'button'].includes(target.type)
}
