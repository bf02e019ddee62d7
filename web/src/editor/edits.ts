/**
 * Edits on a track's notes, as the editors make them: each call is one transaction tagged
 * with the editing person's origin (so their undo manager tracks it), writes only the
 * fields it changes, and keeps every note inside the schema's ranges.
 */
import * as Y from 'yjs'
import { addNote, removeNote, setNote, type Note, type Options, type WithId } from '../doc/schema.ts'

export interface Delta {
  ticks: number
  /** Semitones, or rows of the drum grid when `rows` is given. */
  pitch: number
}

/** Clamp a delta so that every note stays in 0..127 and at or after tick 0. */
export function clampDelta(notes: readonly Note[], delta: Delta): Delta {
  if (notes.length === 0) return delta
  const low = Math.min(...notes.map((n) => n.pitch))
  const high = Math.max(...notes.map((n) => n.pitch))
  const first = Math.min(...notes.map((n) => n.start))
  return {
    ticks: Math.max(delta.ticks, -first),
    pitch: Math.min(127 - high, Math.max(-low, delta.pitch)),
  }
}

/** Move notes (their original positions in `from`) by a delta; rows map a drum-grid move. */
export function moveNotes(
  doc: Y.Doc,
  trackId: string,
  from: readonly WithId<Note>[],
  delta: Delta,
  options: Options,
  rows?: readonly number[],
): void {
  doc.transact(() => {
    for (const note of from) {
      let pitch = note.pitch + delta.pitch
      if (rows !== undefined) {
        const row = rows.indexOf(note.pitch)
        pitch = rows[Math.min(rows.length - 1, Math.max(0, row + delta.pitch))] ?? note.pitch
      }
      setNote(doc, trackId, note.id, { start: Math.max(0, note.start + delta.ticks), pitch }, options)
    }
  }, options.origin)
}

/** Change the length of notes by `ticks` (at least `minimum` each). */
export function resizeNotes(
  doc: Y.Doc,
  trackId: string,
  from: readonly WithId<Note>[],
  ticks: number,
  minimum: number,
  options: Options,
): void {
  doc.transact(() => {
    for (const note of from) {
      const duration = Math.max(minimum, note.duration + ticks)
      setNote(doc, trackId, note.id, { duration }, options)
    }
  }, options.origin)
}

export function removeNotes(doc: Y.Doc, trackId: string, ids: Iterable<string>, options: Options): void {
  doc.transact(() => {
    for (const id of ids) removeNote(doc, trackId, id, options)
  }, options.origin)
}

/** Add notes; return their ids in order. */
export function addNotes(doc: Y.Doc, trackId: string, notes: readonly Note[], options: Options): string[] {
  const ids: string[] = []
  doc.transact(() => {
    for (const note of notes) ids.push(addNote(doc, trackId, note, options))
  }, options.origin)
  return ids
}

export function setVelocities(
  doc: Y.Doc,
  trackId: string,
  ids: Iterable<string>,
  velocity: number,
  options: Options,
): void {
  const value = Math.min(127, Math.max(1, Math.round(velocity)))
  doc.transact(() => {
    for (const id of ids) setNote(doc, trackId, id, { velocity: value }, options)
  }, options.origin)
}

/** Copies of `notes` shifted by `ticks` (for duplicate and paste). */
export function shifted(notes: readonly Note[], ticks: number): Note[] {
  return notes.map(({ pitch, start, duration, velocity }) => ({
    pitch,
    start: Math.max(0, start + ticks),
    duration,
    velocity,
  }))
}

/** The span a group of notes covers: from the first start to the last end. */
export function span(notes: readonly Note[]): { start: number; end: number } {
  if (notes.length === 0) return { start: 0, end: 0 }
  return {
    start: Math.min(...notes.map((n) => n.start)),
    end: Math.max(...notes.map((n) => n.start + n.duration)),
  }
}

/** Move note starts to the nearest grid line (keeping their ends where possible). */
export function quantize(
  doc: Y.Doc,
  trackId: string,
  notes: readonly WithId<Note>[],
  snap: (tick: number) => number,
  options: Options,
): void {
  doc.transact(() => {
    for (const note of notes) {
      const start = snap(note.start)
      const duration = Math.max(1, note.start + note.duration - start)
      if (start !== note.start) setNote(doc, trackId, note.id, { start, duration }, options)
    }
  }, options.origin)
}
