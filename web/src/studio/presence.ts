/**
 * Presence through Yjs awareness: who is here, each person's colour, where their pointer is
 * in the song and which notes they have selected. Pointer updates are throttled so that a
 * moving mouse stays well inside the server's awareness rate.
 */
import type { Awareness } from 'y-protocols/awareness'
import type { User } from '../api/client.ts'

export const COLOURS = [
  '#ff6b6b', '#4dabf7', '#51cf66', '#fcc419', '#cc5de8', '#ff922b', '#22b8cf', '#f06595',
] as const

/** A stable colour for a user id. */
export function colourOf(userId: string): string {
  let hash = 0
  for (const char of userId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0
  return COLOURS[hash % COLOURS.length]!
}

export interface Cursor {
  trackId: string
  tick: number
  /** The pitch row the pointer is on (piano roll and drum grid), if any. */
  pitch: number | null
}

export interface PresenceState {
  user: { id: string; name: string; colour: string }
  cursor: Cursor | null
  selection: { trackId: string; notes: string[] } | null
}

export interface Peer extends PresenceState {
  clientId: number
}

const POINTER_INTERVAL_MS = 66

function isPresence(value: unknown): value is PresenceState {
  if (typeof value !== 'object' || value === null) return false
  const user = (value as { user?: unknown }).user
  return (
    typeof user === 'object' &&
    user !== null &&
    typeof (user as { id?: unknown }).id === 'string' &&
    typeof (user as { name?: unknown }).name === 'string' &&
    typeof (user as { colour?: unknown }).colour === 'string'
  )
}

export class Presence {
  private pending: Cursor | null | undefined
  private timer: ReturnType<typeof setTimeout> | null = null
  private last = 0
  /** This person's colour. */
  readonly colour: string

  constructor(
    private readonly awareness: Awareness,
    user: User,
  ) {
    this.colour = colourOf(user.id)
    const state: PresenceState = {
      user: { id: user.id, name: user.username, colour: this.colour },
      cursor: null,
      selection: null,
    }
    awareness.setLocalState(state)
  }

  /** Everyone else here, one entry per connection (a person may have several tabs). */
  peers(): Peer[] {
    const peers: Peer[] = []
    this.awareness.getStates().forEach((state, clientId) => {
      if (clientId !== this.awareness.clientID && isPresence(state)) peers.push({ ...state, clientId })
    })
    return peers.sort((a, b) => a.user.name.localeCompare(b.user.name) || a.clientId - b.clientId)
  }

  onChange(listener: () => void): void {
    this.awareness.on('change', listener)
  }

  /** Where the pointer is (null when it left the song); sent at most ~15 times a second. */
  pointer(cursor: Cursor | null): void {
    this.pending = cursor
    if (this.timer !== null) return
    const wait = Math.max(0, this.last + POINTER_INTERVAL_MS - Date.now())
    this.timer = setTimeout(() => {
      this.timer = null
      this.last = Date.now()
      if (this.pending !== undefined) this.awareness.setLocalStateField('cursor', this.pending)
      this.pending = undefined
    }, wait)
  }

  select(trackId: string | null, notes: Iterable<string>): void {
    const ids = [...notes]
    this.awareness.setLocalStateField('selection', trackId === null ? null : { trackId, notes: ids.slice(0, 500) })
  }

  leave(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.awareness.setLocalState(null)
  }
}
