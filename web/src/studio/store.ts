/** A tiny observable value: the studio's UI state lives in one of these. */

export class Store<T extends object> {
  private readonly listeners = new Set<(value: T, previous: T) => void>()

  constructor(private value: T) {}

  get(): T {
    return this.value
  }

  /** Merge `changes` into the value and tell the listeners (only if something changed). */
  set(changes: Partial<T>): void {
    const previous = this.value
    let changed = false
    for (const key of Object.keys(changes) as (keyof T)[]) {
      if (!Object.is(previous[key], changes[key])) changed = true
    }
    if (!changed) return
    this.value = { ...previous, ...changes }
    for (const listener of this.listeners) listener(this.value, previous)
  }

  subscribe(listener: (value: T, previous: T) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
