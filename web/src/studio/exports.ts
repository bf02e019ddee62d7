/**
 * The Export dialog: render audio, export MIDI or MusicXML, master, build a release. Each
 * button starts a background job on the server; its row shows a progress bar fed by the
 * job's Server-Sent Events stream, then a download link (or the error, plainly). The
 * dialog lists the project's earlier jobs too, and can be closed and opened again while
 * jobs run: the rows reconnect to their streams.
 */
import { api, ApiError, type Job, type JobSpec, type Project } from '../api/client.ts'
import { h, options } from '../ui/dom.ts'
import { describeJob, isFinished, statusLine } from './jobs_view.ts'

const FORMATS = [
  { value: 'wav', label: 'WAV' },
  { value: 'flac', label: 'FLAC' },
  { value: 'mp3', label: 'MP3 320 kbps' },
]
const RATES = [
  { value: '44100', label: '44.1 kHz' },
  { value: '48000', label: '48 kHz' },
  { value: '96000', label: '96 kHz' },
]
const DEPTHS = [
  { value: '16', label: '16-bit' },
  { value: '24', label: '24-bit' },
]
const PRESETS = [
  { value: 'spotify', label: 'Spotify (-14 LUFS)' },
  { value: 'apple', label: 'Apple Music (-16 LUFS)' },
  { value: 'youtube', label: 'YouTube (-14 LUFS)' },
  { value: 'tidal', label: 'Tidal (-14 LUFS)' },
  { value: 'amazon', label: 'Amazon Music (-14 LUFS, -2 dBTP)' },
  { value: 'soundcloud', label: 'SoundCloud (-14 LUFS)' },
  { value: 'cd', label: 'CD (-9 LUFS)' },
  { value: 'club', label: 'Club / DJ (-8 LUFS)' },
]

function message(error: unknown): string {
  if (error instanceof ApiError) return error.message
  return 'The server cannot be reached.'
}

/** One job's row: label, progress bar, status, and its actions. */
class JobRow {
  readonly element: HTMLLIElement
  private readonly bar: HTMLProgressElement
  private readonly status: HTMLElement
  private readonly actions: HTMLElement
  private events: EventSource | null = null

  constructor(
    private job: Job,
    private readonly onGone: (row: JobRow) => void,
  ) {
    this.bar = h('progress', { max: 1, value: 0, attrs: { 'aria-label': `Progress of ${describeJob(job)}` } })
    this.status = h('span.job-status', { attrs: { role: 'status' } })
    this.actions = h('span.job-actions')
    this.element = h('li.job', { dataset: { job: job.id, kind: job.kind } }, h('span.job-label', {}, describeJob(job)), this.bar, this.status, this.actions)
    this.show(job)
    if (!isFinished(job)) this.follow()
  }

  get id(): string {
    return this.job.id
  }

  /** Listen to the job's event stream until it ends. */
  private follow(): void {
    const source = new EventSource(api.jobEventsUrl(this.job.id))
    this.events = source
    source.addEventListener('job', (event) => {
      const job = JSON.parse((event as MessageEvent<string>).data) as Job
      this.show(job)
      if (isFinished(job)) this.stop()
    })
    source.addEventListener('gone', () => {
      this.stop()
      this.onGone(this)
    })
    source.onerror = () => {
      // The stream broke (the server restarted, the network dropped): ask once where the
      // job stands; EventSource itself retries while the job is unfinished.
      api.job(this.job.id).then(
        (job) => {
          this.show(job)
          if (isFinished(job)) this.stop()
        },
        (error: unknown) => {
          if (error instanceof ApiError && error.status === 404) {
            this.stop()
            this.onGone(this)
          }
        },
      )
    }
  }

  stop(): void {
    this.events?.close()
    this.events = null
  }

  private show(job: Job): void {
    this.job = job
    this.element.dataset.state = job.state
    this.bar.value = job.state === 'succeeded' ? 1 : job.progress
    this.bar.hidden = isFinished(job) && job.state !== 'succeeded'
    this.status.textContent = statusLine(job)
    this.status.classList.toggle('error', job.state === 'failed')
    const buttons: HTMLElement[] = []
    if (job.state === 'succeeded' && job.result !== null) {
      buttons.push(h('a.button.primary.download', { href: job.result.url, download: job.result.name, title: `Download ${job.result.name}` }, 'Download'))
    }
    if (!isFinished(job)) {
      buttons.push(h('button.ghost.cancel', { type: 'button', onclick: () => this.cancel() }, 'Cancel'))
    } else {
      buttons.push(h('button.ghost.remove', { type: 'button', title: 'Remove this job and its file', onclick: () => this.remove() }, '✕'))
    }
    this.actions.replaceChildren(...buttons)
  }

  private cancel(): void {
    api.cancelJob(this.job.id).then(
      (job) => {
        this.show(job)
        this.stop()
      },
      (error: unknown) => (this.status.textContent = message(error)),
    )
  }

  private remove(): void {
    api.deleteJob(this.job.id).then(
      () => {
        this.stop()
        this.onGone(this)
      },
      (error: unknown) => (this.status.textContent = message(error)),
    )
  }
}

export function openExportDialog(project: Project, songTitle: () => string): void {
  const canMaster = project.role !== 'viewer'
  const rows: JobRow[] = []
  const list = h('ul.job-list', { attrs: { 'aria-label': 'Exports' } })
  const status = h('p.dialog-status.error', { attrs: { role: 'alert' } })

  const gone = (row: JobRow): void => {
    row.element.remove()
    rows.splice(rows.indexOf(row), 1)
  }
  const add = (job: Job, first: boolean): void => {
    if (rows.some((row) => row.id === job.id)) return
    const row = new JobRow(job, gone)
    rows.push(row)
    if (first) list.prepend(row.element)
    else list.append(row.element)
  }
  const start = (spec: JobSpec, button: HTMLButtonElement): void => {
    button.disabled = true
    status.textContent = ''
    api.startJob(project.id, spec).then(
      (job) => add(job, true),
      (error: unknown) => (status.textContent = message(error)),
    ).finally(() => (button.disabled = false))
  }

  const format = h('select.render-format', { attrs: { 'aria-label': 'Audio format' } }, ...options(FORMATS, 'wav'))
  const rate = h('select.render-rate', { attrs: { 'aria-label': 'Sample rate' } }, ...options(RATES, '44100'))
  const depth = h('select.render-depth', { attrs: { 'aria-label': 'Bit depth' } }, ...options(DEPTHS, '16'))
  format.addEventListener('change', () => {
    depth.disabled = format.value === 'mp3'
    if (format.value === 'mp3' && rate.value === '96000') rate.value = '48000'
  })
  const render: HTMLButtonElement = h('button.primary.start-render', {
    type: 'button',
    onclick: () => start({ kind: 'render', format: format.value, sample_rate: Number(rate.value), bit_depth: Number(depth.value) }, render),
  }, 'Render audio')
  const midi: HTMLButtonElement = h('button.start-midi', { type: 'button', onclick: () => start({ kind: 'export-midi' }, midi) }, 'MIDI')
  const xml: HTMLButtonElement = h('button.start-musicxml', { type: 'button', onclick: () => start({ kind: 'export-musicxml' }, xml) }, 'MusicXML')

  const preset = h('select.master-preset', { attrs: { 'aria-label': 'Loudness target' } }, ...options(PRESETS, 'spotify'))
  const master: HTMLButtonElement = h('button.start-master', {
    type: 'button',
    disabled: !canMaster,
    onclick: () => start({ kind: 'master', target: preset.value }, master),
  }, 'Master')
  const title = h('input.release-title', { value: songTitle(), maxLength: 200, placeholder: 'Title', attrs: { 'aria-label': 'Release title' } })
  const artist = h('input.release-artist', { maxLength: 200, placeholder: 'Artist', attrs: { 'aria-label': 'Artist' } })
  const release: HTMLButtonElement = h('button.start-release', {
    type: 'button',
    disabled: !canMaster,
    onclick: () => {
      const artists = artist.value.split(/\s*[,&]\s*/).map((a) => a.trim()).filter((a) => a !== '')
      if (title.value.trim() === '' || artists.length === 0) {
        status.textContent = 'A release needs a title and at least one artist.'
        return
      }
      start({ kind: 'release', title: title.value.trim(), artists, target: preset.value }, release)
    },
  }, 'Build release')

  const dialog = h(
    'dialog.export-dialog',
    {},
    h('h2', {}, 'Export'),
    h('p', {}, 'Each export runs on the server from the song as it is now; you can keep working meanwhile.'),
    h('div.row', {}, h('span.row-label', {}, 'Audio'), format, rate, depth, render),
    h('div.row', {}, h('span.row-label', {}, 'Score'), midi, xml),
    h('div.row', {}, h('span.row-label', {}, 'Master'), preset, master),
    h('div.row', {}, h('span.row-label', {}, 'Release'), title, artist, release),
    canMaster ? null : h('p', {}, 'Mastering and releases are for editors and owners.'),
    status,
    list,
    h('div.row.end', {}, h('button.ghost', { type: 'button', onclick: () => dialog.close() }, 'Close')),
  )
  dialog.addEventListener('close', () => {
    for (const row of rows) row.stop()
    dialog.remove()
  })
  document.body.append(dialog)
  dialog.showModal()
  api.jobs(project.id).then(
    (jobs) => {
      for (const job of jobs) add(job, false)
    },
    (error: unknown) => (status.textContent = message(error)),
  )
}
