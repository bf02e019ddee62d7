import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeJob, formatSize, isFinished, statusLine, summaryLine } from './jobs_view.ts'

test('jobs are described in musicians\' words', () => {
  assert.equal(describeJob({ kind: 'render', params: { format: 'flac', sample_rate: 48000 } }), 'Audio · FLAC 48 kHz')
  assert.equal(describeJob({ kind: 'render', params: { format: 'wav', sample_rate: 22050 } }), 'Audio · WAV 22.1 kHz')
  assert.equal(describeJob({ kind: 'master', params: { target: 'spotify' } }), 'Master · Spotify')
  assert.equal(describeJob({ kind: 'master', params: { target: 'custom', lufs: -12 } }), 'Master · -12 LUFS')
  assert.equal(describeJob({ kind: 'export-musicxml', params: { compressed: true } }), 'MusicXML (compressed .mxl)')
  assert.equal(describeJob({ kind: 'release', params: { title: 'Night Drive' } }), 'Release · Night Drive')
  assert.equal(describeJob({ kind: 'analyze', params: {} }), 'Analysis · the song')
  assert.equal(describeJob({ kind: 'analyze', params: { upload_id: 'ab'.repeat(16) } }), 'Analysis · an uploaded loop')
})

test('the status line follows the state', () => {
  const base = { progress: 0.456, message: 'Rendering 3 of 9 s', error: null, result: null }
  assert.equal(statusLine({ ...base, state: 'running' }), '46% · Rendering 3 of 9 s')
  assert.equal(statusLine({ ...base, state: 'queued' }), 'Waiting for a worker…')
  assert.equal(statusLine({ ...base, state: 'failed', error: 'song is empty' }), 'Failed: song is empty')
  const result = { name: 'a.wav', media_type: 'audio/wav', size: 3 * 1024 * 1024, url: '/x' }
  assert.equal(statusLine({ ...base, state: 'succeeded', result }), 'Ready · 3.0 MB')
  assert.equal(isFinished({ state: 'cancelled' }), true)
  assert.equal(isFinished({ state: 'running' }), false)
})

test('sizes are short', () => {
  assert.equal(formatSize(512), '512 B')
  assert.equal(formatSize(2048), '2.0 KB')
})

test('a master is judged by its loudness and true peak', () => {
  assert.equal(summaryLine({ seconds: 12.34, after_lufs: -14.02, after_true_peak_dbtp: -1.04 }), '12.3 s · -14.0 LUFS · -1.0 dBTP')
  assert.equal(summaryLine({ tracks: 2 }), '')
  assert.equal(summaryLine(null), '')
  const result = { name: 'm.zip', media_type: 'application/zip', size: 2048, url: '/x' }
  const job = { state: 'succeeded' as const, progress: 1, message: 'Done', error: null, result, summary: { seconds: 3 } }
  assert.equal(statusLine(job), 'Ready · 2.0 KB · 3.0 s')
})
