import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  barLines,
  barLinesAround,
  formatPosition,
  gridTicks,
  GRIDS,
  positionAt,
  secondsToTick,
  snapTick,
  tickToSeconds,
} from './time.ts'

const PPQ = 480
const TEMPOS = [
  { tick: 0, bpm: 120 },
  { tick: 1920, bpm: 60 },
]

test('ticks convert to seconds through tempo changes', () => {
  assert.equal(tickToSeconds(TEMPOS, PPQ, 0), 0)
  assert.equal(tickToSeconds(TEMPOS, PPQ, 480), 0.5)
  assert.equal(tickToSeconds(TEMPOS, PPQ, 1920), 2)
  assert.equal(tickToSeconds(TEMPOS, PPQ, 2400), 3)
})

test('seconds convert back to the same ticks', () => {
  for (const tick of [0, 1, 479, 1920, 2400, 100_000]) {
    const seconds = tickToSeconds(TEMPOS, PPQ, tick)
    assert.ok(Math.abs(secondsToTick(TEMPOS, PPQ, seconds) - tick) < 1e-6, `tick ${tick}`)
  }
})

test('bar lines follow meter changes and count bars from 1', () => {
  const meters = [
    { tick: 0, numerator: 4, denominator: 4 },
    { tick: 3840, numerator: 3, denominator: 4 },
  ]
  const lines = barLines(meters, PPQ, 0, 6720)
  assert.deepEqual(
    lines.map((l) => [l.tick, l.bar]),
    [
      [0, 1],
      [1920, 2],
      [3840, 3],
      [5280, 4],
      [6720, 5],
    ],
  )
  assert.deepEqual(
    barLines(meters, PPQ, 5000, 6000).map((l) => l.bar),
    [4],
  )
})

test('a meter change in the middle of a bar starts a new bar', () => {
  const meters = [
    { tick: 0, numerator: 4, denominator: 4 },
    { tick: 960, numerator: 6, denominator: 8 },
  ]
  assert.deepEqual(
    barLines(meters, PPQ, 0, 2400).map((l) => [l.tick, l.bar]),
    [
      [0, 1],
      [960, 2],
      [2400, 3],
    ],
  )
})

test('positions read bar.beat.tick', () => {
  const meters = [{ tick: 0, numerator: 3, denominator: 4 }]
  assert.equal(formatPosition(positionAt(meters, PPQ, 0)), '1.1.000')
  assert.equal(formatPosition(positionAt(meters, PPQ, 1440 + 480 + 120)), '2.2.120')
})

test('snapping counts grid steps from the meter change', () => {
  const step = gridTicks(GRIDS.find((g) => g.label === '1/4')!, PPQ)
  assert.equal(step, 480)
  assert.equal(snapTick(250, step), 480)
  assert.equal(snapTick(230, step), 0)
  assert.equal(snapTick(470, step, [], 'floor'), 0)
  const meters = [
    { tick: 0, numerator: 4, denominator: 4 },
    { tick: 100, numerator: 4, denominator: 4 },
  ]
  assert.equal(snapTick(590, step, meters), 580)
  assert.equal(snapTick(37, 1), 37)
  assert.equal(snapTick(-30, step), 0)
})

test('bar lines every n bars keep their numbers across meter changes', () => {
  const meters = [
    { tick: 0, numerator: 4, denominator: 4 },
    { tick: 1920 * 5, numerator: 3, denominator: 4 },
  ]
  const all = barLines(meters, PPQ, 0, 1920 * 5 + 1440 * 10)
  const every3 = barLines(meters, PPQ, 0, 1920 * 5 + 1440 * 10, 3)
  assert.deepEqual(
    every3.map((b) => b.bar),
    all.filter((b) => (b.bar - 1) % 3 === 0).map((b) => b.bar),
  )
  assert.deepEqual(
    every3.map((b) => b.tick),
    all.filter((b) => (b.bar - 1) % 3 === 0).map((b) => b.tick),
  )
  assert.deepEqual(
    barLines(meters, PPQ, 1920 * 2, 1920 * 5 + 1440 * 10, 4).map((b) => b.bar),
    [5, 9, 13],
  )
})

test('an overview of 2^53 ticks asks for a bounded number of bar lines', () => {
  const end = Number.MAX_SAFE_INTEGER
  const every = Math.ceil(end / 1920 / 500)
  const lines = barLines([{ tick: 0, numerator: 4, denominator: 4 }], PPQ, 0, end, every)
  assert.ok(lines.length <= 501 && lines.length >= 499, `${lines.length} lines`)
  assert.equal(lines[0]!.bar, 1)
  assert.equal(lines[1]!.bar, 1 + every)
})

test('bar lines around a range start with the bar that holds its start, however far', () => {
  const meters = [
    { tick: 0, numerator: 4, denominator: 4 },
    { tick: 1920 * 2, numerator: 3, denominator: 4 },
  ]
  assert.deepEqual(
    barLinesAround(meters, PPQ, 1920 * 2 + 1500, 1920 * 2 + 1440 * 2).map((b) => [b.bar, b.tick]),
    [
      [4, 1920 * 2 + 1440],
      [5, 1920 * 2 + 1440 * 2],
    ],
  )
  assert.deepEqual(
    barLinesAround(meters, PPQ, 100, 1920).map((b) => b.bar),
    [1, 2],
  )
  const far = 1440 * 2 ** 40 // a view scrolled to a tick near 2^50
  const lines = barLinesAround(meters, PPQ, far + 700, far + 1440 * 3)
  // 3/4 bars from tick 3,840: the one holding far + 700 starts at far - 480.
  assert.deepEqual(
    lines.map((b) => b.tick - far),
    [-480, 960, 2400, 3840],
  )
  assert.equal(lines[0]!.bar, 3 + (far - 480 - 1920 * 2) / 1440)
})
