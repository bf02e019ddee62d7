/**
 * What the transport plays in a window of ticks: the notes that start there on audible
 * tracks, and the metronome's clicks. Pure, so the scheduler's decisions are testable.
 */
import type { Meter, TrackView } from '../doc/schema.ts'
import { barLinesAround, beatTicks } from '../music/time.ts'

/**
 * The ids of the tracks that sound, as the server's renderer decides: muted tracks are
 * silent, and while any track is soloed only soloed ones sound.
 */
export function audibleTracks(tracks: readonly TrackView[]): Set<string> {
  const soloing = tracks.some((t) => t.solo)
  return new Set(tracks.filter((t) => !t.mute && (t.solo || !soloing)).map((t) => t.id))
}

export interface PlannedNote {
  trackId: string
  noteId: string
  pitch: number
  velocity: number
  start: number
  end: number
}

/**
 * The notes of audible tracks that start in `[from, to)`, in start order. A note that would
 * ring past `cut` (the loop's end) stops there.
 */
export function notesStarting(
  tracks: readonly TrackView[],
  from: number,
  to: number,
  cut = Infinity,
): PlannedNote[] {
  const audible = audibleTracks(tracks)
  const planned: PlannedNote[] = []
  for (const track of tracks) {
    if (!audible.has(track.id)) continue
    for (const note of track.notes) {
      if (note.start < from || note.start >= to) continue
      planned.push({
        trackId: track.id,
        noteId: note.id,
        pitch: note.pitch,
        velocity: note.velocity,
        start: note.start,
        end: Math.min(note.start + note.duration, cut),
      })
    }
  }
  return planned.sort((a, b) => a.start - b.start || a.pitch - b.pitch)
}

export interface Click {
  tick: number
  /** The first beat of a bar. */
  downbeat: boolean
}

/** The metronome's clicks in `[from, to)`: every beat of the meter in force, bars accented. */
export function clicks(meters: readonly Meter[], ppq: number, from: number, to: number): Click[] {
  const out: Click[] = []
  const lines = barLinesAround(meters, ppq, from, to)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const end = lines[i + 1]?.tick ?? to
    if (end <= from) continue
    const step = beatTicks(line.meter, ppq)
    for (let tick = line.tick; tick < end && tick < to; tick += step) {
      if (tick >= from) out.push({ tick, downbeat: tick === line.tick })
    }
  }
  return out
}

/** A loop range is playable when it is at least one tick long. */
export function validLoop(loop: { start: number; end: number }): boolean {
  return loop.end > loop.start
}
