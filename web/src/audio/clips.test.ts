import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TrackView } from '../doc/schema.ts'
import { clipsStarting, skippedSeconds, volumeGain, type ClipSound } from './clips.ts'

const PPQ = 480
const TEMPOS = [{ tick: 0, bpm: 120 }] // a quarter is 0.5 s

function track(id: string, fields: Partial<TrackView> = {}): TrackView {
  return { id, name: id, program: 0, drums: false, volume: 100, pan: 0, mute: false, solo: false, order: 0, position: [0, 0, 0], notes: [], ...fields }
}

function clip(id: string, start: number, seconds: number, offset = 0, trackId = 'a'): ClipSound {
  return { id, trackId, start, offset, buffer: { duration: seconds } }
}

test('clips start in the window they begin in, with their offset skipped', () => {
  const clips = [clip('c1', 960, 2), clip('c2', 1920, 1, 480)]
  const starts = clipsStarting(clips, [track('a')], TEMPOS, PPQ, 0, 1000, false)
  assert.deepEqual(
    starts.map((s) => [s.clip.id, s.tick, s.offsetS, s.endTick]),
    [['c1', 960, 0, 960 + 4 * PPQ]],
  )
  const later = clipsStarting(clips, [track('a')], TEMPOS, PPQ, 1000, 2000, false)
  // 480 ticks skipped = 0.5 s of its 1 s: it sounds for 0.5 s (one quarter) from tick 1920.
  assert.deepEqual(later.map((s) => [s.clip.id, s.tick, s.offsetS, s.endTick]), [['c2', 1920, 0.5, 1920 + PPQ]])
  assert.equal(skippedSeconds(TEMPOS, PPQ, clips[1]!), 0.5)
})

test('playing from inside a clip starts it part-way in, only on a new segment', () => {
  const clips = [clip('c1', 0, 4)]
  const resumed = clipsStarting(clips, [track('a')], TEMPOS, PPQ, 960, 1100, true)
  assert.deepEqual(resumed.map((s) => [s.tick, s.offsetS]), [[960, 1]])
  assert.deepEqual(clipsStarting(clips, [track('a')], TEMPOS, PPQ, 960, 1100, false), [])
  // Past its end there is nothing to resume.
  assert.deepEqual(clipsStarting(clips, [track('a')], TEMPOS, PPQ, 8 * PPQ, 9 * PPQ, true), [])
})

test('muted tracks and tracks outside a solo are silent', () => {
  const clips = [clip('c1', 0, 1, 0, 'a'), clip('c2', 0, 1, 0, 'b')]
  const ids = (tracks: TrackView[]): string[] => clipsStarting(clips, tracks, TEMPOS, PPQ, 0, 10, false).map((s) => s.clip.id)
  assert.deepEqual(ids([track('a'), track('b')]), ['c1', 'c2'])
  assert.deepEqual(ids([track('a', { mute: true }), track('b')]), ['c2'])
  assert.deepEqual(ids([track('a'), track('b', { solo: true })]), ['c2'])
  assert.equal(volumeGain(127), 1)
  assert.equal(volumeGain(0), 0)
  assert.ok(Math.abs(volumeGain(90) - (90 / 127) ** 2) < 1e-12)
})
