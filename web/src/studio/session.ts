/**
 * One open song: the Yjs document, kept in IndexedDB (so edits survive reloads and work
 * offline) and synced with the server over y-websocket; the per-person undo manager; and
 * the awareness that carries presence.
 */
import { IndexeddbPersistence } from 'y-indexeddb'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import type { User } from '../api/client.ts'
import { songRoots, type Options } from '../doc/schema.ts'
import { Connection, FINAL_CLOSE_CODES, SendCounter } from './connection.ts'

/** The WebSocket base URL of this server's sync endpoint (`/api/projects/{id}/sync`). */
export function syncBaseUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/api/projects`
}

export class Session {
  readonly doc = new Y.Doc()
  /** The origin of this person's transactions: what their undo manager tracks. */
  readonly origin = { local: true }
  readonly edit: Options = { origin: this.origin }
  readonly provider: WebsocketProvider
  readonly local: IndexeddbPersistence
  readonly undo: Y.UndoManager
  readonly connection: Connection
  /** Resolves once the local copy is loaded (the song may still be empty). */
  readonly loaded: Promise<void>

  constructor(
    readonly projectId: string,
    readonly user: User,
    readonly canEdit: boolean,
  ) {
    // Per user and project: two people sharing a browser never mix their offline edits.
    this.local = new IndexeddbPersistence(`bandmate:${user.id}:${projectId}`, this.doc)
    this.loaded = this.local.whenSynced.then(() => undefined)
    const counter = new SendCounter()
    this.provider = new WebsocketProvider(syncBaseUrl(location), `${encodeURIComponent(projectId)}/sync`, this.doc, {
      connect: navigator.onLine,
      // ?ack=1 asks the server to acknowledge each update once it is committed (type 100).
      params: { ack: '1' },
      WebSocketPolyfill: counter.socketClass(),
      maxBackoffTime: 5000,
      shouldReconnect: (event) => !FINAL_CLOSE_CODES.has(event.code),
    })
    this.connection = new Connection(this.provider, counter, `bandmate:unsaved:${user.id}:${projectId}`)
    // Registered after the provider's own listener, so the update is already sent (and
    // counted) when the connection hears of the edit.
    this.doc.on('update', (_update: Uint8Array, origin: unknown) => {
      if (origin !== this.provider && origin !== this.local) this.connection.edited()
    })
    const roots = songRoots(this.doc)
    this.undo = new Y.UndoManager(
      [roots.meta, roots.tempos, roots.meters, roots.tracks, roots.chords, roots.sections],
      { trackedOrigins: new Set([this.origin]), captureTimeout: 400 },
    )
  }

  /** Whether the document holds a song (the server or the local copy delivered one). */
  hasSong(): boolean {
    return typeof songRoots(this.doc).meta.get('schema') === 'number'
  }

  /** Run edits as one undo step, tagged as this person's. */
  transact(edit: () => void): void {
    this.doc.transact(edit, this.origin)
  }

  destroy(): void {
    this.connection.destroy()
    this.undo.destroy()
    this.provider.destroy()
    void this.local.destroy()
    this.doc.destroy()
  }
}
