/**
 * Musical time: ticks to seconds through a tempo map, bars and beats through meter changes,
 * and snapping to a grid. Pure functions over the song's tempos and meters (as `readSong`
 * returns them: sorted by tick, one per tick, the first at tick 0).
 */
import type { Meter, Tempo } from '../doc/schema.ts'

/** Seconds at `tick`, following every tempo change before it. */
export function tickToSeconds(tempos: readonly Tempo[], ppq: number, tick: number): number {
  let seconds = 0
  for (let i = 0; i < tempos.length; i++) {
    const here = tempos[i]!
    const next = tempos[i + 1]
    const end = next === undefined ? tick : Math.min(tick, next.tick)
    if (end <= here.tick) break
    seconds += ((end - here.tick) * 60) / (here.bpm * ppq)
  }
  return seconds
}

/** The tick (fractional) heard `seconds` after the start: the inverse of `tickToSeconds`. */
export function secondsToTick(tempos: readonly Tempo[], ppq: number, seconds: number): number {
  let elapsed = 0
  for (let i = 0; i < tempos.length; i++) {
    const here = tempos[i]!
    const next = tempos[i + 1]
    const span = next === undefined ? Infinity : ((next.tick - here.tick) * 60) / (here.bpm * ppq)
    if (seconds <= elapsed + span) return here.tick + ((seconds - elapsed) * here.bpm * ppq) / 60
    elapsed += span
  }
  return 0
}

/** The tempo (bpm) in force at `tick`. */
export function tempoAt(tempos: readonly Tempo[], tick: number): number {
  let bpm = tempos[0]?.bpm ?? 120
  for (const tempo of tempos) if (tempo.tick <= tick) bpm = tempo.bpm
  return bpm
}

/** Ticks in one beat of `meter` (a quarter note is `ppq`). */
export function beatTicks(meter: Meter, ppq: number): number {
  return (ppq * 4) / meter.denominator
}

/** Ticks in one bar of `meter`. */
export function barTicks(meter: Meter, ppq: number): number {
  return meter.numerator * beatTicks(meter, ppq)
}

/** The meter in force at `tick` and the index of its change. */
export function meterAt(meters: readonly Meter[], tick: number): Meter {
  let found = meters[0] ?? { tick: 0, numerator: 4, denominator: 4 }
  for (const meter of meters) if (meter.tick <= tick) found = meter
  return found
}

export interface BarLine {
  /** Where the bar starts. */
  tick: number
  /** The bar's number, counting from 1. */
  bar: number
  meter: Meter
}

/**
 * The bar lines from `from` to `to` (inclusive of a bar starting at `from`).
 * A meter change starts a new bar even where the previous bar was not full.
 * With `every` above 1, only bars numbered 1, 1 + every, 1 + 2 × every, … (what an overview
 * too narrow for every bar labels): the work is then proportional to what is returned, even
 * for a range of 2^53 ticks.
 */
export function barLines(meters: readonly Meter[], ppq: number, from: number, to: number, every = 1): BarLine[] {
  const lines: BarLine[] = []
  let bar = 1
  const changes = meters.length > 0 ? meters : [{ tick: 0, numerator: 4, denominator: 4 }]
  for (let i = 0; i < changes.length; i++) {
    const meter = changes[i]!
    const end = changes[i + 1]?.tick ?? Infinity
    const length = barTicks(meter, ppq)
    const count = Math.ceil((Math.min(end, to + 1) - meter.tick) / length)
    // Skip whole bars before `from` arithmetically so that far scrolls stay cheap.
    let first = Math.max(0, Math.floor((from - meter.tick) / length))
    first += (every - ((bar + first - 1) % every)) % every // on to a bar numbered 1 + n × every
    for (let k = first; k < count; k += every) {
      const tick = meter.tick + k * length
      if (tick >= end || tick > to) break
      if (tick >= from) lines.push({ tick, bar: bar + k, meter })
    }
    if (end === Infinity) break
    bar += Math.ceil((end - meter.tick) / length)
  }
  return lines
}

/**
 * The bar lines of `[from, to]`, starting with the line of the bar that holds `from` (at or
 * before it): what a view of that range draws. Only the bars in range are enumerated, so a
 * view scrolled to a far tick costs what a view at the start does.
 */
export function barLinesAround(meters: readonly Meter[], ppq: number, from: number, to: number): BarLine[] {
  const start = Math.max(0, from - barTicks(meterAt(meters, from), ppq) + 1)
  return barLines(meters, ppq, start, to)
}

export interface Position {
  bar: number
  beat: number
  /** Ticks past the beat. */
  tick: number
}

/** Bar, beat (both from 1) and ticks past the beat at `tick`. */
export function positionAt(meters: readonly Meter[], ppq: number, tick: number): Position {
  const meter = meterAt(meters, tick)
  const [line] = barLinesAround(meters, ppq, tick, tick)
  const start = line?.tick ?? 0
  const beat = beatTicks(meter, ppq)
  const into = tick - start
  return {
    bar: line?.bar ?? 1,
    beat: Math.floor(into / beat) + 1,
    tick: Math.round(into % beat),
  }
}

/** "bar.beat.tick" as sequencers show it, e.g. "3.2.000". */
export function formatPosition(position: Position): string {
  return `${position.bar}.${position.beat}.${String(position.tick).padStart(3, '0')}`
}

export interface Grid {
  label: string
  /** The grid step in quarter notes (0 = no snapping). */
  quarters: number
}

export const GRIDS: readonly Grid[] = [
  { label: 'Bar', quarters: 4 },
  { label: '1/2', quarters: 2 },
  { label: '1/4', quarters: 1 },
  { label: '1/8', quarters: 1 / 2 },
  { label: '1/16', quarters: 1 / 4 },
  { label: '1/32', quarters: 1 / 8 },
  { label: '1/8T', quarters: 1 / 3 },
  { label: '1/16T', quarters: 1 / 6 },
  { label: 'Off', quarters: 0 },
]

/** The grid step in ticks (at least 1). */
export function gridTicks(grid: Grid, ppq: number): number {
  return Math.max(1, Math.round(grid.quarters * ppq))
}

/**
 * Snap `tick` to the grid, counting steps from the bar line of the meter in force, so that
 * grids stay on the beat after a meter change at an odd place.
 */
export function snapTick(
  tick: number,
  step: number,
  meters: readonly Meter[] = [],
  mode: 'round' | 'floor' = 'round',
): number {
  if (step <= 1) return Math.max(0, Math.round(tick))
  const origin = meterAt(meters, tick).tick
  const steps = (tick - origin) / step
  const snapped = origin + (mode === 'round' ? Math.round(steps) : Math.floor(steps)) * step
  return Math.max(0, snapped)
}
