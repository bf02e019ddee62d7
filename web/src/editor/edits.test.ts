import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import { addTrack, createSong, readSong } from '../doc/schema.ts'
import { addNotes, clampDelta, moveNotes, quantize, removeNotes, resizeNotes, setVelocities, shifted } from './edits.ts'

function setUp(): { doc: Y.Doc; trackId: string; origin: object; undo: Y.UndoManager } {
  const doc = new Y.Doc()
  createSong(doc, { title: 'T' })
  const trackId = addTrack(doc, { name: 'Keys' })
  const origin = { local: true }
  const undo = new Y.UndoManager(doc.getMap('tracks'), { trackedOrigins: new Set([origin]) })
  return { doc, trackId, origin, undo }
}

const notes = (doc: Y.Doc) => readSong(doc).tracks[0]!.notes.map(({ id: _id, ...n }) => n)

test('deltas keep notes inside pitch and time', () => {
  const group = [
    { pitch: 120, start: 100, duration: 10, velocity: 1 },
    { pitch: 10, start: 400, duration: 10, velocity: 1 },
  ]
  assert.deepEqual(clampDelta(group, { ticks: -1000, pitch: 20 }), { ticks: -100, pitch: 7 })
  assert.deepEqual(clampDelta(group, { ticks: 5, pitch: -20 }), { ticks: 5, pitch: -10 })
})

test('edits land in one transaction each and undo per person', () => {
  const { doc, trackId, origin, undo } = setUp()
  const options = { origin }
  const ids = addNotes(doc, trackId, [
    { pitch: 60, start: 0, duration: 480, velocity: 100 },
    { pitch: 64, start: 480, duration: 480, velocity: 100 },
  ], options)
  undo.stopCapturing()
  const before = readSong(doc).tracks[0]!.notes
  moveNotes(doc, trackId, before, { ticks: 240, pitch: 2 }, options)
  assert.deepEqual(notes(doc), [
    { pitch: 62, start: 240, duration: 480, velocity: 100 },
    { pitch: 66, start: 720, duration: 480, velocity: 100 },
  ])
  undo.stopCapturing()
  resizeNotes(doc, trackId, readSong(doc).tracks[0]!.notes, -1000, 30, options)
  assert.deepEqual(notes(doc).map((n) => n.duration), [30, 30])
  undo.stopCapturing()
  setVelocities(doc, trackId, [ids[0]!], 300, options)
  assert.equal(notes(doc)[0]!.velocity, 127)
  undo.undo()
  undo.undo()
  assert.deepEqual(notes(doc).map((n) => [n.start, n.duration, n.velocity]), [[240, 480, 100], [720, 480, 100]])
  undo.undo()
  undo.undo()
  assert.deepEqual(notes(doc), [])
})

test('a drum-grid move follows rows, not semitones', () => {
  const { doc, trackId, origin } = setUp()
  addNotes(doc, trackId, [{ pitch: 42, start: 0, duration: 120, velocity: 90 }], { origin })
  moveNotes(doc, trackId, readSong(doc).tracks[0]!.notes, { ticks: 0, pitch: 1 }, { origin }, [46, 42, 38, 36])
  assert.equal(notes(doc)[0]!.pitch, 38)
})

test('remote edits are not undone by my undo', () => {
  const { doc, trackId, origin, undo } = setUp()
  addNotes(doc, trackId, [{ pitch: 60, start: 0, duration: 480, velocity: 100 }], { origin: 'remote' })
  addNotes(doc, trackId, [{ pitch: 67, start: 0, duration: 480, velocity: 100 }], { origin })
  undo.undo()
  assert.deepEqual(notes(doc).map((n) => n.pitch), [60])
})

test('quantize snaps starts and keeps ends; remove and shift work on groups', () => {
  const { doc, trackId, origin } = setUp()
  const ids = addNotes(doc, trackId, [{ pitch: 60, start: 130, duration: 400, velocity: 100 }], { origin })
  quantize(doc, trackId, readSong(doc).tracks[0]!.notes, (t) => Math.round(t / 120) * 120, { origin })
  assert.deepEqual(notes(doc)[0], { pitch: 60, start: 120, duration: 410, velocity: 100 })
  assert.deepEqual(shifted(notes(doc), -500), [{ pitch: 60, start: 0, duration: 410, velocity: 100 }])
  removeNotes(doc, trackId, ids, { origin })
  assert.deepEqual(notes(doc), [])
})
