/**
 * The HTTP API as typed functions. State-changing requests carry the CSRF token (the
 * `bandmate_csrf` cookie echoed in `X-CSRF-Token`); errors become `ApiError` with the
 * server's code and message.
 */

export type Role = 'owner' | 'editor' | 'viewer'

export interface User {
  id: string
  username: string
  created_at: string
}

export interface Project {
  id: string
  name: string
  role: Role
  created_at: string
  updated_at: string
  has_song: boolean
}

export interface Member {
  user_id: string
  username: string
  role: Role
  joined_at: string
}

export interface CreatedInvitation {
  id: string
  project_id: string
  role: Role
  expires_at: string
  max_uses: number
  uses: number
  token: string
  link: string
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'
export type JobKind = 'export-midi' | 'export-musicxml' | 'render' | 'master' | 'release' | 'analyze'

/** What a job is asked to do: `kind` and the parameters of that kind (see docs/jobs.md). */
export type JobSpec = { kind: JobKind } & Record<string, unknown>

export interface Job {
  id: string
  project_id: string
  requester_id: string | null
  kind: JobKind
  params: Record<string, unknown>
  state: JobState
  progress: number
  message: string
  error: string | null
  result: { name: string; media_type: string; size: number; url: string } | null
  summary: Record<string, unknown> | null
  created_at: string
  started_at: string | null
  finished_at: string | null
}

/** A note of a suggestion, in the song's ticks. */
export interface SuggestedNote {
  pitch: number
  start: number
  duration: number
  velocity: number
}

/** A new track a suggestion would add. */
export interface SuggestedTrack {
  name: string
  program: number
  drums: boolean
  volume: number
  pan: number
  notes: SuggestedNote[]
}

/** A chord a suggestion would put on the chord lane; `pitches` is a voicing to audition it. */
export interface SuggestedChord {
  tick: number
  duration: number
  symbol: string
  roman: string | null
  probability: number | null
  pitches: number[] | null
}

/** One alternative the bandmate offers (see docs/assist.md). */
export interface Alternative {
  kind: string
  label: string
  probability: number | null
  score: number | null
  seed: number | null
  start_tick: number
  end_tick: number
  chords: SuggestedChord[]
  tracks: SuggestedTrack[]
}

export interface Suggestions {
  kind: string
  ppq: number
  key: string | null
  alternatives: Alternative[]
}

/** What to ask the bandmate for (`POST /api/projects/{id}/suggestions`). */
export interface SuggestionRequest {
  kind: string
  start_bar?: number | null
  bars?: number | null
  track?: string | number | null
  style?: string | null
  temperature?: number
  seed?: number | null
  alternatives?: number
}

export interface SuggestionKind {
  kind: string
  styles: string[]
  writes: 'chords' | 'tracks'
}

export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Whether a failure means the server could not be reached at all (offline). */
export function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError || (error instanceof ApiError && error.status === 0)
}

const CSRF_COOKIE = 'bandmate_csrf'
let csrfToken: string | null = null

function cookie(name: string): string | null {
  for (const part of document.cookie.split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return decodeURIComponent(value.join('='))
  }
  return null
}

async function csrf(): Promise<string> {
  const fromCookie = cookie(CSRF_COOKIE)
  if (fromCookie !== null) return fromCookie
  if (csrfToken === null) {
    const body = (await request<{ csrf_token: string }>('GET', '/api/auth/csrf')).csrf_token
    csrfToken = cookie(CSRF_COOKIE) ?? body
  }
  return csrfToken
}

/**
 * One call to the HTTP API: JSON in (`body`) or raw bytes (`raw`), JSON out; the CSRF token on
 * every state-changing request; an {@link ApiError} with the server's code and message on failure.
 */
export async function request<T>(method: string, path: string, body?: unknown, raw?: Blob): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (method !== 'GET') headers['X-CSRF-Token'] = await csrf()
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (raw !== undefined) headers['Content-Type'] = 'application/octet-stream'
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: raw ?? (body === undefined ? null : JSON.stringify(body)),
  })
  if (!response.ok) {
    let code = `http_${response.status}`
    let message = response.statusText || `HTTP ${response.status}`
    try {
      const data = (await response.json()) as { error?: { code?: string; message?: string } }
      code = data.error?.code ?? code
      message = data.error?.message ?? message
    } catch {
      // not JSON: keep the status text
    }
    if (response.status === 403 && code === 'csrf_failed') csrfToken = null
    throw new ApiError(response.status, code, message)
  }
  if (response.status === 204) return undefined as T
  return (await response.json()) as T
}

export const api = {
  me: () => request<User>('GET', '/api/auth/me'),
  signIn: (username: string, password: string) =>
    request<User>('POST', '/api/auth/signin', { username, password }),
  signUp: (username: string, password: string) =>
    request<User>('POST', '/api/auth/signup', { username, password }),
  signOut: () => request<undefined>('POST', '/api/auth/signout'),
  projects: () => request<Project[]>('GET', '/api/projects'),
  project: (id: string) => request<Project>('GET', `/api/projects/${encodeURIComponent(id)}`),
  createProject: (name: string) => request<Project>('POST', '/api/projects', { name }),
  renameProject: (id: string, name: string) =>
    request<Project>('PATCH', `/api/projects/${encodeURIComponent(id)}`, { name }),
  deleteProject: (id: string) =>
    request<undefined>('DELETE', `/api/projects/${encodeURIComponent(id)}`),
  members: (id: string) =>
    request<Member[]>('GET', `/api/projects/${encodeURIComponent(id)}/members`),
  invite: (id: string, role: Role, maxUses: number) =>
    request<CreatedInvitation>('POST', `/api/projects/${encodeURIComponent(id)}/invitations`, {
      role,
      max_uses: maxUses,
    }),
  acceptInvitation: (token: string) =>
    request<Project>('POST', '/api/invitations/accept', { token }),
  jobs: (projectId: string) =>
    request<Job[]>('GET', `/api/projects/${encodeURIComponent(projectId)}/jobs`),
  startJob: (projectId: string, spec: JobSpec) =>
    request<Job>('POST', `/api/projects/${encodeURIComponent(projectId)}/jobs`, spec),
  job: (id: string) => request<Job>('GET', `/api/jobs/${encodeURIComponent(id)}`),
  cancelJob: (id: string) => request<Job>('POST', `/api/jobs/${encodeURIComponent(id)}/cancel`),
  deleteJob: (id: string) => request<undefined>('DELETE', `/api/jobs/${encodeURIComponent(id)}`),
  suggestionKinds: () => request<SuggestionKind[]>('GET', '/api/assist/kinds'),
  suggest: (projectId: string, ask: SuggestionRequest) =>
    request<Suggestions>('POST', `/api/projects/${encodeURIComponent(projectId)}/suggestions`, ask),
  /** Insert server-side (the panel inserts in the browser instead: see docs/assist.md). */
  insertSuggestion: (projectId: string, ppq: number, alternative: Alternative) =>
    request<{ track_ids: string[]; chord_ids: string[]; seq: number }>(
      'POST',
      `/api/projects/${encodeURIComponent(projectId)}/suggestions/insert`,
      { ppq, alternative },
    ),
  /** The Server-Sent Events stream of a job's progress (`event: job`, until it ends). */
  jobEventsUrl: (id: string) => `/api/jobs/${encodeURIComponent(id)}/events`,
}
