import assert from 'node:assert/strict'
import { test } from 'node:test'
import { audioCompensationMs, clampManual, loadManualOffset, measureLatency, noteCompensationMs, saveManualOffset } from './latency.ts'

test('notes move by the output path, audio by the output and input paths, plus the manual offset', () => {
  const context = { baseLatency: 0.005, outputLatency: 0.02 } as unknown as BaseAudioContext
  const input = { getSettings: () => ({ latency: 0.01 }) } as unknown as MediaStreamTrack
  const latency = measureLatency(context, input, 12)
  assert.deepEqual(latency, { baseMs: 5, outputMs: 20, inputMs: 10, manualMs: 12 })
  assert.equal(noteCompensationMs(latency), 37)
  assert.equal(audioCompensationMs(latency), 47)
  // What a browser does not report counts as 0: no context yet, no input, odd values.
  assert.deepEqual(measureLatency(null, null), { baseMs: 0, outputMs: 0, inputMs: 0, manualMs: 0 })
  const odd = { baseLatency: Number.NaN, outputLatency: -1 } as unknown as BaseAudioContext
  assert.equal(noteCompensationMs(measureLatency(odd, null, -30)), -30)
})

test('the manual offset is kept whole and within -500..500 ms', () => {
  const stored = new Map<string, string>()
  const storage = { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => void stored.set(k, v) }
  assert.equal(loadManualOffset(storage), 0)
  assert.equal(saveManualOffset('42.4', storage), 42)
  assert.equal(loadManualOffset(storage), 42)
  assert.equal(saveManualOffset(9999, storage), 500)
  assert.equal(saveManualOffset('-1e9', storage), -500)
  for (const bad of ['abc', '', null, undefined, Number.POSITIVE_INFINITY, {}]) assert.equal(clampManual(bad), 0)
  const broken = { getItem: () => { throw new Error('denied') } }
  assert.equal(loadManualOffset(broken), 0)
})
