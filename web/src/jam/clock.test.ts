import assert from 'node:assert/strict'
import { test } from 'node:test'
import { beatsBetween, ClockFilter, estimateClock, playTime, positionAt, type ClockSample, type TransportState } from './clock.ts'

function exchange(t0: number, offset: number, up: number, down: number): ClockSample {
  const t1 = t0 + up + offset
  const t2 = t1 + 0.2
  return { t0, t1, t2, t3: t2 - offset + down }
}

/** A seeded generator (mulberry32), so the test is the same every run. */
function rng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

test('the filter finds the offset through 5 ms of jitter and queueing', () => {
  const random = rng(7)
  const filter = new ClockFilter()
  let worst = 0
  for (let i = 0; i < 200; i++) {
    const leg = () => 20 + (random() * 5 - 2.5) + (random() < 0.2 ? 5 + random() * 35 : 0)
    const sample = exchange(i * 250, 1234.5, leg(), leg())
    worst = Math.max(worst, Math.abs((sample.t1 - sample.t0 + sample.t2 - sample.t3) / 2 - 1234.5))
    filter.add(sample)
  }
  const estimate = filter.estimate!
  assert.ok(Math.abs(estimate.offsetMs - 1234.5) < 1, `offset ${estimate.offsetMs}`)
  assert.ok(estimate.rttMs > 39 && estimate.rttMs < 55, `rtt ${estimate.rttMs}`)
  assert.equal(estimate.samples, 32)
  assert.ok(worst > 5, 'single exchanges are far worse')
})

test('the lowest-delay exchanges win, impossible ones are ignored', () => {
  const slow = Array.from({ length: 6 }, () => exchange(0, 10, 50, 5))
  const fast = Array.from({ length: 2 }, () => exchange(0, 10, 5, 5))
  assert.equal(estimateClock([...slow, ...fast]).offsetMs, 10)
  const filter = new ClockFilter()
  assert.equal(filter.add({ t0: 10, t1: 0, t2: 1, t3: 5 }), null)
  assert.equal(filter.add({ t0: 0, t1: 0, t2: 0, t3: Number.NaN }), null)
})

const T: TransportState = {
  playing: true,
  segments: [
    { start: 1000, bar: -1, quarter: -4, bpm: 120, num: 4, den: 4 },
    { start: 5000, bar: 1, quarter: 4, bpm: 60, num: 3, den: 4 },
  ],
}

test('positions and beats follow the segments', () => {
  assert.deepEqual(positionAt(T, 1000), { bar: -1, beat: 0 })
  assert.deepEqual(positionAt(T, 3750), { bar: 0, beat: 1.5 })
  assert.deepEqual(positionAt(T, 6000), { bar: 1, beat: 1 })
  const beats = beatsBetween(T, 4400, 8100)
  assert.deepEqual(
    beats.map((b) => [b.at, b.downbeat, b.bar]),
    [
      [4500, false, 0],
      [5000, true, 1],
      [6000, false, 1],
      [7000, false, 1],
      [8000, true, 2],
    ],
  )
  assert.deepEqual(beatsBetween({ ...T, playing: false }, 0, 10_000), [])
})

test('remote events play after the play-out delay, or one bar late in interval mode', () => {
  assert.equal(playTime(T, 3000, 'live', 35), 3035)
  assert.equal(playTime(T, 3000, 'interval', 35), 5000)
  assert.equal(playTime(T, 6000, 'interval', 35), 9000)
})
