/**
 * The jam room's WebSocket (`/api/projects/{id}/jam`, JSON text frames; see docs/jam.md):
 * clock exchanges (ten quick ones, then one a second), the room state, and note events both
 * ways. Signed in by the session cookie, like the sync socket.
 */
import { ClockFilter, type ClockEstimate, type Mode, type TransportState } from './clock.ts'
import type { SignalKind } from './rtc.ts'

export type EventKind = 'on' | 'off' | 'bend' | 'sustain' | 'program'

export interface NoteEvent {
  k: EventKind
  /** Server-clock time it was played (ms). */
  at: number
  p?: number
  v: number
}

export interface PlayerView {
  id: string
  name: string
  can_play: boolean
  program: number
  drums: boolean
  instrument: string
  rtt: number | null
  recording: boolean
}

export interface RoomState {
  server_ms: number
  transport: TransportState
  mode: Mode
  playout_ms: number
  advise_interval: boolean
  players: PlayerView[]
}

export interface TakeNotice {
  player: string
  name: string
  ok: boolean
  track_id?: string
  message?: string
}

export interface JamHandlers {
  state: (state: RoomState) => void
  notes: (from: string, events: NoteEvent[]) => void
  take: (notice: TakeNotice) => void
  notice: (message: string) => void
  closed: (code: number, reason: string) => void
  clock: (estimate: ClockEstimate) => void
  /** WebRTC signalling from another player (`from` stamped by the server). */
  signal?: (from: string, kind: SignalKind, data: Record<string, unknown>) => void
  /** The STUN/TURN servers for this member's WebRTC connections. */
  ice?: (servers: RTCIceServer[]) => void
  /** A player's audio take was saved into the song. */
  stem?: (user: string, name: string, trackId: string) => void
}

const QUICK_PINGS = 10

/** A server message; a frame holds one, or an array of several sent together. */
type Message = Record<string, unknown> & { t: string }

export class JamConnection {
  readonly clock = new ClockFilter()
  me = ''
  state: RoomState | null = null
  private readonly socket: WebSocket
  private pingId = 0
  private timer: ReturnType<typeof setTimeout> | null = null
  private readonly sent = new Map<number, number>()

  constructor(
    projectId: string,
    private readonly handlers: JamHandlers,
  ) {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    this.socket = new WebSocket(`${scheme}://${location.host}/api/projects/${encodeURIComponent(projectId)}/jam`)
    this.socket.onopen = () => this.ping()
    this.socket.onmessage = (event) => {
      const decoded = JSON.parse(String(event.data)) as Message | Message[]
      for (const message of Array.isArray(decoded) ? decoded : [decoded]) this.receive(message)
    }
    this.socket.onclose = (event) => {
      if (this.timer !== null) clearTimeout(this.timer)
      handlers.closed(event.code, event.reason)
    }
  }

  /** The local clock (ms, Unix time as this browser keeps it). */
  localNow(): number {
    return performance.timeOrigin + performance.now()
  }

  /** The server clock as estimated (ms). */
  serverNow(): number {
    return this.localNow() + (this.clock.estimate?.offsetMs ?? 0)
  }

  get synced(): boolean {
    return this.clock.estimate !== null
  }

  send(message: Record<string, unknown>): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message))
  }

  play(events: NoteEvent[]): void {
    this.send({ t: 'note', player: this.me, ev: events })
  }

  /** Pass WebRTC signalling to player `to` through the server. */
  signal(to: string, kind: SignalKind, data: Record<string, unknown>): void {
    this.send({ t: 'signal', to, kind, data })
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.socket.close(1000, 'left the jam')
  }

  private ping(): void {
    this.pingId += 1
    const t0 = this.localNow()
    this.sent.set(this.pingId, t0)
    this.send({ t: 'ping', id: this.pingId, t0, rtt: this.clock.estimate?.rttMs ?? null })
    this.timer = setTimeout(() => this.ping(), this.pingId < QUICK_PINGS ? 100 : 1000)
  }

  private receive(message: Message): void {
    switch (message.t) {
      case 'pong': {
        const t3 = this.localNow()
        const id = Number(message.id)
        if (!this.sent.delete(id)) return
        const estimate = this.clock.add({ t0: Number(message.t0), t1: Number(message.t1), t2: Number(message.t2), t3 })
        if (estimate !== null) this.handlers.clock(estimate)
        return
      }
      case 'welcome':
        this.me = String(message.you)
        this.state = message as unknown as RoomState
        this.handlers.state(this.state)
        return
      case 'state':
        this.state = message as unknown as RoomState
        this.handlers.state(this.state)
        return
      case 'note':
        this.handlers.notes(String(message.from), message.ev as NoteEvent[])
        return
      case 'take':
        this.handlers.take(message as unknown as TakeNotice)
        return
      case 'notice':
        this.handlers.notice(String(message.message))
        return
      case 'signal':
        this.handlers.signal?.(String(message.from), message.kind as SignalKind, (message.data ?? {}) as Record<string, unknown>)
        return
      case 'ice':
        this.handlers.ice?.(Array.isArray(message.servers) ? (message.servers as RTCIceServer[]) : [])
        return
      case 'stem':
        this.handlers.stem?.(String(message.user), String(message.name), String(message.track_id))
    }
  }
}
