import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import { addNote, addTrack, createSong, readSong } from '../doc/schema.ts'
import { audioTrackSummary, describeAudioTrack } from './audio.ts'

const BLOB = 'ef'.repeat(32)

function addTake(doc: Y.Doc, clips: Record<string, Record<string, unknown>>): string {
  const id = addTrack(doc, { name: 'take' })
  const track = doc.getMap('tracks').get(id) as Y.Map<unknown>
  track.set('kind', 'audio')
  const map = new Y.Map<unknown>()
  track.set('clips', map)
  for (const [key, fields] of Object.entries(clips)) {
    const clip = new Y.Map<unknown>()
    map.set(key, clip)
    for (const [k, v] of Object.entries({ blob: BLOB, mime: 'audio/webm', start: 0, offset: 0, duration_ms: 1000, ...fields })) clip.set(k, v)
  }
  return id
}

function summary(doc: Y.Doc, id: string | null) {
  const song = readSong(doc)
  return audioTrackSummary(doc, id, song, song.tracks.find((t) => t.id === id)?.notes.length ?? 0)
}

test('an audio track is summarized by its clips, bars and recorders', () => {
  const doc = new Y.Doc()
  createSong(doc, { title: 'Jam', ppq: 480, meters: [{ tick: 0, numerator: 3, denominator: 4 }], tracks: [{ name: 'Keys' }] })
  const take = addTake(doc, {
    b: { start: 2880, author: 'u2', duration_ms: 2500 }, // bar 3 of 3/4
    a: { start: 0, author: 'u1' },
    c: { start: 1440, author: 'u1' },
    bad: { blob: 'not a digest' }, // malformed: skipped, as everywhere in the studio
  })
  const found = summary(doc, take)
  assert.ok(found !== null)
  assert.deepEqual(found.clips.map((c) => [c.id, c.bar, c.seconds, c.author]), [['a', 1, 1, 'u1'], ['c', 2, 1, 'u1'], ['b', 3, 2.5, 'u2']])
  assert.deepEqual(found.authors, ['u1', 'u2'])
  const names: Record<string, string> = { u1: 'ana' }
  assert.equal(describeAudioTrack(found, (id) => names[id] ?? null), 'Audio track: 3 clips, recorded by ana and a former member')
  names.u2 = 'ben'
  assert.equal(describeAudioTrack(found, (id) => names[id] ?? null), 'Audio track: 3 clips, recorded by ana and ben')
  const keys = readSong(doc).tracks.find((t) => t.name === 'Keys')!
  assert.equal(summary(doc, keys.id), null) // a note track opens the piano roll
  assert.equal(summary(doc, null), null)
  assert.equal(summary(doc, 'no such track'), null)
})

test('one clip, no author; an audio track with notes is edited as notes', () => {
  const doc = new Y.Doc()
  createSong(doc, { title: 'Jam', ppq: 480 })
  const take = addTake(doc, { only: {} })
  const found = summary(doc, take)!
  assert.equal(describeAudioTrack(found, () => null), 'Audio track: 1 clip')
  addNote(doc, take, { pitch: 60, start: 0, duration: 480, velocity: 90 })
  assert.equal(summary(doc, take), null)
})
