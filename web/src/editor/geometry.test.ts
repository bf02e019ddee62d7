import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  drumRows,
  gridTop,
  hitNote,
  noteRect,
  notesInBox,
  PIANO_ROWS,
  pitchAtY,
  regionAt,
  tickToX,
  velocityAtY,
  xToTick,
  type Viewport,
} from './geometry.ts'

const V: Viewport = {
  width: 1000,
  height: 600,
  keysWidth: 60,
  rowHeight: 10,
  rows: PIANO_ROWS,
  pxPerTick: 0.1,
  scrollTick: 480,
  scrollY: 600, // 60 rows down: the top row is pitch 67
}

const NOTES = [
  { id: 'a', pitch: 67, start: 480, duration: 480, velocity: 100 },
  { id: 'b', pitch: 66, start: 960, duration: 960, velocity: 50 },
]

test('ticks and x convert both ways', () => {
  assert.equal(tickToX(V, 480), 60)
  assert.equal(tickToX(V, 1480), 160)
  assert.equal(xToTick(V, tickToX(V, 1234)), 1234)
})

test('rows map to pitches from the top, scrolled', () => {
  assert.equal(pitchAtY(V, gridTop), 67)
  assert.equal(pitchAtY(V, gridTop + 15), 66)
  assert.equal(pitchAtY(V, gridTop - 1000), null)
})

test('regions split the canvas', () => {
  assert.equal(regionAt(V, 10, 5), 'corner')
  assert.equal(regionAt(V, 100, 5), 'ruler')
  assert.equal(regionAt(V, 100, 30), 'chords')
  assert.equal(regionAt(V, 10, 200), 'keys')
  assert.equal(regionAt(V, 100, 200), 'grid')
  assert.equal(regionAt(V, 100, 590), 'velocity')
})

test('hit-testing finds bodies and resize grips', () => {
  const r = noteRect(V, NOTES[0]!)!
  assert.deepEqual(r, { x: 60, y: gridTop, w: 48, h: 10 })
  assert.deepEqual(hitNote(V, NOTES, 70, gridTop + 5), { id: 'a', part: 'body' })
  assert.deepEqual(hitNote(V, NOTES, 106, gridTop + 5), { id: 'a', part: 'end' })
  assert.equal(hitNote(V, NOTES, 120, gridTop + 5), null)
  assert.deepEqual(hitNote(V, NOTES, 150, gridTop + 12), { id: 'b', part: 'body' })
})

test('box selection takes every note it touches', () => {
  assert.deepEqual(notesInBox(V, NOTES, { x: 100, y: gridTop }, { x: 120, y: gridTop + 20 }), ['a', 'b'])
  assert.deepEqual(notesInBox(V, NOTES, { x: 130, y: gridTop }, { x: 140, y: gridTop + 5 }), [])
})

test('the velocity lane maps height to 1..127', () => {
  assert.equal(velocityAtY(V, 600), 1)
  assert.equal(velocityAtY(V, 600 - 72), 127)
})

test('drum rows keep the kit and add the keys a track uses', () => {
  assert.deepEqual(drumRows([42, 38, 36], [36, 81, 60, 81]), [81, 60, 42, 38, 36])
})
