import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import { createSong, readSong } from '../doc/schema.ts'
import { readClips } from './clips.ts'
import { barNumberAt, barStartAt, drawTrackId, insertAudioTrack, tickAtX } from './listen_clip.ts'

const BLOB = 'ab'.repeat(32)

function song(): { doc: Y.Doc; undo: Y.UndoManager; origin: object } {
  const doc = new Y.Doc()
  createSong(doc, { title: 't', ppq: 480, tracks: [{ name: 'Keys' }, { name: 'Stabs' }] })
  const origin = {}
  const undo = new Y.UndoManager([doc.getMap('tracks')], { trackedOrigins: new Set([origin]) })
  return { doc, undo, origin }
}

test('an upload goes in as one audio track with one clip, and one undo takes it out', () => {
  const { doc, undo, origin } = song()
  const view = readSong(doc)
  const drawn = drawTrackId()
  const id = insertAudioTrack(doc, view, { name: 'Stabs', blob: BLOB, mime: 'audio/wav', durationMs: 3200, start: 1920 }, origin, drawn.random)
  assert.equal(id, drawn.id)
  const clips = readClips(doc)
  assert.deepEqual(clips.map((c) => [c.trackId, c.blob, c.mime, c.start, c.offset, c.durationMs]), [[id, BLOB, 'audio/wav', 1920, 0, 3200]])
  const names = readSong(doc).tracks.map((t) => t.name)
  assert.deepEqual(names.slice().sort(), ['Keys', 'Stabs', 'Stabs 2'])
  undo.stopCapturing()
  undo.undo()
  assert.deepEqual(readClips(doc), [])
  assert.equal(readSong(doc).tracks.length, 2)
})

test('a bad clip is refused before anything is written', () => {
  const { doc, origin } = song()
  const view = readSong(doc)
  for (const bad of [{ blob: 'xyz' }, { start: -1 }, { start: 1.5 }, { durationMs: 0 }]) {
    const clip = { name: 'x', blob: BLOB, mime: 'audio/wav', durationMs: 1000, start: 0, ...bad }
    assert.throws(() => insertAudioTrack(doc, view, clip, origin))
  }
  assert.equal(readSong(doc).tracks.length, 2)
})

test('a drop lands at the start of the bar under the pointer', () => {
  const meters = [{ tick: 0, numerator: 4, denominator: 4 }, { tick: 3840, numerator: 3, denominator: 4 }]
  const view = { ppq: 480, meters }
  assert.equal(barStartAt(view, 0), 0)
  assert.equal(barStartAt(view, 1919), 0)
  assert.equal(barStartAt(view, 1920), 1920)
  assert.equal(barStartAt(view, 3900), 3840)
  assert.equal(barStartAt(view, 3840 + 1440 + 10), 3840 + 1440)
  assert.deepEqual([0, 1920, 3839, 3840, 5290].map((t) => barNumberAt(view, t)), [1, 2, 2, 3, 4])
  const tick = tickAtX(350, { left: 100, width: 1000 }, 32 * 1920)
  assert.equal(tick, 15_360)
  assert.equal(barStartAt(view, tick!), 15_360 - (15_360 - 3840) % 1440)
  assert.equal(tickAtX(50, { left: 100, width: 1000 }, 1920), 0)
  assert.equal(tickAtX(5000, { left: 100, width: 1000 }, 1920), 1920)
  assert.equal(tickAtX(300, { left: 100, width: 0 }, 1920), null)
  assert.equal(tickAtX(300, { left: 100, width: 1000 }, Number.NaN), null)
})
