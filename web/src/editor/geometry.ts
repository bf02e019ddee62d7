/**
 * Where things are on the editor canvas: ticks to x, pitch rows to y, what a point hits.
 * Pure, so the piano roll's and drum grid's hit-testing is testable without a browser.
 *
 *   +------+----------------------------------+
 *   |      | ruler (bars, loop range)         |  RULER_H
 *   |      | chord lane                       |  CHORD_H
 *   | keys | note grid (rows = pitches)       |  scrolls vertically
 *   |      | velocity lane                    |  VELOCITY_H
 *   +------+----------------------------------+
 */
import type { Note, WithId } from '../doc/schema.ts'

export const RULER_H = 22
export const CHORD_H = 26
export const VELOCITY_H = 72
export const EDGE_PX = 6

export type Region = 'ruler' | 'chords' | 'keys' | 'grid' | 'velocity' | 'corner'

export interface Viewport {
  width: number
  height: number
  keysWidth: number
  rowHeight: number
  /** Pitches of the rows, top to bottom. */
  rows: readonly number[]
  pxPerTick: number
  /** The tick at the left edge of the grid. */
  scrollTick: number
  /** Pixels of rows scrolled off the top. */
  scrollY: number
}

export const gridTop = RULER_H + CHORD_H

export function gridBottom(v: Viewport): number {
  return v.height - VELOCITY_H
}

export function tickToX(v: Viewport, tick: number): number {
  return v.keysWidth + (tick - v.scrollTick) * v.pxPerTick
}

export function xToTick(v: Viewport, x: number): number {
  return v.scrollTick + (x - v.keysWidth) / v.pxPerTick
}

/** The y of the top of row `row`. */
export function rowToY(v: Viewport, row: number): number {
  return gridTop + row * v.rowHeight - v.scrollY
}

export function yToRow(v: Viewport, y: number): number {
  return Math.floor((y - gridTop + v.scrollY) / v.rowHeight)
}

/** The pitch of the row at `y`, or null outside the rows. */
export function pitchAtY(v: Viewport, y: number): number | null {
  return v.rows[yToRow(v, y)] ?? null
}

export function rowOfPitch(v: Viewport, pitch: number): number {
  return v.rows.indexOf(pitch)
}

/** The largest useful vertical scroll. */
export function maxScrollY(v: Viewport): number {
  return Math.max(0, v.rows.length * v.rowHeight - (gridBottom(v) - gridTop))
}

export function regionAt(v: Viewport, x: number, y: number): Region {
  const left = x < v.keysWidth
  if (y < RULER_H) return left ? 'corner' : 'ruler'
  if (y < gridTop) return left ? 'corner' : 'chords'
  if (y >= gridBottom(v)) return left ? 'corner' : 'velocity'
  return left ? 'keys' : 'grid'
}

export interface Rect {
  x: number
  y: number
  w: number
  h: number
}

/** A note's rectangle, or null when its pitch has no row. At least 3 px wide. */
export function noteRect(v: Viewport, note: Note): Rect | null {
  const row = rowOfPitch(v, note.pitch)
  if (row < 0) return null
  return {
    x: tickToX(v, note.start),
    y: rowToY(v, row),
    w: Math.max(3, note.duration * v.pxPerTick),
    h: v.rowHeight,
  }
}

export interface NoteHit {
  id: string
  /** 'end' when the point is on the note's right edge (a resize grip). */
  part: 'body' | 'end'
}

/** The note under a point on the grid; the last drawn (topmost) wins. */
export function hitNote(v: Viewport, notes: readonly WithId<Note>[], x: number, y: number): NoteHit | null {
  for (let i = notes.length - 1; i >= 0; i--) {
    const note = notes[i]!
    const r = noteRect(v, note)
    if (r === null || x < r.x || x > r.x + r.w || y < r.y || y >= r.y + r.h) continue
    const grip = Math.min(EDGE_PX, r.w / 3)
    return { id: note.id, part: x >= r.x + r.w - grip ? 'end' : 'body' }
  }
  return null
}

/** The ids of the notes whose rectangles meet the rectangle between two points. */
export function notesInBox(
  v: Viewport,
  notes: readonly WithId<Note>[],
  a: { x: number; y: number },
  b: { x: number; y: number },
): string[] {
  const left = Math.min(a.x, b.x)
  const right = Math.max(a.x, b.x)
  const top = Math.min(a.y, b.y)
  const bottom = Math.max(a.y, b.y)
  return notes
    .filter((note) => {
      const r = noteRect(v, note)
      return r !== null && r.x <= right && r.x + r.w >= left && r.y <= bottom && r.y + r.h >= top
    })
    .map((note) => note.id)
}

/** The velocity a point in the velocity lane means (1..127). */
export function velocityAtY(v: Viewport, y: number): number {
  const top = gridBottom(v) + 6
  const span = VELOCITY_H - 10
  return Math.max(1, Math.min(127, Math.round(((top + span - y) / span) * 127)))
}

/** The rows of the piano roll: every MIDI pitch, highest first. */
export const PIANO_ROWS: readonly number[] = Array.from({ length: 128 }, (_, i) => 127 - i)

/** The rows of a drum grid: the default kit plus any other key the track uses, high to low. */
export function drumRows(defaults: readonly number[], used: Iterable<number>): number[] {
  const extra = [...new Set(used)].filter((p) => !defaults.includes(p)).sort((a, b) => b - a)
  return [...extra, ...defaults]
}
