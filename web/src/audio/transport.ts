/**
 * Play, stop, loop and metronome. A look-ahead scheduler: every 25 ms it plans the notes
 * of the next 120 ms on the audio clock, reading the live song each time, so edits made
 * during playback are heard as soon as the play head reaches them.
 */
import type { SongView } from '../doc/schema.ts'
import { secondsToTick, tickToSeconds } from '../music/time.ts'
import { ClipPlayer, clipsStarting, type PlayableClip } from './clips.ts'
import { clicks, notesStarting, validLoop } from './plan.ts'
import type { Synth } from './synth.ts'

const LOOKAHEAD_S = 0.12
const INTERVAL_MS = 25
/** Audio starts this far ahead of the click on Play, so the first notes are not late. */
const START_DELAY_S = 0.05

export interface TransportOptions {
  song: () => SongView | null
  loop: () => { enabled: boolean; start: number; end: number }
  metronome: () => boolean
  /** The song's audio clips whose recordings are decoded (those still loading are skipped). */
  clips?: () => readonly PlayableClip[]
}

interface Segment {
  /** Audio-clock time at which `tick` sounds. */
  time: number
  tick: number
  /** Seconds from the song's start at `tick`. */
  seconds: number
}

interface Sounding {
  channel: number
  pitch: number
  end: number
}

export class Transport {
  private timer: ReturnType<typeof setInterval> | null = null
  private segment: Segment | null = null
  /** Everything before this tick (in the current segment) is scheduled. */
  private planned = 0
  private sounding: Sounding[] = []
  /** The next plan starts a segment: clips already sounding there start part-way in. */
  private resume = false
  readonly clipPlayer: ClipPlayer

  constructor(
    private readonly synth: Synth,
    private readonly options: TransportOptions,
  ) {
    this.clipPlayer = new ClipPlayer(synth.context, synth.output)
  }

  get playing(): boolean {
    return this.timer !== null
  }

  /** Start playing at `tick`. */
  play(tick: number): void {
    const song = this.options.song()
    if (song === null) return
    this.stop()
    this.synth.setTracks(song.tracks)
    const loop = this.options.loop()
    const start = loop.enabled && validLoop(loop) && (tick < loop.start || tick >= loop.end) ? loop.start : tick
    this.segment = {
      time: this.synth.now + START_DELAY_S,
      tick: start,
      seconds: tickToSeconds(song.tempos, song.ppq, start),
    }
    this.planned = start
    this.resume = true
    this.schedule()
    this.timer = setInterval(() => this.schedule(), INTERVAL_MS)
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    this.segment = null
    this.sounding = []
    this.synth.silence()
    this.clipPlayer.stopAll()
  }

  /** The tick heard now (while playing), or null when stopped. */
  position(): number | null {
    const song = this.options.song()
    const segment = this.segment
    if (song === null || segment === null) return null
    const elapsed = Math.max(0, this.synth.now - segment.time)
    const tick = secondsToTick(song.tempos, song.ppq, segment.seconds + elapsed)
    const loop = this.options.loop()
    // The segment may run past the loop end by the look-ahead before it is replaced.
    return loop.enabled && validLoop(loop) && tick >= loop.end ? loop.start + (tick - loop.end) : tick
  }

  private timeOf(song: SongView, tick: number): number {
    const segment = this.segment!
    return segment.time + tickToSeconds(song.tempos, song.ppq, tick) - segment.seconds
  }

  private schedule(): void {
    const song = this.options.song()
    if (song === null || this.segment === null) return
    this.synth.setTracks(song.tracks)
    this.clipPlayer.setTracks(song.tracks)
    const horizon = this.synth.now + LOOKAHEAD_S
    // At most a few loop wraps per call, however short the loop.
    for (let wraps = 0; wraps < 4; wraps++) {
      const segment = this.segment
      const to = secondsToTick(song.tempos, song.ppq, segment.seconds + horizon - segment.time)
      const loop = this.options.loop()
      const looping = loop.enabled && validLoop(loop) && this.planned < loop.end
      const end = looping ? Math.min(to, loop.end) : to
      this.plan(song, this.planned, end, looping ? loop.end : Infinity)
      this.planned = end
      if (!looping || to < loop.end) break
      // Wrap: release what still sounds at the loop end and start again at its start.
      this.release(song, loop.end, true)
      const time = this.timeOf(song, loop.end)
      this.segment = { time, tick: loop.start, seconds: tickToSeconds(song.tempos, song.ppq, loop.start) }
      this.planned = loop.start
      this.resume = true
    }
  }

  private plan(song: SongView, from: number, to: number, cut: number): void {
    this.release(song, to, false)
    if (to <= from) return
    for (const note of notesStarting(song.tracks, from, to, cut)) {
      const channel = this.synth.channel(note.trackId)
      if (channel === undefined) continue
      this.synth.noteOn(channel, note.pitch, note.velocity, this.timeOf(song, note.start))
      this.sounding.push({ channel, pitch: note.pitch, end: note.end })
    }
    this.planClips(song, from, to, cut)
    if (this.options.metronome()) {
      for (const click of clicks(song.meters, song.ppq, from, to)) {
        this.synth.click(click.downbeat, this.timeOf(song, click.tick))
      }
    }
  }

  /** Start the clips that begin in `[from, to)` (and, on a new segment, those sounding at `from`). */
  private planClips(song: SongView, from: number, to: number, cut: number): void {
    const resume = this.resume
    this.resume = false
    const clips = this.options.clips?.() ?? []
    if (clips.length === 0) return
    for (const start of clipsStarting(clips, song.tracks, song.tempos, song.ppq, from, to, resume)) {
      const stopAt = start.endTick > cut ? this.timeOf(song, cut) : null
      const { clip } = start
      this.clipPlayer.start(clip.id, clip.trackId, clip.buffer, this.timeOf(song, start.tick), start.offsetS, stopAt)
    }
  }

  /** Schedule the note-offs due before `tick` (all of them when `all`). */
  private release(song: SongView, tick: number, all: boolean): void {
    const keep: Sounding[] = []
    for (const note of this.sounding) {
      if (all || note.end < tick) {
        this.synth.noteOff(note.channel, note.pitch, this.timeOf(song, Math.min(note.end, tick)))
      } else keep.push(note)
    }
    this.sounding = keep
  }
}
