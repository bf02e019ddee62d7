/**
 * The link to the server and whether this device's edits are safe there.
 *
 * A connection opened with `?ack=1` gets every update-bearing message (sync step 2 or
 * update) acknowledged with a type-100 message `[100, index, seq]` once the update is
 * committed to the project's log. Counting what this socket sent against the last acknowledged index
 * tells "saved" from "saving". Stock y-websocket ignores type 100; we install a handler.
 */
import * as decoding from 'lib0/decoding'
import type { WebsocketProvider } from 'y-websocket'

export const MESSAGE_ACK = 100
const MESSAGE_SYNC = 0
const SYNC_STEP2 = 1
const SYNC_UPDATE = 2

/** Close codes after which reconnecting cannot help (see the server's `CloseCode`). */
export const FINAL_CLOSE_CODES: ReadonlyMap<number, string> = new Map([
  [4401, 'Signed out: sign in again to keep working together.'],
  [4403, 'You can no longer edit this song here.'],
  [4404, 'This project is gone, or you are no longer a member.'],
])

export type Link = 'connecting' | 'online' | 'offline' | 'closed'

export interface ConnectionState {
  link: Link
  /** The server's copy has every edit made here. */
  saved: boolean
  /** Why the link is closed for good, when it is. */
  reason: string | null
  /** Update-bearing messages of this connection the server has not acknowledged yet. */
  unacknowledged: number
}

/** Whether a frame sent to the server carries an update (and so will be acknowledged). */
export function carriesUpdate(data: string | Blob | BufferSource): boolean {
  if (typeof data === 'string' || data instanceof Blob) return false
  const bytes = ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, Math.min(2, data.byteLength))
    : new Uint8Array(data, 0, Math.min(2, data.byteLength))
  return bytes[0] === MESSAGE_SYNC && (bytes[1] === SYNC_STEP2 || bytes[1] === SYNC_UPDATE)
}

/** Counts the update-bearing frames of the current socket. */
export class SendCounter {
  sent = 0
  acked = 0
  /** A WebSocket class for `WebsocketProvider` that counts what it sends. */
  socketClass(): typeof WebSocket {
    const counter = this
    return class CountingWebSocket extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols)
        counter.sent = 0
        counter.acked = 0
      }
      override send(data: string | Blob | BufferSource): void {
        if (carriesUpdate(data)) counter.sent++
        super.send(data)
      }
    }
  }
}

type Listener = (state: ConnectionState) => void

/**
 * Watches a provider, the browser's online state and the acknowledgements, and reports
 * one `ConnectionState`. Going offline closes the socket at once (the browser may keep a
 * dead one open for a long time); coming back reconnects and syncs.
 */
export class Connection {
  private state: ConnectionState = { link: 'connecting', saved: true, reason: null, unacknowledged: 0 }
  private readonly listeners = new Set<Listener>()
  /** Local edits not yet acknowledged by the server (remembered across reloads). */
  private dirty: boolean

  constructor(
    private readonly provider: WebsocketProvider,
    private readonly counter: SendCounter,
    private readonly dirtyKey: string,
  ) {
    this.dirty = readFlag(dirtyKey)
    this.state = { ...this.state, saved: !this.dirty }
    provider.messageHandlers[MESSAGE_ACK] = (_encoder, decoder) => {
      const index = decoding.readVarUint(decoder)
      decoding.readVarUint(decoder) // the log's sequence number: not needed here
      counter.acked = Math.max(counter.acked, index)
      this.refresh()
    }
    provider.on('status', () => this.refresh())
    provider.on('sync', () => this.refresh())
    provider.on('closed', (event) => {
      this.state = { ...this.state, reason: FINAL_CLOSE_CODES.get(event.code) ?? event.reason }
      this.refresh()
    })
    window.addEventListener('offline', this.goOffline)
    window.addEventListener('online', this.goOnline)
    if (!navigator.onLine) this.goOffline()
  }

  /** Note a local edit: unsaved until the server acknowledges what carried it. */
  edited(): void {
    if (!this.dirty) writeFlag(this.dirtyKey, true)
    this.dirty = true
    this.refresh()
  }

  get current(): ConnectionState {
    return this.state
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    listener(this.state)
    return () => this.listeners.delete(listener)
  }

  destroy(): void {
    window.removeEventListener('offline', this.goOffline)
    window.removeEventListener('online', this.goOnline)
    this.listeners.clear()
  }

  private readonly goOffline = (): void => {
    this.provider.disconnect()
    this.refresh()
  }

  private readonly goOnline = (): void => {
    if (this.state.reason === null) this.provider.connect()
    this.refresh()
  }

  private refresh(): void {
    const provider = this.provider
    let link: Link
    if (this.state.reason !== null && !provider.shouldConnect) link = 'closed'
    else if (!navigator.onLine || !provider.shouldConnect) link = 'offline'
    else if (provider.wsconnected && provider.synced) link = 'online'
    else link = 'connecting'
    if (link === 'online' && this.dirty && this.counter.acked >= this.counter.sent) {
      this.dirty = false
      writeFlag(this.dirtyKey, false)
    }
    const next: ConnectionState = {
      link,
      saved: !this.dirty,
      reason: link === 'closed' ? this.state.reason : null,
      unacknowledged: Math.max(0, this.counter.sent - this.counter.acked),
    }
    const same = (Object.keys(next) as (keyof ConnectionState)[]).every((k) => next[k] === this.state[k])
    if (same) return
    this.state = next
    for (const listener of this.listeners) listener(next)
  }
}

function readFlag(key: string): boolean {
  try {
    return localStorage.getItem(key) === '1'
  } catch {
    return false
  }
}

function writeFlag(key: string, value: boolean): void {
  try {
    if (value) localStorage.setItem(key, '1')
    else localStorage.removeItem(key)
  } catch {
    // storage disabled: the flag lives as long as the page
  }
}
