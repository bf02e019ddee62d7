/**
 * Words and numbers for the Listen panel, kept apart from the DOM so that they can be
 * tested: an analysis in one line, its chords, and how a loop is laid into the song.
 */
import type { AnalysisSummary, LoopFit } from './listen_api.ts'

/** Bars a loop fills when added (a two-bar loop goes in twice). */
const FILL_BARS = 4

/** "D major · 100 bpm · 4/4 · happy", from an analysis summary. */
export function describeAnalysis(summary: AnalysisSummary): string {
  const parts = [summary.key ?? 'no key', summary.bpm === null ? 'no steady tempo' : `${Math.round(summary.bpm * 10) / 10} bpm`, summary.meter, summary.mood.label]
  return parts.join(' · ')
}

/** The chord symbols in order, repeats of the same chord merged. */
export function chordLine(summary: AnalysisSummary, max = 16): string {
  const symbols: string[] = []
  for (const chord of summary.chords) if (symbols[symbols.length - 1] !== chord.symbol) symbols.push(chord.symbol)
  const shown = symbols.slice(0, max).join(' ')
  return symbols.length > max ? `${shown} …` : shown
}

/** How the song's beats map onto a loop's: a half-time fit spans two of the song's beats. */
export function timeScale(fit: Pick<LoopFit, 'tempo_relation'>): '0.5' | '1' | '2' {
  if (fit.tempo_relation === 'half-time') return '2'
  if (fit.tempo_relation === 'double-time') return '0.5'
  return '1'
}

/** How many times a loop of `bars` bars (scaled) goes in to fill about FILL_BARS bars. */
export function repeatsFor(bars: number, scale: '0.5' | '1' | '2'): number {
  const length = bars * Number(scale)
  return Math.max(1, Math.min(16, Math.round(FILL_BARS / length)))
}
