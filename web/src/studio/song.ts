/**
 * The song as the views read it: `readSong` of the document, recomputed once per change
 * and shared. A document that breaks the schema for a moment (an update that arrived
 * before the one it builds on) keeps the last good reading.
 */
import type * as Y from 'yjs'
import { readSong, type SongView, type TrackView } from '../doc/schema.ts'

export class SongModel {
  private view: SongView | null = null
  private stale = true
  private readonly listeners = new Set<() => void>()
  /** The schema error of the current document state, if it has one. */
  error: string | null = null

  constructor(private readonly doc: Y.Doc) {
    doc.on('update', () => {
      this.stale = true
      for (const listener of this.listeners) listener()
    })
  }

  /** The current song, or null while the document holds none. */
  get(): SongView | null {
    if (this.stale) {
      this.stale = false
      try {
        this.view = readSong(this.doc)
        this.error = null
      } catch (error) {
        this.error = error instanceof Error ? error.message : String(error)
      }
    }
    return this.view
  }

  track(id: string | null): TrackView | null {
    if (id === null) return null
    return this.get()?.tracks.find((t) => t.id === id) ?? null
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
