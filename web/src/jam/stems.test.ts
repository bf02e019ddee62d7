import assert from 'node:assert/strict'
import { test } from 'node:test'
import { newUploadId, partRanges, quarterAt } from './stems.ts'

test('a stem is cut into parts under the cap, covering every byte once', () => {
  assert.deepEqual(partRanges(0), [])
  assert.deepEqual(partRanges(10, 4), [
    [0, 4],
    [4, 8],
    [8, 10],
  ])
  assert.deepEqual(partRanges(8, 4), [
    [0, 4],
    [4, 8],
  ])
})

test('quarter notes since bar 0 follow the tempo segments', () => {
  const transport = {
    playing: true,
    segments: [
      { start: 10_000, bar: -1, quarter: -4, bpm: 120, num: 4, den: 4 },
      { start: 14_000, bar: 1, quarter: 4, bpm: 60, num: 4, den: 4 },
    ],
  }
  assert.equal(quarterAt(transport, 10_000), -4) // the count-in bar
  assert.equal(quarterAt(transport, 12_000), 0) // bar 0
  assert.equal(quarterAt(transport, 13_000), 2)
  assert.equal(quarterAt(transport, 16_000), 6) // 60 bpm: a quarter a second
})

test('upload ids are what the server accepts', () => {
  const id = newUploadId()
  assert.match(id, /^[A-Za-z0-9_-]{8,64}$/)
  assert.notEqual(id, newUploadId())
})
