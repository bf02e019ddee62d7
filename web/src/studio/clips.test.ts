import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import { readClips, waveformPeaks } from './clips.ts'

const BLOB = 'ab'.repeat(32)

function audioTrack(doc: Y.Doc, id: string, clips: Record<string, Record<string, unknown>>): void {
  const track = new Y.Map<unknown>()
  doc.getMap('tracks').set(id, track)
  track.set('kind', 'audio')
  const map = new Y.Map<unknown>()
  track.set('clips', map)
  for (const [key, fields] of Object.entries(clips)) {
    const entry = new Y.Map<unknown>()
    map.set(key, entry)
    for (const [k, v] of Object.entries(fields)) entry.set(k, v)
  }
}

test('readClips reads well-formed clips of audio tracks and skips the rest', () => {
  const doc = new Y.Doc()
  const good = { blob: BLOB, mime: 'audio/webm', start: 960, offset: 0, duration_ms: 1500, author: 'u' }
  audioTrack(doc, 'T1', { c2: good, c1: { ...good, start: 0, offset: 240 }, bad: { ...good, blob: '../x' } })
  audioTrack(doc, 'T2', { neg: { ...good, start: -1 }, nodur: { ...good, duration_ms: 0 } })
  doc.getMap('tracks').set('T3', new Y.Map())
  assert.deepEqual(readClips(doc), [
    { id: 'c1', trackId: 'T1', blob: BLOB, mime: 'audio/webm', start: 0, offset: 240, durationMs: 1500 },
    { id: 'c2', trackId: 'T1', blob: BLOB, mime: 'audio/webm', start: 960, offset: 0, durationMs: 1500 },
  ])
})

test('waveformPeaks keeps each span’s lowest and highest sample over all channels', () => {
  const left = Float32Array.from([0, 0.5, -0.25, 0, 0.1, -0.9])
  const right = Float32Array.from([0, -0.75, 0, 0, 0.2, 0])
  assert.deepEqual([...waveformPeaks([left, right], 2)], [-0.75, 0.5, -0.8999999761581421, 0.20000000298023224])
})
