/** Adding, renaming and removing chords on the chord lane. */
import { addChord, removeChord, setChord } from '../doc/schema.ts'
import { barTicks, meterAt } from '../music/time.ts'
import { popoverInput } from '../ui/popover.ts'
import type { Session } from './session.ts'
import type { SongModel } from './song.ts'

const CHORD_RE = /^[A-G][#b♯♭]?[^\s/]{0,24}(?:6\/9[^\s/]{0,12})?(?:\/[A-G][#b♯♭]?)?$/

/** Why a chord symbol will not do, or null when it looks like one ("Am7", "F#m7b5/E"). */
export function checkChordSymbol(symbol: string): string | null {
  if (symbol === '') return null // an empty symbol removes the chord
  return CHORD_RE.test(symbol) ? null : 'A chord starts with its root A–G, e.g. Am7, F#m7b5/E, G7(b9)'
}

/**
 * Ask for a chord symbol at a point; `chordId` null adds a chord at the bar under `tick`,
 * lasting a bar or up to the next chord.
 */
export function editChord(session: Session, song: SongModel, chordId: string | null, tick: number, at: { x: number; y: number }): void {
  const view = song.get()
  if (view === null) return
  const existing = view.chords.find((c) => c.id === chordId) ?? null
  popoverInput(at, { label: existing === null ? 'New chord' : 'Chord', value: existing?.symbol ?? '', placeholder: 'e.g. Am7', check: checkChordSymbol }, (symbol) => {
    if (existing !== null) {
      if (symbol === '') removeChord(session.doc, existing.id, session.edit)
      else setChord(session.doc, existing.id, { symbol }, session.edit)
      return
    }
    if (symbol === '') return
    const meter = meterAt(view.meters, tick)
    const bar = barTicks(meter, view.ppq)
    const start = meter.tick + Math.floor((tick - meter.tick) / bar) * bar
    const next = view.chords.find((c) => c.tick > start)?.tick ?? Infinity
    addChord(session.doc, { tick: start, duration: Math.max(1, Math.min(bar, next - start)), symbol }, session.edit)
  })
}
