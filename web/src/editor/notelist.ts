/**
 * The open track's notes as a list for screen readers (and for tests): the canvas shows
 * them, this says them. Updated only when the notes or the selection change.
 */
import type { Note, TrackView, WithId } from '../doc/schema.ts'
import { drumName } from '../music/gm.ts'
import { pitchName } from '../music/pitch.ts'

/** Past this many notes the list names only the count (a screen reader cannot use more). */
const MAX_LISTED = 2000

export class NoteList {
  readonly element: HTMLUListElement
  private signature = ''

  constructor() {
    this.element = document.createElement('ul')
    this.element.className = 'sr-only note-list'
    this.element.setAttribute('aria-label', 'Notes of the open track')
  }

  update(track: TrackView | null, selection: ReadonlySet<string>, drums: boolean): void {
    const notes: readonly WithId<Note>[] = track?.notes ?? []
    const signature = `${track?.id}|${notes.map((n) => `${n.id}:${n.pitch}:${n.start}:${n.duration}:${n.velocity}`).join(',')}|${[...selection].join(',')}`
    if (signature === this.signature) return
    this.signature = signature
    this.element.dataset.count = String(notes.length)
    const items = notes.slice(0, MAX_LISTED).map((note) => {
      const li = document.createElement('li')
      li.dataset.noteId = note.id
      li.dataset.pitch = String(note.pitch)
      li.dataset.start = String(note.start)
      li.dataset.duration = String(note.duration)
      li.dataset.velocity = String(note.velocity)
      if (selection.has(note.id)) li.setAttribute('aria-selected', 'true')
      const name = drums ? drumName(note.pitch) : pitchName(note.pitch)
      li.textContent = `${name} at tick ${note.start}, ${note.duration} ticks long, velocity ${note.velocity}`
      return li
    })
    if (notes.length > MAX_LISTED) {
      const more = document.createElement('li')
      more.textContent = `and ${notes.length - MAX_LISTED} more notes`
      items.push(more)
    }
    this.element.replaceChildren(...items)
  }
}
