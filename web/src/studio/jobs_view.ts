/**
 * Words for background jobs, kept apart from the DOM so that they can be tested: what a job
 * is, how far it got, and what its result is.
 */
import type { Job } from '../api/client.ts'

export const FINISHED_STATES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled'])

export function isFinished(job: Pick<Job, 'state'>): boolean {
  return FINISHED_STATES.has(job.state)
}

/** "Render · FLAC 48 kHz", "Master · Spotify", "Release · Title" ... */
export function describeJob(job: Pick<Job, 'kind' | 'params'>): string {
  const p = job.params
  switch (job.kind) {
    case 'export-midi':
      return 'MIDI file'
    case 'export-musicxml':
      return p.compressed === true ? 'MusicXML (compressed .mxl)' : 'MusicXML'
    case 'render':
      return `Audio · ${String(p.format ?? 'wav').toUpperCase()} ${formatRate(p.sample_rate)}`
    case 'master': {
      const target = p.target === 'custom' ? `${String(p.lufs)} LUFS` : titleCase(String(p.target ?? 'spotify'))
      return `Master · ${target}`
    }
    case 'release':
      return `Release · ${String(p.title ?? '')}`
    case 'analyze':
      return typeof p.upload_id === 'string' ? 'Analysis · an uploaded loop' : 'Analysis · the song'
  }
}

/** What to show beside the progress bar. */
export function statusLine(job: Pick<Job, 'state' | 'progress' | 'message' | 'error' | 'result'> & Partial<Pick<Job, 'summary'>>): string {
  switch (job.state) {
    case 'queued':
      return 'Waiting for a worker…'
    case 'running':
      return `${Math.round(job.progress * 100)}% · ${job.message}`
    case 'succeeded': {
      if (job.result === null) return 'Done'
      const numbers = summaryLine(job.summary)
      return `Ready · ${formatSize(job.result.size)}${numbers === '' ? '' : ` · ${numbers}`}`
    }
    case 'failed':
      return `Failed: ${job.error ?? 'unknown error'}`
    case 'cancelled':
      return 'Cancelled'
  }
}

/** The numbers a result is judged by: its length, and a master's loudness and true peak. */
export function summaryLine(summary: Record<string, unknown> | null | undefined): string {
  if (summary === null || summary === undefined) return ''
  const parts: string[] = []
  const number = (key: string): number | null => (typeof summary[key] === 'number' ? (summary[key] as number) : null)
  const lufs = number('after_lufs')
  const peak = number('after_true_peak_dbtp')
  const seconds = number('seconds')
  if (seconds !== null) parts.push(`${seconds.toFixed(1)} s`)
  if (lufs !== null) parts.push(`${lufs.toFixed(1)} LUFS`)
  if (peak !== null) parts.push(`${peak.toFixed(1)} dBTP`)
  return parts.join(' · ')
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

function formatRate(rate: unknown): string {
  const hz = typeof rate === 'number' ? rate : 44100
  return `${(hz / 1000).toFixed(hz % 1000 === 0 ? 0 : 1)} kHz`
}

function titleCase(text: string): string {
  return text.slice(0, 1).toUpperCase() + text.slice(1)
}
