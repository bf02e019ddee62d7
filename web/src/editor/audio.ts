/**
 * Audio tracks in the editor: a track of `kind: "audio"` (a recorded take, docs/song-document.md)
 * has clips instead of notes, so the editor shows what it holds, in words, instead of an
 * empty piano roll, and its note tools stay off.
 */
import * as Y from 'yjs'
import { positionAt } from '../music/time.ts'
import type { Meter } from '../doc/schema.ts'
import { readClips } from '../studio/clips.ts'

/** One clip of an audio track, as the editor lists it. */
export interface AudioClipSummary {
  id: string
  /** The bar (from 1) where it starts sounding. */
  bar: number
  /** The recording's length as recorded, in seconds. */
  seconds: number
  /** The user id of who recorded it, when the clip says. */
  author: string | null
}

export interface AudioTrackSummary {
  trackId: string
  clips: AudioClipSummary[]
  /** The distinct authors of its clips, in clip order. */
  authors: string[]
}

/**
 * What the audio track `trackId` holds, or null when it is not an audio track (or has notes:
 * then the piano roll edits them as on any track, as the exports keep such a track).
 */
export function audioTrackSummary(
  doc: Y.Doc,
  trackId: string | null,
  song: { ppq: number; meters: readonly Meter[] },
  noteCount: number,
): AudioTrackSummary | null {
  if (trackId === null || noteCount > 0) return null
  const entry: unknown = doc.getMap<unknown>('tracks').get(trackId)
  if (!(entry instanceof Y.Map) || entry.get('kind') !== 'audio') return null
  const raw: unknown = entry.get('clips')
  const rawClips = raw instanceof Y.Map ? (raw as Y.Map<unknown>) : null
  const clips = readClips(doc)
    .filter((c) => c.trackId === trackId)
    .map((c): AudioClipSummary => {
      const fields: unknown = rawClips?.get(c.id)
      const author: unknown = fields instanceof Y.Map ? fields.get('author') : null
      return {
        id: c.id,
        bar: positionAt(song.meters, song.ppq, c.start).bar,
        seconds: c.durationMs / 1000,
        author: typeof author === 'string' && author !== '' ? author : null,
      }
    })
  const authors = [...new Set(clips.flatMap((c) => (c.author === null ? [] : [c.author])))]
  return { trackId, clips, authors }
}

/** `a`, `a and b`, `a, b and c`. */
function listOf(names: readonly string[]): string {
  if (names.length <= 1) return names.join('')
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]!}`
}

/**
 * The editor's line about an audio track: "Audio track: 2 clips, recorded by ana and ben".
 * `nameOf` turns a user id into a name (null: not known here).
 */
export function describeAudioTrack(summary: AudioTrackSummary, nameOf: (userId: string) => string | null): string {
  const count = summary.clips.length
  const what = count === 0 ? 'no clips' : `${count} clip${count === 1 ? '' : 's'}`
  const names = summary.authors.map((id) => nameOf(id) ?? 'a former member')
  const unique = [...new Set(names)]
  return `Audio track: ${what}${unique.length === 0 ? '' : `, recorded by ${listOf(unique)}`}`
}
