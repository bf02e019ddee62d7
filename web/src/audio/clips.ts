/**
 * Audio clips (recorded stems) in the transport: which clips start in a window of ticks
 * (pure, so the scheduler's decisions are testable), and a player that starts decoded
 * recordings as AudioBufferSourceNodes through a gain and a panner per track.
 *
 * The same rules as the server's renderer (`bandmate.render.clips`): a clip's `offset`
 * ticks (at the tempo at its start) are skipped from the recording's head; mute and solo
 * apply as to notes; volume follows the CC 7 curve `(volume / 127) ** 2`.
 */
import type { Tempo, TrackView } from '../doc/schema.ts'
import { secondsToTick, tickToSeconds } from '../music/time.ts'
import { audibleTracks } from './plan.ts'

/** A clip whose recording is decoded: what the transport can play. */
export interface ClipSound {
  id: string
  trackId: string
  /** Tick where it starts sounding. */
  start: number
  /** Ticks of the recording skipped at its head. */
  offset: number
  buffer: { readonly duration: number }
}

/** A clip the transport can play: its recording decoded. */
export interface PlayableClip extends ClipSound {
  buffer: AudioBuffer
}

export interface ClipStart<C extends ClipSound = ClipSound> {
  clip: C
  /** The tick at which it starts (its start, or the window's start when resuming inside it). */
  tick: number
  /** Seconds into the recording at which it starts. */
  offsetS: number
  /** The tick where the recording runs out. */
  endTick: number
}

/** Seconds of the recording that a clip's `offset` skips. */
export function skippedSeconds(tempos: readonly Tempo[], ppq: number, clip: { start: number; offset: number }): number {
  return tickToSeconds(tempos, ppq, clip.start + clip.offset) - tickToSeconds(tempos, ppq, clip.start)
}

/**
 * The clips of audible tracks that start in `[from, to)`; with `resume` (playback starts,
 * or a loop wraps, at `from`) also those already sounding at `from`, started part-way in.
 */
export function clipsStarting<C extends ClipSound>(
  clips: readonly C[],
  tracks: readonly TrackView[],
  tempos: readonly Tempo[],
  ppq: number,
  from: number,
  to: number,
  resume: boolean,
): ClipStart<C>[] {
  const audible = audibleTracks(tracks)
  const out: ClipStart<C>[] = []
  for (const clip of clips) {
    if (!audible.has(clip.trackId)) continue
    const skip = skippedSeconds(tempos, ppq, clip)
    const startS = tickToSeconds(tempos, ppq, clip.start)
    const length = clip.buffer.duration - skip
    if (length <= 0) continue
    const endTick = secondsToTick(tempos, ppq, startS + length)
    if (clip.start >= from && clip.start < to) {
      out.push({ clip, tick: clip.start, offsetS: skip, endTick })
    } else if (resume && clip.start < from && from < endTick) {
      const into = tickToSeconds(tempos, ppq, from) - startS
      out.push({ clip, tick: from, offsetS: skip + into, endTick })
    }
  }
  return out.sort((a, b) => a.tick - b.tick || (a.clip.id < b.clip.id ? -1 : 1))
}

/** The gain of a track's clips for its MIDI volume (0..127), as the CC 7 curve. */
export function volumeGain(volume: number): number {
  return (Math.max(0, Math.min(127, volume)) / 127) ** 2
}

/** What the player started: for the studio's test hook and the level meter's tests. */
export interface StartedClip {
  clipId: string
  trackId: string
  /** Audio-clock time it starts at. */
  when: number
  /** Seconds into the recording. */
  offsetS: number
  /** Audio-clock time it is stopped at (a loop's end), or null to play to its end. */
  stopAt: number | null
  bufferSeconds: number
}

interface Strip {
  gain: GainNode
  pan: StereoPannerNode
  /** The targets last set (an automated AudioParam's `value` lags behind its target). */
  level: number
  balance: number
}

const MAX_LOG = 256

export class ClipPlayer {
  private readonly strips = new Map<string, Strip>()
  private readonly playing = new Set<AudioBufferSourceNode>()
  /** The most recent starts, oldest first (at most 256). */
  readonly started: StartedClip[] = []

  constructor(
    private readonly context: BaseAudioContext,
    private readonly destination: AudioNode,
  ) {}

  /** Follow the tracks' volume, pan, mute and solo (live: also what is already playing). */
  setTracks(tracks: readonly TrackView[]): void {
    const audible = audibleTracks(tracks)
    for (const track of tracks) {
      const strip = this.strip(track.id)
      const level = audible.has(track.id) ? volumeGain(track.volume) : 0
      if (strip.level !== level) strip.gain.gain.setTargetAtTime(level, this.context.currentTime, 0.01)
      const balance = Math.max(-1, Math.min(1, track.pan / 64))
      if (strip.balance !== balance) strip.pan.pan.setTargetAtTime(balance, this.context.currentTime, 0.01)
      strip.level = level
      strip.balance = balance
    }
  }

  /** Start `buffer` at audio time `when`, `offsetS` into it, until `stopAt` if given. */
  start(clipId: string, trackId: string, buffer: AudioBuffer, when: number, offsetS: number, stopAt: number | null): void {
    const source = new AudioBufferSourceNode(this.context, { buffer })
    source.connect(this.strip(trackId).gain)
    source.start(Math.max(when, this.context.currentTime), Math.max(0, offsetS))
    if (stopAt !== null) source.stop(Math.max(stopAt, when))
    this.playing.add(source)
    source.addEventListener('ended', () => {
      this.playing.delete(source)
      source.disconnect()
    })
    this.started.push({ clipId, trackId, when, offsetS, stopAt, bufferSeconds: buffer.duration })
    if (this.started.length > MAX_LOG) this.started.splice(0, this.started.length - MAX_LOG)
  }

  /** Stop every clip at once. */
  stopAll(): void {
    for (const source of this.playing) {
      try {
        source.stop()
      } catch {
        // Not started yet on some engines: disconnecting silences it all the same.
      }
      source.disconnect()
    }
    this.playing.clear()
  }

  private strip(trackId: string): Strip {
    let strip = this.strips.get(trackId)
    if (strip === undefined) {
      const gain = new GainNode(this.context, { gain: 0 })
      const pan = new StereoPannerNode(this.context)
      gain.connect(pan)
      pan.connect(this.destination)
      strip = { gain, pan, level: 0, balance: 0 }
      this.strips.set(trackId, strip)
    }
    return strip
  }
}
