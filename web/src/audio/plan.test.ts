import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TrackView } from '../doc/schema.ts'
import { audibleTracks, clicks, notesStarting } from './plan.ts'

function track(id: string, fields: Partial<TrackView> = {}): TrackView {
  return {
    id,
    name: id,
    program: 0,
    drums: false,
    volume: 100,
    pan: 0,
    mute: false,
    solo: false,
    order: 0,
    position: [0, 0, 0],
    notes: [
      { id: `${id}1`, pitch: 60, start: 0, duration: 480, velocity: 90 },
      { id: `${id}2`, pitch: 62, start: 960, duration: 960, velocity: 80 },
    ],
    ...fields,
  }
}

test('a soloed track silences the others; mute always silences', () => {
  const tracks = [track('a'), track('b', { mute: true }), track('c', { solo: true })]
  assert.deepEqual([...audibleTracks(tracks)], ['c'])
  assert.deepEqual([...audibleTracks([track('a'), track('b', { mute: true })])], ['a'])
  assert.deepEqual([...audibleTracks([track('a', { mute: true, solo: true })])], [])
})

test('notes starting in a window, cut at the loop end', () => {
  const planned = notesStarting([track('a'), track('b', { mute: true })], 480, 1440, 1200)
  assert.deepEqual(planned, [
    { trackId: 'a', noteId: 'a2', pitch: 62, velocity: 80, start: 960, end: 1200 },
  ])
  assert.equal(notesStarting([track('a')], 0, 960).length, 1)
  assert.equal(notesStarting([track('a')], 0, 961).length, 2)
})

test('metronome clicks every beat and accents bar lines', () => {
  const meters = [
    { tick: 0, numerator: 2, denominator: 4 },
    { tick: 960, numerator: 3, denominator: 8 },
  ]
  assert.deepEqual(clicks(meters, 480, 0, 1920), [
    { tick: 0, downbeat: true },
    { tick: 480, downbeat: false },
    { tick: 960, downbeat: true },
    { tick: 1200, downbeat: false },
    { tick: 1440, downbeat: false },
    { tick: 1680, downbeat: true },
  ])
  assert.deepEqual(clicks(meters, 480, 1000, 1300), [{ tick: 1200, downbeat: false }])
})
