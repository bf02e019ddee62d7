/**
 * The jam clock, the twin of `bandmate/jam/clock.py` and `transport.py`: NTP-style exchanges
 * filtered by lowest delay, the room's transport (bar/beat on the server clock) and when a
 * remote event is to be played. Pure: no DOM, no sockets.
 */

/** One exchange, in milliseconds: client send, server receive, server send, client receive. */
export interface ClockSample {
  t0: number
  t1: number
  t2: number
  t3: number
}

export interface ClockEstimate {
  /** Server clock minus client clock: `server = client + offsetMs`. */
  offsetMs: number
  /** Median round trip of the window. */
  rttMs: number
  /** Lowest round trip of the window. */
  minRttMs: number
  /** Mean absolute deviation of the round trips from their median. */
  jitterMs: number
  samples: number
}

export function sampleOffset(s: ClockSample): number {
  return (s.t1 - s.t0 + (s.t2 - s.t3)) / 2
}

export function sampleDelay(s: ClockSample): number {
  return Math.max(0, s.t3 - s.t0 - (s.t2 - s.t1))
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** The estimate from `samples`: the median offset of the lowest-delay `keep` of them. */
export function estimateClock(samples: readonly ClockSample[], keep = 0.25): ClockEstimate {
  if (samples.length === 0) throw new Error('samples must not be empty')
  const byDelay = [...samples].sort((a, b) => sampleDelay(a) - sampleDelay(b))
  const best = byDelay.slice(0, Math.max(1, Math.ceil(keep * byDelay.length)))
  const delays = samples.map(sampleDelay)
  const rtt = median(delays)
  return {
    offsetMs: median(best.map(sampleOffset)),
    rttMs: rtt,
    minRttMs: sampleDelay(byDelay[0]!),
    jitterMs: delays.reduce((sum, d) => sum + Math.abs(d - rtt), 0) / delays.length,
    samples: samples.length,
  }
}

/** A sliding window of exchanges and its estimate, re-made with every exchange. */
export class ClockFilter {
  private readonly samples: ClockSample[] = []
  estimate: ClockEstimate | null = null

  constructor(
    readonly window = 32,
    readonly keep = 0.25,
  ) {}

  add(sample: ClockSample): ClockEstimate | null {
    if (![sample.t0, sample.t1, sample.t2, sample.t3].every(Number.isFinite)) return this.estimate
    if (sample.t3 < sample.t0 || sample.t2 < sample.t1) return this.estimate
    this.samples.push(sample)
    if (this.samples.length > this.window) this.samples.shift()
    this.estimate = estimateClock(this.samples, this.keep)
    return this.estimate
  }

  reset(): void {
    this.samples.length = 0
    this.estimate = null
  }
}

/** A stretch of constant tempo and meter from a bar line on (as the server sends it). */
export interface Segment {
  start: number
  bar: number
  quarter: number
  bpm: number
  num: number
  den: number
}

export interface TransportState {
  playing: boolean
  segments: Segment[]
}

export function barMs(s: Segment): number {
  return (60_000 / s.bpm) * (4 / s.den) * s.num
}

export function segmentAt(t: TransportState, ms: number): Segment {
  let current = t.segments[0]!
  for (const s of t.segments.slice(1)) {
    if (s.start > ms) break
    current = s
  }
  return current
}

/** Bar number and beat (from 0) at server time `ms`. */
export function positionAt(t: TransportState, ms: number): { bar: number; beat: number } {
  const s = segmentAt(t, ms)
  const beatMs = (60_000 / s.bpm) * (4 / s.den)
  const elapsed = ms - s.start
  const bars = Math.floor(elapsed / barMs(s))
  return { bar: s.bar + bars, beat: (elapsed - bars * barMs(s)) / beatMs }
}

/** Server times of the beats in `[from, to)`, each with whether it starts a bar. */
export function beatsBetween(t: TransportState, from: number, to: number): { at: number; downbeat: boolean; bar: number }[] {
  const out: { at: number; downbeat: boolean; bar: number }[] = []
  if (!t.playing) return out
  let ms = from
  while (ms < to && out.length < 256) {
    const s = segmentAt(t, ms)
    const beatMs = (60_000 / s.bpm) * (4 / s.den)
    const index = Math.ceil((ms - s.start) / beatMs - 1e-9)
    const at = s.start + index * beatMs
    const next = t.segments.find((x) => x.start > ms)
    if (next !== undefined && at >= next.start) {
      ms = next.start
      continue
    }
    if (at >= to) break
    const beat = ((index % s.num) + s.num) % s.num
    out.push({ at, downbeat: beat === 0, bar: s.bar + Math.floor(index / s.num) })
    ms = at + beatMs / 2
  }
  return out
}

export type Mode = 'live' | 'interval'

/**
 * When a remote event played at server time `at` is to be heard: `playoutMs` later in live
 * mode (the same fixed delay for everyone), exactly one bar later in interval mode.
 */
export function playTime(t: TransportState, at: number, mode: Mode, playoutMs: number): number {
  return mode === 'interval' ? at + barMs(segmentAt(t, at)) : at + playoutMs
}
