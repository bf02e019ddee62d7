/**
 * MIDI in and out of the live song: export writes the document as it is now (its notes:
 * audio tracks are left out, as in the server's exports); import adds
 * the file's tracks (and, into an empty song, its tempo, meter and key). A large import is
 * written in several transactions so that no update exceeds the server's message cap.
 */
import type * as Y from 'yjs'
import { addNote, addTrack, readSong, setMeta, setMeter, setTempo } from '../doc/schema.ts'
import { readSmf } from '../midi/read.ts'
import { smfToSong, songToSmf, withoutAudio } from '../midi/song_midi.ts'
import { writeSmf } from '../midi/write.ts'
import { readClips } from './clips.ts'
import type { Session } from './session.ts'

/** Notes per transaction: about 60 bytes each, well under the 1 MiB message cap. */
const NOTES_PER_UPDATE = 4000

/** The song as a Standard MIDI File, as it is now: notes only (audio tracks are left out). */
export function songMidi(doc: Y.Doc): Uint8Array {
  const audio = new Set(readClips(doc).map((c) => c.trackId))
  return writeSmf(songToSmf(withoutAudio(readSong(doc), audio)))
}

export function exportMidi(session: Session): void {
  const song = readSong(session.doc)
  const bytes = songMidi(session.doc)
  const url = URL.createObjectURL(new Blob([bytes.slice().buffer], { type: 'audio/midi' }))
  const link = document.createElement('a')
  link.href = url
  link.download = `${song.title.replace(/[\\/:*?"<>|]+/g, '_').trim() || 'song'}.mid`
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** Add the tracks of a MIDI file to the song; returns their ids. */
export async function importMidi(session: Session, file: File): Promise<string[]> {
  const song = readSong(session.doc)
  const imported = smfToSong(readSmf(await file.arrayBuffer()), song.ppq)
  if (imported.tracks.length === 0) throw new Error(`${file.name} has no notes`)
  const empty = song.tracks.every((t) => t.notes.length === 0)
  const { doc, edit } = session
  const ids: string[] = []
  session.undo.stopCapturing()
  doc.transact(() => {
    if (empty) {
      for (const tempo of imported.tempos) setTempo(doc, tempo, edit)
      for (const meter of imported.meters) setMeter(doc, meter, edit)
      if (imported.key !== null) setMeta(doc, { key: imported.key }, edit)
    }
    for (const { notes: _notes, ...track } of imported.tracks) ids.push(addTrack(doc, track, edit))
  }, edit.origin)
  // The notes follow in chunks; the undo manager still makes one step of the whole import.
  const queue = imported.tracks.flatMap((track, i) => (track.notes ?? []).map((note) => ({ id: ids[i]!, note })))
  for (let first = 0; first < queue.length; first += NOTES_PER_UPDATE) {
    doc.transact(() => {
      for (const { id, note } of queue.slice(first, first + NOTES_PER_UPDATE)) addNote(doc, id, note, edit)
    }, edit.origin)
  }
  session.undo.stopCapturing()
  return ids
}
