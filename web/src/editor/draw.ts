/**
 * Painting the editor canvas: piano keys or drum names, the bar/beat ruler with the loop
 * range, the chord lane, the note grid, notes coloured by velocity, other people's
 * pointers and selections, the play head and the velocity lane.
 */
import type { Chord, Meter, Note, WithId } from '../doc/schema.ts'
import { drumName } from '../music/gm.ts'
import { isBlackKey, pitchName } from '../music/pitch.ts'
import { barLinesAround, beatTicks } from '../music/time.ts'
import type { Peer } from '../studio/presence.ts'
import { barNumber, type SectionBand } from '../studio/sections.ts'
import {
  CHORD_H,
  gridBottom,
  gridTop,
  noteRect,
  rowToY,
  RULER_H,
  tickToX,
  VELOCITY_H,
  xToTick,
  type Viewport,
} from './geometry.ts'

export const THEME = {
  bg: '#15171c',
  panel: '#1c1f26',
  rowWhite: '#1f232a',
  rowBlack: '#191c22',
  rowC: '#2b303a',
  bar: '#4a5160',
  beat: '#2c313b',
  sub: '#23272f',
  text: '#c9ced8',
  dim: '#7d8595',
  keyWhite: '#e9ebef',
  keyBlack: '#2a2d33',
  playhead: '#ffd43b',
  loop: 'rgba(77, 171, 247, 0.28)',
  loopEdge: '#4dabf7',
  chord: '#3b4252',
  chordSelected: '#5c7cfa',
  box: 'rgba(255, 255, 255, 0.12)',
}

export interface Scene {
  v: Viewport
  mode: 'piano' | 'drums'
  ppq: number
  meters: readonly Meter[]
  notes: readonly WithId<Note>[]
  chords: readonly WithId<Chord>[]
  /** The song's sections, drawn along the top of the ruler. */
  sections: readonly SectionBand[]
  selectedChord: string | null
  selection: ReadonlySet<string>
  /** The track's colour. */
  colour: string
  /** Grid step in ticks. */
  step: number
  playhead: number
  loop: { enabled: boolean; start: number; end: number }
  peers: readonly Peer[]
  trackId: string
  /** A selection rectangle being dragged. */
  box: { x0: number; y0: number; x1: number; y1: number } | null
  /** The row under the pointer, highlighted on the keys. */
  hoverPitch: number | null
  readOnly: boolean
}

const FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif'

export function drawEditor(ctx: CanvasRenderingContext2D, s: Scene): void {
  const { v } = s
  ctx.fillStyle = THEME.bg
  ctx.fillRect(0, 0, v.width, v.height)
  ctx.font = FONT
  ctx.textBaseline = 'middle'
  const from = Math.max(0, xToTick(v, v.keysWidth))
  const to = xToTick(v, v.width)

  ctx.save()
  ctx.beginPath()
  ctx.rect(v.keysWidth, gridTop, v.width - v.keysWidth, gridBottom(v) - gridTop)
  ctx.clip()
  drawRows(ctx, s)
  drawTimeLines(ctx, s, from, to, gridTop, gridBottom(v))
  if (s.loop.enabled) shade(ctx, s, gridTop, gridBottom(v), 'rgba(77, 171, 247, 0.05)')
  drawNotes(ctx, s)
  drawPeers(ctx, s)
  if (s.box !== null) {
    ctx.fillStyle = THEME.box
    ctx.strokeStyle = 'rgba(255,255,255,0.5)'
    const { x0, y0, x1, y1 } = s.box
    ctx.fillRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0))
    ctx.strokeRect(Math.min(x0, x1) + 0.5, Math.min(y0, y1) + 0.5, Math.abs(x1 - x0), Math.abs(y1 - y0))
  }
  ctx.restore()

  drawKeys(ctx, s)
  drawRuler(ctx, s, from, to)
  drawChords(ctx, s)
  drawVelocity(ctx, s, from, to)
  drawPlayhead(ctx, s)

  // The corners above and below the keys.
  ctx.fillStyle = THEME.panel
  ctx.fillRect(0, 0, v.keysWidth, gridTop)
  ctx.fillRect(0, gridBottom(v), v.keysWidth, VELOCITY_H)
  ctx.fillStyle = THEME.dim
  ctx.fillText('Chords', 8, RULER_H + CHORD_H / 2)
  ctx.fillText('Velocity', 8, gridBottom(v) + 14)
  ctx.strokeStyle = '#000'
  ctx.beginPath()
  line(ctx, v.keysWidth - 0.5, 0, v.keysWidth - 0.5, v.height)
  line(ctx, 0, gridBottom(v) + 0.5, v.width, gridBottom(v) + 0.5)
  line(ctx, 0, gridTop - 0.5, v.width, gridTop - 0.5)
  ctx.stroke()
}

function line(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
  ctx.moveTo(x0, y0)
  ctx.lineTo(x1, y1)
}

function shade(ctx: CanvasRenderingContext2D, s: Scene, top: number, bottom: number, colour: string): void {
  const x0 = tickToX(s.v, s.loop.start)
  const x1 = tickToX(s.v, s.loop.end)
  ctx.fillStyle = colour
  ctx.fillRect(x0, top, x1 - x0, bottom - top)
}

function drawRows(ctx: CanvasRenderingContext2D, s: Scene): void {
  const { v } = s
  v.rows.forEach((pitch, row) => {
    const y = rowToY(v, row)
    if (y + v.rowHeight < gridTop || y > gridBottom(v)) return
    const black = s.mode === 'piano' && isBlackKey(pitch)
    ctx.fillStyle = s.mode === 'drums' ? (row % 2 === 0 ? THEME.rowWhite : THEME.rowBlack) : black ? THEME.rowBlack : THEME.rowWhite
    ctx.fillRect(v.keysWidth, y, v.width - v.keysWidth, v.rowHeight)
    ctx.fillStyle = s.mode === 'piano' && pitch % 12 === 0 ? THEME.rowC : '#111318'
    ctx.fillRect(v.keysWidth, y + v.rowHeight - 1, v.width - v.keysWidth, 1)
  })
}

function drawTimeLines(ctx: CanvasRenderingContext2D, s: Scene, from: number, to: number, top: number, bottom: number): void {
  const { v } = s
  const bars = barLinesAround(s.meters, s.ppq, from, to)
  bars.forEach((bar, i) => {
    const end = bars[i + 1]?.tick ?? to + 1
    if (end < from) return
    const beat = beatTicks(bar.meter, s.ppq)
    // Grid subdivisions only where they are at least 6 px apart.
    if (s.step * v.pxPerTick >= 6 && s.step < beat) {
      ctx.fillStyle = THEME.sub
      for (let t = bar.tick; t < end; t += s.step) ctx.fillRect(Math.round(tickToX(v, t)), top, 1, bottom - top)
    }
    if (beat * v.pxPerTick >= 4) {
      ctx.fillStyle = THEME.beat
      for (let t = bar.tick + beat; t < end; t += beat) ctx.fillRect(Math.round(tickToX(v, t)), top, 1, bottom - top)
    }
    ctx.fillStyle = THEME.bar
    ctx.fillRect(Math.round(tickToX(v, bar.tick)), top, 1, bottom - top)
  })
}

function velocityColour(hex: string, velocity: number): string {
  // Quiet notes are darker: mix the track colour toward the background.
  const mix = 0.35 + 0.65 * (velocity / 127)
  const n = Number.parseInt(hex.slice(1), 16)
  const channel = (shift: number, bg: number): number => Math.round(((n >> shift) & 255) * mix + bg * (1 - mix))
  return `rgb(${channel(16, 0x15)}, ${channel(8, 0x17)}, ${channel(0, 0x1c)})`
}

function peerSelections(s: Scene): Map<string, string> {
  const byNote = new Map<string, string>()
  for (const peer of s.peers) {
    if (peer.selection?.trackId !== s.trackId) continue
    for (const id of peer.selection.notes) byNote.set(id, peer.user.colour)
  }
  return byNote
}

function drawNotes(ctx: CanvasRenderingContext2D, s: Scene): void {
  const { v } = s
  const theirs = peerSelections(s)
  for (const note of s.notes) {
    const r = noteRect(v, note)
    if (r === null || r.x > v.width || r.x + r.w < v.keysWidth) continue
    if (r.y + r.h < gridTop || r.y > gridBottom(v)) continue
    const selected = s.selection.has(note.id)
    ctx.fillStyle = velocityColour(s.colour, note.velocity)
    if (s.mode === 'drums') {
      const size = Math.min(r.h - 4, Math.max(8, r.w - 2))
      roundRect(ctx, r.x + 1, r.y + (r.h - size) / 2, Math.max(size, r.w - 2), size, 3)
    } else roundRect(ctx, r.x, r.y + 1, r.w, r.h - 2, 2)
    ctx.fill()
    const other = theirs.get(note.id)
    if (selected || other !== undefined) {
      ctx.lineWidth = selected ? 2 : 1.5
      ctx.strokeStyle = selected ? '#ffffff' : other!
      ctx.stroke()
      ctx.lineWidth = 1
    }
    if (s.mode === 'piano' && r.w > 34 && v.rowHeight >= 12) {
      ctx.fillStyle = 'rgba(0,0,0,0.65)'
      ctx.fillText(pitchName(note.pitch), r.x + 4, r.y + r.h / 2)
    }
  }
}

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number): void {
  ctx.beginPath()
  ctx.roundRect(x, y, w, h, Math.min(r, w / 2, h / 2))
}

function drawPeers(ctx: CanvasRenderingContext2D, s: Scene): void {
  const { v } = s
  for (const peer of s.peers) {
    const cursor = peer.cursor
    if (cursor === null || cursor.trackId !== s.trackId) continue
    const x = tickToX(v, cursor.tick)
    const row = cursor.pitch === null ? -1 : v.rows.indexOf(cursor.pitch)
    const y = row < 0 ? gridTop + 4 : rowToY(v, row) + v.rowHeight / 2
    ctx.fillStyle = peer.user.colour
    ctx.fillRect(Math.round(x), gridTop, 1, gridBottom(v) - gridTop)
    ctx.beginPath()
    ctx.moveTo(x, y)
    ctx.lineTo(x + 11, y + 4)
    ctx.lineTo(x + 4, y + 11)
    ctx.closePath()
    ctx.fill()
    const label = peer.user.name
    const width = ctx.measureText(label).width + 8
    ctx.fillRect(x + 10, y + 10, width, 16)
    ctx.fillStyle = '#111'
    ctx.fillText(label, x + 14, y + 18)
  }
}

function drawKeys(ctx: CanvasRenderingContext2D, s: Scene): void {
  const { v } = s
  ctx.save()
  ctx.beginPath()
  ctx.rect(0, gridTop, v.keysWidth, gridBottom(v) - gridTop)
  ctx.clip()
  ctx.fillStyle = THEME.panel
  ctx.fillRect(0, gridTop, v.keysWidth, gridBottom(v) - gridTop)
  v.rows.forEach((pitch, row) => {
    const y = rowToY(v, row)
    if (y + v.rowHeight < gridTop || y > gridBottom(v)) return
    const hover = pitch === s.hoverPitch
    if (s.mode === 'drums') {
      ctx.fillStyle = hover ? '#2d3340' : row % 2 === 0 ? '#22262e' : '#1e2128'
      ctx.fillRect(0, y, v.keysWidth, v.rowHeight)
      ctx.fillStyle = THEME.text
      ctx.fillText(drumName(pitch), 10, y + v.rowHeight / 2)
      return
    }
    const black = isBlackKey(pitch)
    ctx.fillStyle = hover ? s.colour : black ? THEME.keyBlack : THEME.keyWhite
    ctx.fillRect(0, y, black ? v.keysWidth * 0.62 : v.keysWidth, v.rowHeight)
    if (black) {
      ctx.fillStyle = THEME.keyWhite
      ctx.fillRect(v.keysWidth * 0.62, y, v.keysWidth * 0.38, v.rowHeight)
      ctx.fillStyle = '#9aa0aa'
      ctx.fillRect(v.keysWidth * 0.62, y + v.rowHeight / 2, v.keysWidth * 0.38, 1)
    } else {
      ctx.fillStyle = '#b5bac3'
      ctx.fillRect(0, y + v.rowHeight - 1, v.keysWidth, 1)
    }
    if (pitch % 12 === 0) {
      ctx.fillStyle = '#39404d'
      ctx.fillText(pitchName(pitch), v.keysWidth - 28, y + v.rowHeight / 2)
    }
  })
  ctx.restore()
}

function drawRuler(ctx: CanvasRenderingContext2D, s: Scene, from: number, to: number): void {
  const { v } = s
  ctx.fillStyle = THEME.panel
  ctx.fillRect(v.keysWidth, 0, v.width - v.keysWidth, RULER_H)
  if (s.loop.end > s.loop.start) {
    const x0 = Math.max(v.keysWidth, tickToX(v, s.loop.start))
    const x1 = tickToX(v, s.loop.end)
    if (x1 > x0) {
      ctx.fillStyle = s.loop.enabled ? THEME.loop : 'rgba(125,133,149,0.18)'
      ctx.fillRect(x0, 2, x1 - x0, RULER_H - 4)
      ctx.fillStyle = s.loop.enabled ? THEME.loopEdge : THEME.dim
      ctx.fillRect(x0, 2, 2, RULER_H - 4)
      ctx.fillRect(x1 - 2, 2, 2, RULER_H - 4)
    }
  }
  const bars = barLinesAround(s.meters, s.ppq, from, to)
  const barPx = bars.length > 1 ? (bars[1]!.tick - bars[0]!.tick) * v.pxPerTick : 100
  const every = barPx >= 40 ? 1 : Math.ceil(40 / Math.max(1, barPx))
  for (const bar of bars) {
    const x = Math.round(tickToX(v, bar.tick))
    if (x < v.keysWidth - 1) continue
    ctx.fillStyle = THEME.bar
    ctx.fillRect(x, RULER_H - 8, 1, 8)
    if ((bar.bar - 1) % every === 0) {
      ctx.fillStyle = THEME.text
      ctx.fillText(String(bar.bar), x + 4, RULER_H / 2)
    }
    const beat = beatTicks(bar.meter, s.ppq)
    if (beat * v.pxPerTick >= 10) {
      ctx.fillStyle = THEME.beat
      const next = bar.tick + bar.meter.numerator * beat
      for (let t = bar.tick + beat; t < next; t += beat) ctx.fillRect(Math.round(tickToX(v, t)), RULER_H - 4, 1, 4)
    }
  }
  drawSections(ctx, s, from, to)
  ctx.fillStyle = '#000'
  ctx.fillRect(v.keysWidth, RULER_H - 1, v.width - v.keysWidth, 1)
}

/** Sections in view: a strip in each one's colour along the ruler's top, its name where it
 * starts (after the bar number), or at the left edge for the one under way there. */
function drawSections(ctx: CanvasRenderingContext2D, s: Scene, from: number, to: number): void {
  const { v } = s
  for (const band of sectionsInView(s.sections, from, to)) {
    const x0 = Math.max(v.keysWidth, tickToX(v, band.tick))
    const x1 = Math.min(v.width, tickToX(v, band.end))
    ctx.fillStyle = band.colour
    ctx.fillRect(x0, 0, Math.max(1, x1 - x0), 3)
    const at = band.tick >= from ? x0 + 4 + ctx.measureText(String(barNumber(s.meters, s.ppq, band.tick))).width + 6 : x0 + 4
    if (x1 - at < 24) continue
    ctx.fillText(band.name, at, RULER_H / 2, x1 - at - 4)
  }
}

/** The sections that overlap `[from, to]`, those sharing a tick reduced to the last. */
export function sectionsInView(sections: readonly SectionBand[], from: number, to: number): SectionBand[] {
  return sections.filter((band) => band.end > band.tick && band.end > from && band.tick <= to)
}

function drawChords(ctx: CanvasRenderingContext2D, s: Scene): void {
  const { v } = s
  const top = RULER_H
  ctx.fillStyle = '#191b21'
  ctx.fillRect(v.keysWidth, top, v.width - v.keysWidth, CHORD_H)
  ctx.save()
  ctx.beginPath()
  ctx.rect(v.keysWidth, top, v.width - v.keysWidth, CHORD_H)
  ctx.clip()
  for (const chord of s.chords) {
    const x = tickToX(v, chord.tick)
    const w = Math.max(6, chord.duration * v.pxPerTick)
    if (x > v.width || x + w < v.keysWidth) continue
    ctx.fillStyle = chord.id === s.selectedChord ? THEME.chordSelected : THEME.chord
    roundRect(ctx, x + 1, top + 3, w - 2, CHORD_H - 6, 4)
    ctx.fill()
    ctx.fillStyle = '#f1f3f5'
    ctx.font = `600 ${FONT}`
    ctx.fillText(chord.symbol, x + 7, top + CHORD_H / 2, Math.max(0, w - 12))
    ctx.font = FONT
  }
  ctx.restore()
  if (s.chords.length === 0 && !s.readOnly) {
    ctx.fillStyle = THEME.dim
    ctx.fillText('Double-click to add a chord', v.keysWidth + 8, top + CHORD_H / 2)
  }
}

function drawVelocity(ctx: CanvasRenderingContext2D, s: Scene, from: number, to: number): void {
  const { v } = s
  const top = gridBottom(v)
  ctx.fillStyle = '#181a20'
  ctx.fillRect(v.keysWidth, top, v.width - v.keysWidth, VELOCITY_H)
  ctx.save()
  ctx.beginPath()
  ctx.rect(v.keysWidth, top, v.width - v.keysWidth, VELOCITY_H)
  ctx.clip()
  drawTimeLines(ctx, { ...s, step: Infinity }, from, to, top, top + VELOCITY_H)
  const span = VELOCITY_H - 10
  for (const note of s.notes) {
    const x = tickToX(v, note.start)
    if (x < v.keysWidth - 8 || x > v.width) continue
    const h = (note.velocity / 127) * span
    const selected = s.selection.has(note.id)
    ctx.fillStyle = selected ? '#ffffff' : velocityColour(s.colour, note.velocity)
    ctx.fillRect(Math.round(x), top + 6 + span - h, 2, h)
    ctx.beginPath()
    ctx.arc(x + 1, top + 6 + span - h, 3, 0, Math.PI * 2)
    ctx.fill()
  }
  ctx.restore()
}

function drawPlayhead(ctx: CanvasRenderingContext2D, s: Scene): void {
  const { v } = s
  const x = Math.round(tickToX(v, s.playhead))
  if (x < v.keysWidth || x > v.width) return
  ctx.fillStyle = THEME.playhead
  ctx.fillRect(x, 0, 1, v.height)
  ctx.beginPath()
  ctx.moveTo(x - 5, 0)
  ctx.lineTo(x + 6, 0)
  ctx.lineTo(x + 0.5, 7)
  ctx.closePath()
  ctx.fill()
}
