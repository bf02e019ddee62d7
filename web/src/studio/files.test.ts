import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import { addTrack, createSong } from '../doc/schema.ts'
import { readSmf } from '../midi/read.ts'
import { smfToSong } from '../midi/song_midi.ts'
import { songMidi } from './files.ts'

const BLOB = 'cd'.repeat(32)

/** An audio track as the jam writes it (`bandmate.jam.song.add_stem_track`). */
function addTake(doc: Y.Doc, name: string): string {
  const id = addTrack(doc, { name })
  const track = doc.getMap('tracks').get(id) as Y.Map<unknown>
  track.set('kind', 'audio')
  const clips = new Y.Map<unknown>()
  track.set('clips', clips)
  const clip = new Y.Map<unknown>()
  clips.set('c1', clip)
  for (const [k, v] of Object.entries({ blob: BLOB, mime: 'audio/webm', start: 0, offset: 0, duration_ms: 2000, author: 'u1' })) clip.set(k, v)
  return id
}

test('the studio’s MIDI export leaves recorded audio tracks out', () => {
  const doc = new Y.Doc()
  createSong(doc, { title: 'Jam', ppq: 480, tracks: [{ name: 'Lead', notes: [{ pitch: 67, start: 0, duration: 480, velocity: 90 }] }] })
  addTake(doc, 'ana – voice audio')
  addTrack(doc, { name: 'Empty keys' }) // an empty note track stays, as on the server
  const smf = readSmf(songMidi(doc))
  assert.equal(smf.tracks.length, 3) // conductor, Lead, Empty keys
  const names = smf.tracks.slice(1).map((t) => t.events.find((e) => e.kind === 'name'))
  assert.deepEqual(names.map((e) => (e?.kind === 'name' ? e.text : null)), ['Lead', 'Empty keys'])
  assert.deepEqual(smfToSong(smf, 480).tracks.map((t) => t.notes?.map((n) => n.pitch)), [[67]])
})
