/**
 * The Listen panel: analyze the song (key, tempo, chords and mood, with the job's
 * progress), browse the loops that fit it (offered in its key and tempo), audition one,
 * and add it: the "Add" button puts it at the playhead's bar, dragging it onto the
 * arrangement puts it at the bar under the drop point (elsewhere on the song: the
 * playhead's bar).
 *
 * A library loop goes in as a new track of notes through the Bandmate panel's path
 * (`insertSuggestion`): one undo step of the person's own, tagged as the bandmate's, so
 * Ctrl+Z or the panel's Undo takes it out again. An upload goes in as a new audio track
 * holding one clip (`insertAudioTrack`), in the song's key and tempo or as uploaded: the
 * server first makes the recording a stem of the project (so the studio plays it and
 * renders mix it in), then the clip is one undo step of the person's own as well.
 * Auditioning plays the loop's audio, rendered by the server in the song's key and tempo;
 * a play, a like and an add are recorded for the taste recommendations. See docs/loops.md.
 */
import { api, ApiError, type Job } from '../api/client.ts'
import { h } from '../ui/dom.ts'
import { insertSuggestion, removeInserted, type Inserted } from './assist.ts'
import { listenApi, type AnalysisSummary, type LoopFit } from './listen_api.ts'
import { barNumberAt, barStartAt, drawTrackId, insertAudioTrack, tickAtX } from './listen_clip.ts'
import { chordLine, describeAnalysis, repeatsFor, timeScale } from './listen_view.ts'
import type { Session } from './session.ts'
import type { SongModel } from './song.ts'
import type { StudioStore } from './state.ts'
import './listen.css'

const ROLES: [string, string][] = [
  ['', 'Any'],
  ['drums', 'Drums'],
  ['bass', 'Bass'],
  ['chords', 'Chords'],
  ['pad', 'Pads'],
  ['uploads', 'My uploads'],
]
const DRAG_TYPE = 'application/x-bandmate-loop'

export class ListenPanel {
  /** An aside, not a dialog: the studio's keyboard shortcuts stay on while it is open. */
  readonly element: HTMLElement
  /** The top-bar button that opens the panel. */
  readonly toggle: HTMLButtonElement
  private readonly analyzeButton: HTMLButtonElement
  private readonly progress: HTMLProgressElement
  private readonly status: HTMLElement
  private readonly result: HTMLElement
  private readonly role: HTMLSelectElement
  private readonly find: HTMLButtonElement
  private readonly fitStatus: HTMLElement
  private readonly list: HTMLOListElement
  private readonly uploadStatus: HTMLElement
  /** Whether an upload goes in moved to the song's key and tempo (else as uploaded). */
  private readonly fitted: HTMLInputElement
  private readonly audio: HTMLAudioElement
  private events: EventSource | null = null
  private auditioning: string | null = null
  private readonly offDrop: () => void

  constructor(
    private readonly session: Session,
    private readonly song: SongModel,
    private readonly store: StudioStore,
  ) {
    this.toggle = h('button.ghost.listen-open', { type: 'button', title: 'Analyze the song and find loops that fit it', onclick: () => this.open() }, 'Listen')
    this.analyzeButton = h('button.primary.listen-analyze', { type: 'button', onclick: () => void this.analyze() }, 'Analyze the song')
    this.progress = h('progress.listen-progress', { max: 1, value: 0, hidden: true, attrs: { 'aria-label': 'Analysis progress' } })
    this.status = h('p.dialog-status.listen-status', { attrs: { role: 'status', 'aria-live': 'polite' } })
    this.result = h('dl.listen-result', { hidden: true })
    this.role = h('select.listen-role', { attrs: { 'aria-label': 'Which loops' } })
    for (const [value, label] of ROLES) this.role.append(h('option', { value }, label))
    this.find = h('button.listen-find', { type: 'button', onclick: () => void this.findLoops() }, 'Find loops')
    this.fitStatus = h('p.dialog-status.listen-fit-status', { attrs: { role: 'status', 'aria-live': 'polite' } })
    this.list = h('ol.listen-fits', { attrs: { 'aria-label': 'Loops that fit' } })
    this.fitted = h('input.listen-fitted', { type: 'checkbox', checked: true, attrs: { 'aria-label': "Add uploads in the song's key and tempo" } })
    const file: HTMLInputElement = h('input.listen-file', { type: 'file', accept: 'audio/wav,audio/flac,audio/ogg,audio/mpeg,.wav,.flac,.ogg,.mp3', attrs: { 'aria-label': 'Upload a loop' } })
    file.addEventListener('change', () => {
      const chosen = file.files?.[0]
      if (chosen !== undefined) void this.upload(chosen)
      file.value = ''
    })
    this.uploadStatus = h('p.dialog-status.listen-upload-status', { attrs: { role: 'status', 'aria-live': 'polite' } })
    this.audio = h('audio.listen-audio', { hidden: true, attrs: { preload: 'auto' } })
    this.audio.addEventListener('ended', () => this.stopAudition())
    this.element = h(
      'aside.listen-panel',
      { hidden: true, attrs: { 'aria-label': 'Listen' } },
      h('div.listen-head', {}, h('h2', {}, 'Listen'), h('button.ghost.listen-close', { type: 'button', title: 'Close', onclick: () => this.close() }, '✕')),
      h('h3', {}, 'The song'),
      h('div.row', {}, this.analyzeButton),
      this.progress,
      this.status,
      this.result,
      h('h3', {}, 'Loops that fit'),
      h('div.row', {}, h('label', {}, 'Show ', this.role), this.find),
      session.canEdit ? h('div.row', {}, h('label', {}, this.fitted, " Add uploads in the song's key and tempo")) : null,
      this.fitStatus,
      this.list,
      session.canEdit ? h('h3', {}, 'Upload a loop or sample') : null,
      session.canEdit ? h('div.row', {}, file) : null,
      session.canEdit ? this.uploadStatus : h('p.listen-note', {}, 'Viewers can analyze and listen; adding loops is for editors and owners.'),
      this.audio,
    )
    this.offDrop = this.acceptDrops()
  }

  open(): void {
    if (!this.element.isConnected) document.body.append(this.element)
    this.element.hidden = false
  }

  close(): void {
    this.stopAudition()
    this.element.hidden = true
  }

  destroy(): void {
    this.stopAudition()
    this.events?.close()
    this.offDrop()
    this.toggle.remove()
    this.element.remove()
  }

  // -- analysis ----------------------------------------------------------------------------

  private async analyze(): Promise<void> {
    this.analyzeButton.disabled = true
    this.status.classList.remove('error')
    this.status.textContent = 'Starting…'
    this.progress.hidden = false
    this.progress.value = 0
    try {
      this.follow(await listenApi.analyze(this.session.projectId))
    } catch (error) {
      this.fail(this.status, error)
      this.analyzeButton.disabled = false
      this.progress.hidden = true
    }
  }

  private follow(job: Job): void {
    this.events?.close()
    const source = new EventSource(api.jobEventsUrl(job.id))
    this.events = source
    source.addEventListener('job', (event) => {
      const now = JSON.parse((event as MessageEvent<string>).data) as Job
      this.progress.value = now.progress
      this.element.dataset.analysis = now.state
      if (now.state === 'queued') this.status.textContent = 'Waiting for a worker…'
      else if (now.state === 'running') this.status.textContent = `${Math.round(now.progress * 100)}% · ${now.message}`
      else {
        source.close()
        this.events = null
        this.analyzeButton.disabled = false
        this.progress.hidden = true
        if (now.state === 'succeeded' && now.summary !== null) this.show(now.summary as unknown as AnalysisSummary)
        else {
          this.status.classList.add('error')
          this.status.textContent = now.state === 'failed' ? `Could not analyze: ${now.error ?? 'unknown error'}` : 'Cancelled'
        }
      }
    })
    source.addEventListener('gone', () => {
      source.close()
      this.analyzeButton.disabled = false
    })
  }

  private show(summary: AnalysisSummary): void {
    this.status.textContent = describeAnalysis(summary)
    const row = (term: string, value: string, name: string): HTMLElement[] => [h('dt', {}, term), h(`dd.listen-${name}`, {}, value)]
    const mood = `${summary.mood.label} (valence ${summary.mood.valence.toFixed(2)}, arousal ${summary.mood.arousal.toFixed(2)})`
    this.result.replaceChildren(
      ...row('Key', summary.key ?? '—', 'key'),
      ...row('Tempo', summary.bpm === null ? '—' : `${Math.round(summary.bpm * 10) / 10} bpm`, 'tempo'),
      ...row('Meter', summary.meter, 'meter'),
      ...row('Chords', chordLine(summary) || '—', 'chords'),
      ...row('Mood', mood, 'mood'),
    )
    this.result.hidden = false
  }

  // -- loops -------------------------------------------------------------------------------

  private async findLoops(): Promise<void> {
    this.stopAudition()
    this.find.disabled = true
    this.fitStatus.classList.remove('error')
    this.fitStatus.textContent = 'Listening for what fits…'
    try {
      const answer = await listenApi.fits(this.session.projectId, this.role.value)
      const where = [answer.project.key, answer.project.bpm === null ? null : `${answer.project.bpm} bpm`].filter((x) => x !== null).join(', ')
      this.fitStatus.textContent = answer.fits.length === 0 ? 'Nothing to offer yet.' : `${answer.fits.length} loops for ${where || 'the song'}`
      this.list.replaceChildren(...answer.fits.map((fit) => this.row(fit)))
    } catch (error) {
      this.fail(this.fitStatus, error)
      this.list.replaceChildren()
    } finally {
      this.find.disabled = false
    }
  }

  private row(fit: LoopFit): HTMLLIElement {
    const id = fit.loop?.id ?? fit.upload?.id ?? ''
    const title = fit.loop?.title ?? fit.upload?.name ?? id
    const offered = [fit.offered_key, fit.offered_bpm === null ? null : `${fit.offered_bpm} bpm`].filter((x) => x !== null).join(' · ')
    const listen: HTMLButtonElement = h('button.listen-audition', { type: 'button', attrs: { 'aria-pressed': 'false' }, onclick: () => (this.auditioning === id ? this.stopAudition() : this.audition(fit, id, listen)) }, 'Listen')
    const like: HTMLButtonElement = h('button.ghost.listen-like', { type: 'button', title: 'Like: more like this', onclick: () => {
      like.disabled = true
      void listenApi.event(id, 'like').catch(() => (like.disabled = false))
    } }, '♥')
    const add: HTMLButtonElement | null = fit.loop === null && fit.upload === null ? null : h('button.primary.listen-add', { type: 'button', disabled: !this.session.canEdit, onclick: () => void this.add(fit, add!, this.playheadBar()) }, 'Add')
    const row: HTMLLIElement = h(
      'li.listen-fit',
      { dataset: { id, source: fit.loop === null ? 'upload' : 'library', role: fit.loop?.role ?? 'upload' } },
      h('span.listen-title', {}, title),
      h('span.listen-detail', {}, `${offered}${offered === '' ? '' : ' · '}fit ${Math.round(fit.score * 100)}%`),
      h('span.listen-reason', {}, fit.reasons.slice(0, 2).join('; ')),
      listen,
      like,
      add,
    )
    if (add !== null && this.session.canEdit) {
      row.draggable = true
      row.addEventListener('dragstart', (event) => {
        event.dataTransfer?.setData(DRAG_TYPE, id)
        this.dragged = fit
      })
    }
    return row
  }

  private dragged: LoopFit | null = null

  /** Dropping a dragged loop on the arrangement adds it at the bar under the pointer;
   * anywhere else on the song, at the playhead's bar. */
  private acceptDrops(): () => void {
    const over = (event: DragEvent): void => {
      if (event.dataTransfer?.types.includes(DRAG_TYPE) === true) event.preventDefault()
    }
    const drop = (event: DragEvent): void => {
      const target = event.target instanceof Element ? event.target.closest('.studio-body') : null
      if (target === null || this.dragged === null || event.dataTransfer?.types.includes(DRAG_TYPE) !== true) return
      event.preventDefault()
      const fit = this.dragged
      this.dragged = null
      const id = fit.loop?.id ?? fit.upload?.id ?? ''
      const button = this.list.querySelector<HTMLButtonElement>(`.listen-fit[data-id="${CSS.escape(id)}"] .listen-add`)
      if (button !== null) void this.add(fit, button, this.dropBar(event))
    }
    document.addEventListener('dragover', over)
    document.addEventListener('drop', drop)
    return () => {
      document.removeEventListener('dragover', over)
      document.removeEventListener('drop', drop)
    }
  }

  /** The first tick of the bar under a drop on the arrangement's lanes (which say how many
   * ticks they span in `data-extent`), else of the playhead's bar. */
  private dropBar(event: DragEvent): number {
    const view = this.song.get()
    const lanes = event.target instanceof Element ? event.target.closest('canvas.lanes') : null
    if (view === null || !(lanes instanceof HTMLElement)) return this.playheadBar()
    const tick = tickAtX(event.clientX, lanes.getBoundingClientRect(), Number(lanes.dataset.extent))
    return tick === null ? this.playheadBar() : barStartAt(view, tick)
  }

  private audition(fit: LoopFit, id: string, button: HTMLButtonElement): void {
    this.stopAudition()
    this.auditioning = id
    button.setAttribute('aria-pressed', 'true')
    button.textContent = 'Stop'
    this.element.dataset.auditioning = id
    this.audio.src = fit.audio_url
    this.audio.loop = true
    void this.audio.play().catch(() => undefined) // a browser without sound still shows the state
    void listenApi.event(id, 'play').catch(() => undefined)
  }

  private stopAudition(): void {
    if (this.auditioning === null) return
    this.auditioning = null
    delete this.element.dataset.auditioning
    this.audio.pause()
    for (const button of this.list.querySelectorAll<HTMLButtonElement>('.listen-audition')) {
      button.setAttribute('aria-pressed', 'false')
      button.textContent = 'Listen'
    }
  }

  /** The first tick of the bar the playhead is in. */
  private playheadBar(): number {
    const view = this.song.get()
    return view === null ? 0 : barStartAt(view, this.store.get().playhead)
  }

  private async add(fit: LoopFit, button: HTMLButtonElement, atTick: number): Promise<void> {
    if (fit.loop === null) {
      await this.addUpload(fit, button, atTick)
      return
    }
    const view = this.song.get()
    if (view === null) return
    this.stopAudition()
    button.disabled = true
    const scale = timeScale(fit)
    try {
      const answer = await listenApi.notes(fit.loop.id, { shift: fit.shift, ppq: view.ppq, atTick, repeat: repeatsFor(fit.loop.bars, scale), timeScale: scale })
      const now = this.song.get()
      if (now === null) return
      // One undo step of its own: not merged with an edit made just before.
      this.session.undo.stopCapturing()
      const done = insertSuggestion(this.session.doc, now, answer.ppq, answer.alternative, this.session.origin)
      this.session.undo.stopCapturing()
      this.added(fit.loop.id, `${fit.loop.title}${answer.key === null ? '' : ` in ${answer.key}`}`, atTick, done, button)
    } catch (error) {
      this.fail(this.fitStatus, error)
      button.disabled = false
    }
  }

  /** An upload goes in as a new audio track with one clip at `atTick`: in the song's key
   * and tempo (the fit's shift and stretch) when the box is ticked, else as uploaded. */
  private async addUpload(fit: LoopFit, button: HTMLButtonElement, atTick: number): Promise<void> {
    const upload = fit.upload
    if (upload === null || this.song.get() === null) return
    this.stopAudition()
    button.disabled = true
    const fitted = this.fitted.checked
    const semitones = fitted ? fit.shift : 0
    const rate = fitted ? Math.min(2, Math.max(0.5, Math.round(fit.stretch * 1000) / 1000)) : 1
    try {
      const track = drawTrackId()
      const clip = await listenApi.clip(this.session.projectId, upload.id, { semitones, rate, trackId: track.id })
      const now = this.song.get()
      if (now === null) return
      this.session.undo.stopCapturing()
      const placement = { name: upload.name, blob: clip.blob, mime: clip.mime, durationMs: clip.duration_ms, start: atTick, author: this.session.user.id }
      const trackId = insertAudioTrack(this.session.doc, now, placement, this.session.origin, track.random)
      this.session.undo.stopCapturing()
      const where = fitted && fit.offered_key !== null ? ` in ${fit.offered_key}` : ''
      this.added(upload.id, `${upload.name}${where}`, atTick, { trackIds: [trackId], chordIds: [] }, button)
    } catch (error) {
      this.fail(this.fitStatus, error)
      button.disabled = false
    }
  }

  /** Say what was added, with an Undo that takes out exactly that; select its track. */
  private added(id: string, title: string, atTick: number, done: Inserted, button: HTMLButtonElement): void {
    button.textContent = 'Added'
    void listenApi.event(id, 'use').catch(() => undefined)
    const view = this.song.get()
    const bar = view === null ? null : barNumberAt(view, atTick)
    this.fitStatus.classList.remove('error')
    this.fitStatus.replaceChildren(
      `Added ${title}${bar === null ? '' : ` at bar ${bar}`}. `,
      h('button.ghost.listen-undo', {
        type: 'button',
        title: 'Take out what this added (Ctrl+Z undoes your last edit)',
        onclick: () => {
          this.session.undo.stopCapturing()
          removeInserted(this.session.doc, done, this.session.origin)
          this.fitStatus.textContent = `Took out ${title}.`
          button.disabled = false
          button.textContent = 'Add'
        },
      }, 'Undo'),
    )
    if (done.trackIds[0] !== undefined) this.store.set({ trackId: done.trackIds[0], selection: new Set() })
  }

  // -- uploads -----------------------------------------------------------------------------

  private async upload(file: File): Promise<void> {
    this.uploadStatus.classList.remove('error')
    this.uploadStatus.textContent = `Uploading ${file.name}…`
    try {
      const sent = await listenApi.upload(this.session.projectId, file)
      this.uploadStatus.textContent = sent.state === 'ready' ? `${file.name} is ready: find it under "My uploads".` : `${file.name} uploaded; it is being analyzed.`
      this.element.dataset.upload = sent.state
      if (sent.job_id !== null) {
        const source = new EventSource(api.jobEventsUrl(sent.job_id))
        source.addEventListener('job', (event) => {
          const job = JSON.parse((event as MessageEvent<string>).data) as Job
          if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') {
            source.close()
            this.element.dataset.upload = job.state === 'succeeded' ? 'ready' : 'failed'
            if (job.state === 'succeeded') this.uploadStatus.textContent = `${file.name} is ready: find it under "My uploads".`
            else {
              this.uploadStatus.classList.add('error')
              this.uploadStatus.textContent = `${file.name} could not be analyzed: ${job.error ?? job.state}`
            }
          }
        })
      }
    } catch (error) {
      this.fail(this.uploadStatus, error)
    }
  }

  private fail(where: HTMLElement, error: unknown): void {
    where.classList.add('error')
    where.textContent = error instanceof ApiError ? error.message : 'The server cannot be reached.'
  }
}
