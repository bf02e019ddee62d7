/**
 * The listening and loops endpoints as typed functions (see docs/loops.md): analysis jobs,
 * loops that fit the song, a loop's notes for inserting, uploads and interaction events.
 * Requests carry the CSRF token like the rest of the API; errors become `ApiError`.
 */
import { request, type Alternative, type Job } from '../api/client.ts'

export type LoopRole = 'drums' | 'bass' | 'chords' | 'pad'

export interface Loop {
  id: string
  source: 'library'
  title: string
  role: LoopRole
  style: string
  key: string | null
  bpm: number
  bars: number
  seconds: number
  mood: string
  progression: string[]
  audio_url: string
}

export interface Upload {
  id: string
  source: 'upload'
  name: string
  state: 'pending' | 'ready' | 'failed'
  job_id: string | null
  error: string | null
  key: string | null
  bpm: number | null
  mood: string | null
  audio_url: string
}

export interface LoopFit {
  loop: Loop | null
  upload: Upload | null
  score: number
  key_relation: string
  shift: number
  offered_key: string | null
  tempo_relation: 'equal' | 'half-time' | 'double-time' | 'free'
  stretch: number
  offered_bpm: number | null
  reasons: string[]
  audio_url: string
}

export interface Fits {
  project: { key: string | null; bpm: number | null; valence: number; arousal: number; styles: string[] }
  fits: LoopFit[]
}

export interface LoopNotes {
  ppq: number
  key: string | null
  bpm: number
  alternative: Alternative
}

/** An upload made ready to go into the song: a WAV recorded as a stem of the project. */
export interface UploadClip {
  upload_id: string
  name: string
  blob: string
  mime: 'audio/wav'
  duration_ms: number
  semitones: number
  rate: number
  url: string
}

/** What an analysis job's summary holds (the song's, or an upload's). */
export interface AnalysisSummary {
  source: 'song' | 'upload'
  key: string | null
  key_confidence: number
  bpm: number | null
  meter: string
  seconds: number
  chords: { symbol: string; bar?: number; start: number }[]
  mood: { valence: number; arousal: number; label: string }
}

const call = request

/** Bytes per request of an upload sent in parts: under the server's default body cap. */
export const PART_BYTES = 512 * 1024

const project = (id: string): string => `/api/projects/${encodeURIComponent(id)}`

export const listenApi = {
  analyze: (projectId: string, uploadId: string | null = null) =>
    call<Job>('POST', `${project(projectId)}/analyze`, uploadId === null ? {} : { upload_id: uploadId }),
  fits: (projectId: string, role: string, n = 12) => {
    const query = new URLSearchParams({ n: String(n) })
    if (role === 'uploads') query.set('source', 'uploads')
    else if (role !== '') query.set('role', role)
    return call<Fits>('GET', `${project(projectId)}/loops/fit?${query.toString()}`)
  },
  notes: (loopId: string, options: { shift: number; ppq: number; atTick: number; repeat: number; timeScale: '0.5' | '1' | '2' }) => {
    const query = new URLSearchParams({
      shift: String(options.shift),
      ppq: String(options.ppq),
      at_tick: String(options.atTick),
      repeat: String(options.repeat),
      time_scale: options.timeScale,
    })
    return call<LoopNotes>('GET', `/api/loops/${encodeURIComponent(loopId)}/notes?${query.toString()}`)
  },
  /** Upload a file: in one request, or in parts when it is larger than PART_BYTES (the
   * server caps request bodies, 1 MiB by default). */
  upload: async (projectId: string, file: File): Promise<Upload> => {
    const base = `${project(projectId)}/loops/uploads`
    const query = new URLSearchParams({ name: file.name.slice(0, 200) || 'upload' })
    if (file.size <= PART_BYTES) return call<Upload>('POST', `${base}?${query.toString()}`, undefined, file)
    const token = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('')
    const parts = Math.ceil(file.size / PART_BYTES)
    for (let index = 0; index < parts; index++) {
      await call<undefined>('PUT', `${base}/parts/${token}/${index}`, undefined, file.slice(index * PART_BYTES, (index + 1) * PART_BYTES))
    }
    query.set('parts', String(parts))
    query.set('token', token)
    return call<Upload>('POST', `${base}?${query.toString()}`)
  },
  /** Make an analyzed upload a stem of the project (as uploaded, or transformed), for the
   * audio track `trackId` that the studio is about to add. */
  clip: (projectId: string, uploadId: string, options: { semitones: number; rate: number; trackId: string }) => {
    const query = new URLSearchParams({ semitones: String(options.semitones), rate: String(options.rate), track_id: options.trackId })
    return call<UploadClip>('POST', `${project(projectId)}/loops/uploads/${encodeURIComponent(uploadId)}/clip?${query.toString()}`)
  },
  event: (item: string, kind: 'play' | 'like' | 'use') => call<undefined>('POST', '/api/loops/events', { item, kind }),
}
