/**
 * The studio's keyboard: transport, tools, and edits of the selected notes. Shortcuts do
 * nothing while the focus is in a text field.
 */
import type { Note } from '../doc/schema.ts'
import { addNotes, clampDelta, moveNotes, quantize, removeNotes, shifted, span } from '../editor/edits.ts'
import { GRIDS, gridTicks, snapTick } from '../music/time.ts'
import { typingInto } from '../ui/dom.ts'
import type { Session } from './session.ts'
import type { SongModel } from './song.ts'
import type { StudioStore } from './state.ts'

export interface ShortcutTargets {
  session: Session
  song: SongModel
  store: StudioStore
  togglePlay: () => void
  stop: () => void
  /** The selected chord of the chord lane, if any, and how to remove it. */
  chord: () => string | null
  removeChord: (id: string) => void
  /** The selected section of the section lane, if any, and how to remove it. */
  section: () => string | null
  removeSection: () => void
  /** Drop the chord and section selections (Escape clears every selection). */
  deselect: () => void
  select: (ids: Iterable<string>) => void
  /** Whether the open track is an audio track (clips, no notes): no notes are pasted there. */
  audioTrack: () => boolean
}

export const SHORTCUTS: readonly [string, string][] = [
  ['Space', 'Play / stop'],
  ['Enter', 'Stop and go back to the start'],
  ['D / S', 'Draw / select tool'],
  ['L', 'Loop on or off'],
  ['M', 'Metronome on or off'],
  ['Ctrl+Z / Ctrl+Shift+Z', 'Undo / redo your own edits'],
  ['Delete', 'Delete the selection (notes, chord or section)'],
  ['Ctrl+A / Esc', 'Select all / nothing'],
  ['↑ ↓ (Shift: octave)', 'Transpose the selection'],
  ['← → ', 'Move the selection by one grid step'],
  ['Ctrl+D', 'Duplicate the selection after itself'],
  ['Ctrl+C / Ctrl+V', 'Copy / paste at the play head'],
  ['Q', 'Quantize the selection to the grid'],
  ['+ / −', 'Zoom in / out'],
]

export function installShortcuts(t: ShortcutTargets): () => void {
  let clipboard: Note[] = []

  const handler = (e: KeyboardEvent): void => {
    if (typingInto(e.target) || e.defaultPrevented) return
    if (document.querySelector('dialog[open], .popover') !== null) return
    const state = t.store.get()
    const song = t.song.get()
    const track = t.song.track(state.trackId)
    const { doc, edit, canEdit, undo } = t.session
    const mod = e.ctrlKey || e.metaKey
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key
    const selected = track?.notes.filter((n) => state.selection.has(n.id)) ?? []
    const step = gridTicks(GRIDS[state.grid] ?? GRIDS[4]!, song?.ppq ?? 480)
    let handled = true
    if (key === ' ') t.togglePlay()
    else if (key === 'Enter') t.stop()
    else if (mod && key === 'z' && canEdit) {
      if (e.shiftKey) undo.redo()
      else undo.undo()
    } else if (mod && key === 'y' && canEdit) undo.redo()
    else if (mod && key === 'a' && track !== null) t.select(track.notes.map((n) => n.id))
    else if (key === 'Escape') {
      t.select([])
      t.deselect()
    }
    else if (mod && key === 'c') clipboard = selected.map(({ id: _id, ...n }) => n)
    else if (mod && key === 'v' && canEdit && track !== null && clipboard.length > 0 && !t.audioTrack()) {
      const at = snapTick(state.playhead, step, song?.meters ?? [], 'floor')
      t.select(addNotes(doc, track.id, shifted(clipboard, at - span(clipboard).start), edit))
    } else if (mod && key === 'd' && canEdit && track !== null && selected.length > 0) {
      const range = span(selected)
      const length = Math.max(step, Math.ceil((range.end - range.start) / step) * step)
      t.select(addNotes(doc, track.id, shifted(selected, length), edit))
    } else if (mod) handled = false
    else if (key === 'd') t.store.set({ tool: 'draw' })
    else if (key === 's') t.store.set({ tool: 'select' })
    else if (key === 'l') t.store.set({ loop: { ...state.loop, enabled: !state.loop.enabled } })
    else if (key === 'm') t.store.set({ metronome: !state.metronome })
    else if (key === '+' || key === '=') t.store.set({ zoom: Math.min(800, state.zoom * 1.25) })
    else if (key === '-') t.store.set({ zoom: Math.max(4, state.zoom / 1.25) })
    else if ((key === 'Delete' || key === 'Backspace') && canEdit) {
      const chord = t.chord()
      if (chord !== null) t.removeChord(chord)
      else if (t.section() !== null) t.removeSection()
      else if (track !== null && selected.length > 0) {
        removeNotes(doc, track.id, selected.map((n) => n.id), edit)
        t.select([])
      }
    } else if (key === 'q' && canEdit && track !== null && selected.length > 0) {
      quantize(doc, track.id, selected, (tick) => snapTick(tick, step, song?.meters ?? []), edit)
    } else if (key.startsWith('Arrow') && canEdit && track !== null && selected.length > 0) {
      // Up and down transpose (not on a drum grid, where rows are instruments).
      const semitones = track.drums ? 0 : e.shiftKey ? 12 : 1
      const delta = {
        ArrowUp: { ticks: 0, pitch: semitones },
        ArrowDown: { ticks: 0, pitch: -semitones },
        ArrowLeft: { ticks: -step, pitch: 0 },
        ArrowRight: { ticks: step, pitch: 0 },
      }[key]
      if (delta === undefined) handled = false
      else {
        undo.stopCapturing()
        moveNotes(doc, track.id, selected, clampDelta(selected, delta), edit)
      }
    } else handled = false
    if (handled) e.preventDefault()
  }
  window.addEventListener('keydown', handler)
  return () => window.removeEventListener('keydown', handler)
}
