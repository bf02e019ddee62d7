/**
 * Audio takes: while this player records a take with their audio on, their own input is
 * recorded here (MediaRecorder, Opus in WebM), kept in IndexedDB, and uploaded as a stem when
 * the take ends. The upload goes in parts under the server's body cap
 * (`PUT /api/projects/{id}/jam/stems/{upload}/parts/{n}`), then a finish
 * (`POST /api/projects/{id}/jam/stems/{upload}`) that writes it into the song as an `audio`
 * track authored by this player. Both are idempotent: a stem stays in IndexedDB until the
 * server acknowledged it, and is sent again after a reconnect or when the page is opened again.
 */
import type { TransportState } from './clock.ts'
import { segmentAt } from './clock.ts'
import type { AudioSource } from './rtc.ts'

/** A recorded stem waiting for the server's acknowledgement. */
export interface PendingStem {
  id: string
  projectId: string
  blob: Blob
  startQuarter: number
  durationMs: number
  label: AudioSource
  createdAt: number
}

export interface StemResult {
  track_id: string
  blob: string
  mime: string
  bytes: number
}

export const PART_BYTES = 512 * 1024
const DB_NAME = 'bandmate-jam-stems'
const STORE = 'stems'
const RETRY_MS = [2_000, 5_000, 15_000, 30_000]

/** Quarter notes since bar 0 at server time `ms` (negative in the count-in). */
export function quarterAt(t: TransportState, ms: number): number {
  const s = segmentAt(t, ms)
  return s.quarter + ((ms - s.start) * s.bpm) / 60_000
}

/** How `size` bytes are cut into upload parts: `[start, end)` byte ranges. */
export function partRanges(size: number, partBytes = PART_BYTES): [number, number][] {
  const ranges: [number, number][] = []
  for (let start = 0; start < size; start += partBytes) ranges.push([start, Math.min(size, start + partBytes)])
  return ranges
}

/** A random upload id (the server wants 8..64 of A-Z a-z 0-9 _ -). */
export function newUploadId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return 'take-' + [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1)
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'id' })
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error ?? new Error('IndexedDB failed'))
  })
}

async function withStore<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb()
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode)
      const request = run(tx.objectStore(STORE))
      tx.oncomplete = () => resolve(request.result)
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'))
    })
  } finally {
    db.close()
  }
}

export const stemStore = {
  put: (stem: PendingStem) => withStore('readwrite', (s) => s.put(stem)).then(() => undefined),
  remove: (id: string) => withStore('readwrite', (s) => s.delete(id)).then(() => undefined),
  all: async (projectId: string) => ((await withStore('readonly', (s) => s.getAll())) as PendingStem[]).filter((s) => s.projectId === projectId),
}

function cookie(name: string): string | null {
  for (const part of document.cookie.split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return decodeURIComponent(value.join('='))
  }
  return null
}

async function csrfToken(): Promise<string> {
  const fromCookie = cookie('bandmate_csrf')
  if (fromCookie !== null) return fromCookie
  const response = await fetch('/api/auth/csrf', { credentials: 'same-origin' })
  return ((await response.json()) as { csrf_token: string }).csrf_token
}

/** The server refused the stem for good (it will never take it): drop it, say why. */
export class StemRefused extends Error {
  override name = 'StemRefused'
}

async function send(method: string, url: string, body: BodyInit, contentType: string): Promise<Response> {
  const response = await fetch(url, {
    method,
    body,
    credentials: 'same-origin',
    headers: { 'Content-Type': contentType, 'X-CSRF-Token': await csrfToken() },
  })
  if (response.ok) return response
  let message = `HTTP ${response.status}`
  try {
    message = ((await response.json()) as { error?: { message?: string } }).error?.message ?? message
  } catch {
    // not JSON
  }
  // 409: being finished by another try; 429, 5xx: later. Other 4xx will not change.
  if (response.status >= 400 && response.status < 500 && response.status !== 409 && response.status !== 429 && response.status !== 408) throw new StemRefused(message)
  throw new Error(message)
}

/** Upload `stem` (parts, then the finish); resolves with the song's new track. */
export async function uploadStem(stem: PendingStem): Promise<StemResult> {
  const base = `/api/projects/${encodeURIComponent(stem.projectId)}/jam/stems/${stem.id}`
  const ranges = partRanges(stem.blob.size)
  for (const [index, [start, end]] of ranges.entries()) {
    await send('PUT', `${base}/parts/${index}`, stem.blob.slice(start, end), 'application/octet-stream')
  }
  const body = JSON.stringify({ parts: ranges.length, start_quarter: stem.startQuarter, duration_ms: stem.durationMs, label: stem.label })
  const response = await send('POST', base, body, 'application/json')
  return (await response.json()) as StemResult
}

export interface StemEvents {
  saved: (stem: PendingStem, result: StemResult) => void
  failed: (stem: PendingStem, message: string, willRetry: boolean) => void
}

/** Records this player's audio during their takes and gets every stem to the server. */
export class StemRecorder {
  private recorder: MediaRecorder | null = null
  private chunks: Blob[] = []
  private startedAt = 0
  private startQuarter = 0
  private label: AudioSource = 'instrument'
  private flushing: Promise<void> | null = null
  private retry = 0
  private timer: ReturnType<typeof setTimeout> | null = null

  constructor(
    private readonly projectId: string,
    private readonly events: StemEvents,
  ) {}

  get recording(): boolean {
    return this.recorder !== null
  }

  /**
   * Start recording `stream`; its first sample belongs at server time `serverMs` on
   * `transport` (the caller moves it earlier by the player's measured latency and manual
   * offset: `../audio/latency.ts`).
   */
  start(stream: MediaStream, label: AudioSource, transport: TransportState, serverMs: number): void {
    if (this.recorder !== null || !transport.playing || transport.segments.length === 0) return
    const mimeType = MediaRecorder.isTypeSupported('audio/webm;codecs=opus') ? 'audio/webm;codecs=opus' : ''
    const recorder = new MediaRecorder(stream, { mimeType, audioBitsPerSecond: label === 'voice' ? 64_000 : 160_000 })
    this.chunks = []
    this.label = label
    this.startedAt = performance.now()
    this.startQuarter = quarterAt(transport, serverMs)
    recorder.ondataavailable = (event) => {
      if (event.data.size > 0) this.chunks.push(event.data)
    }
    recorder.start(1000) // a chunk a second: a crash loses at most the last second
    this.recorder = recorder
  }

  /** End the take: keep the recording in IndexedDB, then upload it. */
  async stop(): Promise<PendingStem | null> {
    const recorder = this.recorder
    if (recorder === null) return null
    this.recorder = null
    const stopped = new Promise<void>((resolve) => recorder.addEventListener('stop', () => resolve(), { once: true }))
    recorder.stop()
    await stopped
    const blob = new Blob(this.chunks, { type: recorder.mimeType || 'audio/webm' })
    this.chunks = []
    if (blob.size === 0) return null
    const stem: PendingStem = {
      id: newUploadId(),
      projectId: this.projectId,
      blob,
      startQuarter: this.startQuarter,
      durationMs: Math.max(1, performance.now() - this.startedAt),
      label: this.label,
      createdAt: Date.now(),
    }
    await stemStore.put(stem)
    void this.flush()
    return stem
  }

  /** Upload every stem of this project still in IndexedDB (one pass at a time). */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => {
      this.flushing = null
    })
    return this.flushing
  }

  private async flushOnce(): Promise<void> {
    let failed = false
    for (const stem of await stemStore.all(this.projectId)) {
      try {
        const result = await uploadStem(stem)
        await stemStore.remove(stem.id)
        this.events.saved(stem, result)
      } catch (error) {
        const refused = error instanceof StemRefused
        if (refused) await stemStore.remove(stem.id)
        else failed = true
        this.events.failed(stem, error instanceof Error ? error.message : String(error), !refused)
      }
    }
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    if (failed) {
      const wait = RETRY_MS[Math.min(this.retry, RETRY_MS.length - 1)]!
      this.retry += 1
      this.timer = setTimeout(() => void this.flush(), wait)
    } else {
      this.retry = 0
    }
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    if (this.recorder !== null && this.recorder.state !== 'inactive') this.recorder.stop()
    this.recorder = null
  }
}
