/**
 * An uploaded loop placed in the song: a new audio track holding one clip (the document's
 * schema, docs/song-document.md, the same as a jam take's), written as one transaction of
 * the person's own origin so that their UndoManager takes it out in one step; and where a
 * loop dropped on the arrangement lands (the first tick of the bar under the pointer).
 */
import * as Y from 'yjs'
import { addTrack, ID_LENGTH, newId, songRoots, type Random, type SongView } from '../doc/schema.ts'
import { barLines, barTicks, meterAt } from '../music/time.ts'

/** A recording to place: a stem of the project (the server recorded it as one). */
export interface AudioPlacement {
  /** The new track's name (made unique among the song's tracks). */
  name: string
  /** The recording's SHA-256. */
  blob: string
  mime: string
  durationMs: number
  /** Tick where it starts sounding. */
  start: number
  /** Who placed it (a user id), when known. */
  author?: string
}

/** Longest track name the studio writes (an upload's name may be longer). */
const NAME_MAX = 80

/** A track id drawn ahead of time, and the `Random` that makes `addTrack` give the new
 * track exactly that id (so the server can be told which track a stem goes on before the
 * track exists). */
export function drawTrackId(source: () => number = Math.random): { id: string; random: Random } {
  const draws = Array.from({ length: ID_LENGTH }, () => source())
  let next = 0
  const random: Random = () => draws[next++ % ID_LENGTH]!
  const id = newId(random)
  next = 0
  return { id, random }
}

function uniqueName(name: string, song: SongView): string {
  const base = name.trim().slice(0, NAME_MAX) || 'Upload'
  const taken = new Set(song.tracks.map((t) => t.name))
  let found = base
  for (let n = 2; taken.has(found); n++) found = `${base} ${n}`
  return found
}

/**
 * Add `clip` to `doc` as a new `audio` track with one clip, in one transaction of
 * `origin`; returns the new track's id.
 *
 * @throws Error when the clip breaks the document's rules (start, duration, digest).
 */
export function insertAudioTrack(doc: Y.Doc, song: SongView, clip: AudioPlacement, origin: unknown, random?: Random): string {
  if (!/^[0-9a-f]{64}$/.test(clip.blob)) throw new Error(`blob=${clip.blob.slice(0, 70)} must be 64 lowercase hex digits`)
  if (!Number.isInteger(clip.start) || clip.start < 0) throw new Error(`start=${clip.start} must be a tick >= 0`)
  if (!(clip.durationMs > 0)) throw new Error(`duration_ms=${clip.durationMs} must be > 0`)
  let id = ''
  doc.transact(() => {
    id = addTrack(doc, { name: uniqueName(clip.name, song) }, random === undefined ? { origin } : { origin, random })
    const track = songRoots(doc).tracks.get(id) as unknown as Y.Map<unknown>
    track.set('kind', 'audio')
    const clips = new Y.Map<unknown>()
    track.set('clips', clips)
    const entry = new Y.Map<unknown>()
    clips.set(newId(), entry)
    entry.set('blob', clip.blob)
    entry.set('mime', clip.mime)
    entry.set('start', clip.start)
    entry.set('offset', 0)
    entry.set('duration_ms', clip.durationMs)
    if (clip.author !== undefined) entry.set('author', clip.author)
  }, origin)
  return id
}

/** The first tick of the bar that `tick` lies in. */
export function barStartAt(song: Pick<SongView, 'meters' | 'ppq'>, tick: number): number {
  const at = Math.max(0, Math.floor(tick))
  const meter = meterAt(song.meters, at)
  const [line] = barLines(song.meters, song.ppq, at - barTicks(meter, song.ppq) + 1, at).slice(-1)
  return line?.tick ?? 0
}

/** The number (from 1) of the bar that `tick` lies in. */
export function barNumberAt(song: Pick<SongView, 'meters' | 'ppq'>, tick: number): number {
  const start = barStartAt(song, tick)
  return barLines(song.meters, song.ppq, start, start)[0]?.bar ?? 1
}

/** The tick under `clientX` on the arrangement's lanes (`left`, `width` of the canvas in
 * pixels, `extent` ticks across it), or `null` when the geometry says nothing. */
export function tickAtX(clientX: number, box: { left: number; width: number }, extent: number): number | null {
  if (!(box.width > 0) || !(extent > 0) || !Number.isFinite(clientX)) return null
  const fraction = Math.min(1, Math.max(0, (clientX - box.left) / box.width))
  return Math.round(fraction * extent)
}
