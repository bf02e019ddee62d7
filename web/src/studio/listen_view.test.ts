import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AnalysisSummary } from './listen_api.ts'
import { chordLine, describeAnalysis, repeatsFor, timeScale } from './listen_view.ts'

const summary: AnalysisSummary = {
  source: 'song',
  key: 'D major',
  key_confidence: 0.8,
  bpm: 100,
  meter: '4/4',
  seconds: 9.6,
  chords: ['D', 'D', 'G', 'A', 'D'].map((symbol, i) => ({ symbol, start: i * 2.4 })),
  mood: { valence: 0.4, arousal: 0.1, label: 'happy' },
}

test('an analysis reads as one line', () => {
  assert.equal(describeAnalysis(summary), 'D major · 100 bpm · 4/4 · happy')
  assert.equal(describeAnalysis({ ...summary, key: null, bpm: null }), 'no key · no steady tempo · 4/4 · happy')
  assert.equal(describeAnalysis({ ...summary, bpm: 99.96 }), 'D major · 100 bpm · 4/4 · happy')
})

test('chords are listed once per change, cut after the maximum', () => {
  assert.equal(chordLine(summary), 'D G A D')
  assert.equal(chordLine(summary, 2), 'D G …')
  assert.equal(chordLine({ ...summary, chords: [] }), '')
})

test('half- and double-time fits scale the loop, and it fills about four bars', () => {
  assert.equal(timeScale({ tempo_relation: 'half-time' }), '2')
  assert.equal(timeScale({ tempo_relation: 'double-time' }), '0.5')
  assert.equal(timeScale({ tempo_relation: 'equal' }), '1')
  assert.equal(timeScale({ tempo_relation: 'free' }), '1')
  assert.equal(repeatsFor(2, '1'), 2)
  assert.equal(repeatsFor(4, '1'), 1)
  assert.equal(repeatsFor(4, '2'), 1)
  assert.equal(repeatsFor(2, '0.5'), 4)
})
