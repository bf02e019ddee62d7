/**
 * The song's audio clips in the studio: read from the document (audio tracks' `clips`
 * maps, docs/song-document.md), their recordings fetched from the stem endpoint, decoded
 * once (`decodeAudioData`, on an OfflineAudioContext so that no user gesture is needed),
 * summarized as a waveform overview for the arrangement, and handed to the transport.
 */
import * as Y from 'yjs'
import type { PlayableClip } from '../audio/clips.ts'

/** One clip as the document holds it. */
export interface ClipView {
  id: string
  trackId: string
  /** The recording's SHA-256. */
  blob: string
  mime: string
  start: number
  offset: number
  durationMs: number
}

const DIGEST = /^[0-9a-f]{64}$/
/** Decoding rate: Opus is 48 kHz; buffers are resampled by whatever context plays them. */
const DECODE_RATE = 48_000
/** Waits before fetching a recording again after a failure. */
const RETRY_MS = [1_000, 3_000, 10_000, 30_000]
/** Waveform overview resolution: peaks per second of recording. */
const PEAKS_PER_S = 100

const isTick = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0

/** Every well-formed clip of every audio track (malformed ones are skipped: the server refuses them). */
export function readClips(doc: Y.Doc): ClipView[] {
  const out: ClipView[] = []
  for (const [trackId, track] of doc.getMap<unknown>('tracks').entries()) {
    if (!(track instanceof Y.Map)) continue
    const clips: unknown = track.get('clips')
    if (track.get('kind') !== 'audio' || !(clips instanceof Y.Map)) continue
    for (const [id, clip] of (clips as Y.Map<unknown>).entries()) {
      if (!(clip instanceof Y.Map)) continue
      const c = clip as Y.Map<unknown>
      const blob: unknown = c.get('blob')
      const mime: unknown = c.get('mime')
      const start: unknown = c.get('start')
      const offset: unknown = c.get('offset')
      const durationMs: unknown = c.get('duration_ms')
      if (typeof blob !== 'string' || !DIGEST.test(blob) || typeof mime !== 'string') continue
      if (!isTick(start) || !isTick(offset) || typeof durationMs !== 'number' || !(durationMs > 0)) continue
      out.push({ id, trackId, blob, mime, start, offset, durationMs })
    }
  }
  return out.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1))
}

/** Peak overview of a buffer: `[min, max]` pairs, `count` of them, over all channels. */
export function waveformPeaks(channels: readonly Float32Array[], count: number): Float32Array {
  const peaks = new Float32Array(2 * count)
  const length = channels[0]?.length ?? 0
  for (let i = 0; i < count; i++) {
    const from = Math.floor((i * length) / count)
    const to = Math.max(from + 1, Math.floor(((i + 1) * length) / count))
    let low = 0
    let high = 0
    for (const data of channels) {
      for (let j = from; j < to && j < length; j++) {
        const v = data[j]!
        if (v < low) low = v
        if (v > high) high = v
      }
    }
    peaks[2 * i] = low
    peaks[2 * i + 1] = high
  }
  return peaks
}

type Loaded = { state: 'loading' } | { state: 'ready'; buffer: AudioBuffer; peaks: Float32Array } | { state: 'failed'; message: string }

/** The recordings of a project's clips, fetched and decoded once each. */
export class ClipLibrary {
  private readonly loaded = new Map<string, Loaded>()
  private readonly listeners = new Set<() => void>()
  private decoder: OfflineAudioContext | null = null
  private closed = false

  constructor(
    private readonly projectId: string,
    private readonly doc: Y.Doc,
  ) {}

  /** The clips now in the document; starts loading the recordings not seen yet. */
  clips(): ClipView[] {
    const clips = readClips(this.doc)
    for (const clip of clips) if (!this.loaded.has(clip.blob)) void this.load(clip.blob)
    return clips
  }

  /** The clips whose recordings are decoded, for the transport. */
  playable(): PlayableClip[] {
    const out: PlayableClip[] = []
    for (const clip of this.clips()) {
      const entry = this.loaded.get(clip.blob)
      if (entry?.state === 'ready') out.push({ id: clip.id, trackId: clip.trackId, start: clip.start, offset: clip.offset, buffer: entry.buffer })
    }
    return out
  }

  /** A recording's state: its overview and length once decoded. */
  recording(blob: string): { peaks: Float32Array; seconds: number } | 'loading' | 'failed' {
    const entry = this.loaded.get(blob)
    if (entry === undefined || entry.state === 'loading') return 'loading'
    if (entry.state === 'failed') return 'failed'
    return { peaks: entry.peaks, seconds: entry.buffer.duration }
  }

  /** Why a recording failed to load, if it did. */
  failure(blob: string): string | null {
    const entry = this.loaded.get(blob)
    return entry?.state === 'failed' ? entry.message : null
  }

  /** Called whenever a recording finishes loading (or fails). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private async load(blob: string, attempt = 0): Promise<void> {
    this.loaded.set(blob, { state: 'loading' })
    try {
      const response = await fetch(`/api/projects/${encodeURIComponent(this.projectId)}/jam/stems/${blob}`, { credentials: 'same-origin' })
      if (!response.ok) throw new Error(`the recording could not be fetched (HTTP ${response.status})`)
      const data = await response.arrayBuffer()
      this.decoder ??= new OfflineAudioContext(2, 1, DECODE_RATE)
      const buffer = await this.decoder.decodeAudioData(data)
      const channels = Array.from({ length: buffer.numberOfChannels }, (_, i) => buffer.getChannelData(i))
      const count = Math.max(1, Math.ceil(buffer.duration * PEAKS_PER_S))
      this.loaded.set(blob, { state: 'ready', buffer, peaks: waveformPeaks(channels, count) })
    } catch (error) {
      // A clip can reach the document a moment before its stem is recorded as the project's,
      // and networks fail: try again a few times before saying so.
      const delay = RETRY_MS[attempt]
      if (delay !== undefined && !this.closed) {
        setTimeout(() => void this.load(blob, attempt + 1), delay)
        return
      }
      this.loaded.set(blob, { state: 'failed', message: error instanceof Error ? error.message : String(error) })
    }
    for (const listener of this.listeners) listener()
  }

  /** Stop retrying (the page is closing). */
  close(): void {
    this.closed = true
    this.listeners.clear()
  }
}
