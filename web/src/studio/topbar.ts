/**
 * The studio's top bar: back to the song list, the song's title, the transport (play,
 * stop, loop, metronome, position), tempo, meter and key, the editor's tool and grid,
 * undo and redo, files, invitations, who is here and the connection.
 */
import { setMeta, setMeter, setTempo, type SongView } from '../doc/schema.ts'
import { KEY_NAMES } from '../music/pitch.ts'
import { formatPosition, GRIDS, positionAt } from '../music/time.ts'
import { h } from '../ui/dom.ts'
import type { ConnectionState } from './connection.ts'
import type { Presence } from './presence.ts'
import type { Session } from './session.ts'
import type { SongModel } from './song.ts'
import type { StudioStore } from './state.ts'

export interface TopBarActions {
  togglePlay: () => void
  stop: () => void
  importMidi: (file: File) => void
  /** Open the exports (render, MIDI, MusicXML, master, release). */
  exportFiles: () => void
  invite: (() => void) | null
  /** Open the Bandmate panel (ask the AI bandmate for suggestions). */
  assist?: () => void
}

const DENOMINATORS = [2, 4, 8, 16]

function connectionLabel(state: ConnectionState, canEdit: boolean): { text: string; tone: string } {
  if (state.link === 'closed') return { text: state.reason ?? 'Disconnected', tone: 'bad' }
  if (state.link === 'offline') {
    return { text: state.saved ? 'Offline' : 'Offline · edits kept on this device', tone: 'warn' }
  }
  if (state.link === 'connecting') return { text: state.saved ? 'Connecting…' : 'Reconnecting · edits kept here', tone: 'warn' }
  if (!canEdit) return { text: 'Live · view only', tone: 'good' }
  return { text: state.saved ? 'Live · saved' : 'Live · saving…', tone: 'good' }
}

export class TopBar {
  readonly element: HTMLElement
  private readonly title: HTMLInputElement
  private readonly play: HTMLButtonElement
  private readonly loop: HTMLButtonElement
  private readonly metronome: HTMLButtonElement
  private readonly position: HTMLElement
  private readonly tempo: HTMLInputElement
  private readonly numerator: HTMLInputElement
  private readonly denominator: HTMLSelectElement
  private readonly key: HTMLSelectElement
  private readonly grid: HTMLSelectElement
  private readonly draw: HTMLButtonElement
  private readonly selectTool: HTMLButtonElement
  private readonly undo: HTMLButtonElement
  private readonly redo: HTMLButtonElement
  private readonly people: HTMLElement
  private readonly meter: HTMLElement
  private readonly meterFill: HTMLElement
  private readonly link: HTMLElement

  constructor(
    private readonly session: Session,
    private readonly song: SongModel,
    private readonly store: StudioStore,
    private readonly presence: Presence,
    actions: TopBarActions,
  ) {
    const { doc, edit, canEdit } = session
    this.title = h('input.song-title', {
      maxLength: 200,
      disabled: !canEdit,
      attrs: { 'aria-label': 'Song title', spellcheck: 'false' },
    })
    this.title.addEventListener('change', () => {
      const value = this.title.value.trim()
      if (value !== '') setMeta(doc, { title: value }, edit)
    })
    this.play = h('button.transport.play', { type: 'button', title: 'Play / stop (Space)', onclick: actions.togglePlay })
    const stop = h('button.transport.stop', { type: 'button', title: 'Stop and return to start', onclick: actions.stop }, '■')
    this.loop = h('button.transport.toggle', {
      type: 'button',
      title: 'Loop the range marked on the ruler (L); drag on the ruler to mark it',
      onclick: () => {
        const loop = this.store.get().loop
        this.store.set({ loop: { ...loop, enabled: !loop.enabled } })
      },
    }, '⟲ Loop')
    this.metronome = h('button.transport.toggle', {
      type: 'button',
      title: 'Metronome (M)',
      onclick: () => this.store.set({ metronome: !this.store.get().metronome }),
    }, '♩ Click')
    this.position = h('output.position', { title: 'Bar . beat . tick' }, '1.1.000')
    this.tempo = h('input.tempo', {
      type: 'number',
      min: '20',
      max: '300',
      step: '1',
      disabled: !canEdit,
      attrs: { 'aria-label': 'Tempo (bpm)' },
    })
    this.tempo.addEventListener('change', () => {
      const bpm = Math.min(1000, Math.max(1, Number(this.tempo.value)))
      if (Number.isFinite(bpm)) setTempo(doc, { tick: 0, bpm }, edit)
    })
    this.numerator = h('input.meter-num', {
      type: 'number',
      min: '1',
      max: '32',
      disabled: !canEdit,
      attrs: { 'aria-label': 'Beats per bar' },
    })
    this.denominator = h('select.meter-den', { disabled: !canEdit, attrs: { 'aria-label': 'Beat unit' } })
    for (const d of DENOMINATORS) this.denominator.append(h('option', { value: String(d) }, String(d)))
    const setMeterFromInputs = (): void => {
      const numerator = Math.round(Number(this.numerator.value))
      if (numerator >= 1 && numerator <= 64) {
        setMeter(doc, { tick: 0, numerator, denominator: Number(this.denominator.value) }, edit)
      }
    }
    this.numerator.addEventListener('change', setMeterFromInputs)
    this.denominator.addEventListener('change', setMeterFromInputs)
    this.key = h('select.key', { disabled: !canEdit, attrs: { 'aria-label': 'Key' } })
    this.key.append(h('option', { value: '' }, 'No key'))
    for (const name of KEY_NAMES) this.key.append(h('option', { value: name }, name))
    this.key.addEventListener('change', () => setMeta(doc, { key: this.key.value === '' ? null : this.key.value }, edit))
    this.grid = h('select.grid', { title: 'Snap to grid', attrs: { 'aria-label': 'Grid' } })
    GRIDS.forEach((grid, i) => this.grid.append(h('option', { value: String(i) }, grid.label)))
    this.grid.addEventListener('change', () => this.store.set({ grid: Number(this.grid.value) }))
    this.draw = h('button.tool', { type: 'button', title: 'Draw (D)', onclick: () => this.store.set({ tool: 'draw' }) }, '✎')
    this.selectTool = h('button.tool', { type: 'button', title: 'Select (S)', onclick: () => this.store.set({ tool: 'select' }) }, '⬚')
    this.undo = h('button.icon', { type: 'button', title: 'Undo your last edit (Ctrl+Z)', onclick: () => session.undo.undo() }, '↶')
    this.redo = h('button.icon', { type: 'button', title: 'Redo (Ctrl+Shift+Z)', onclick: () => session.undo.redo() }, '↷')
    const fileInput = h('input', { type: 'file', accept: '.mid,.midi,audio/midi', hidden: true })
    fileInput.addEventListener('change', () => {
      const file = fileInput.files?.[0]
      if (file !== undefined) actions.importMidi(file)
      fileInput.value = ''
    })
    this.people = h('div.people', { attrs: { 'aria-label': 'Who is here' } })
    this.meterFill = h('div.meter-fill')
    this.meter = h('div.level', { title: 'Output level', dataset: { peak: '0' } }, this.meterFill)
    this.link = h('div.link', { attrs: { role: 'status', 'aria-live': 'polite' } })

    this.element = h(
      'header.topbar',
      {},
      h('a.back', { href: '/', title: 'Your songs' }, h('span.logo', {}, '◆')),
      this.title,
      // The song's controls scroll sideways on a narrow window; who is here and Invite stay.
      h(
        'div.topbar-controls',
        {},
        h('div.group.transport-group', {}, this.play, stop, this.loop, this.metronome, this.position, this.meter),
        h(
          'div.group.song-settings',
          {},
          h('label', { title: 'Tempo in beats per minute' }, h('span.unit', {}, '♩ ='), this.tempo),
          h('label.meter', {}, this.numerator, h('span', {}, '/'), this.denominator),
          this.key,
        ),
        h('div.group.tools', {}, this.draw, this.selectTool, this.grid),
        h('div.group.history', {}, this.undo, this.redo),
        h(
          'div.group.files',
          {},
          canEdit ? h('button.ghost', { type: 'button', title: 'Add the tracks of a MIDI file', onclick: () => fileInput.click() }, 'Import') : null,
          h('button.ghost.export', { type: 'button', title: 'Render audio, export MIDI or MusicXML, master, release', onclick: actions.exportFiles }, 'Export'),
          actions.assist === undefined ? null : h('button.ghost.assist-open', { type: 'button', title: 'Ask the AI bandmate for chords, a melody, a bass line, drums …', onclick: actions.assist }, 'Bandmate'),
          h('a.button.ghost.jam', { href: `${location.pathname.replace(/\/$/, '')}/jam`, title: 'Play together live on a shared clock' }, 'Jam'),
          fileInput,
        ),
      ),
      h('div.spacer'),
      this.link,
      this.people,
      actions.invite === null ? null : h('button.primary.invite', { type: 'button', onclick: actions.invite }, 'Invite'),
    )
    song.onChange(() => this.refreshSong())
    store.subscribe(() => this.refreshState())
    presence.onChange(() => this.refreshPeople())
    session.undo.on('stack-item-added', () => this.refreshHistory())
    session.undo.on('stack-item-popped', () => this.refreshHistory())
    session.connection.subscribe((state) => {
      const label = connectionLabel(state, canEdit)
      this.link.textContent = label.text
      this.link.dataset.tone = label.tone
      this.link.dataset.link = state.link
      this.link.dataset.saved = String(state.saved)
      this.link.dataset.unacknowledged = String(state.unacknowledged)
    })
    this.refreshSong()
    this.refreshState()
    this.refreshPeople()
    this.refreshHistory()
  }

  /** Show the play position (called every frame while playing). */
  showPosition(song: SongView | null, tick: number): void {
    this.position.textContent = song === null ? '1.1.000' : formatPosition(positionAt(song.meters, song.ppq, Math.floor(tick)))
  }

  /** Show the output level (0..1 peak) on the master meter, in decibels from -60. */
  showLevel(peak: number): void {
    const db = peak > 0 ? 20 * Math.log10(peak) : -Infinity
    const fill = Math.max(0, Math.min(1, (db + 60) / 60))
    this.meterFill.style.width = `${Math.round(fill * 100)}%`
    this.meterFill.classList.toggle('hot', db > -3)
    this.meter.dataset.peak = peak.toFixed(4)
  }

  private refreshSong(): void {
    const song = this.song.get()
    if (song === null) return
    const editing = (input: HTMLElement): boolean => document.activeElement === input
    if (!editing(this.title)) this.title.value = song.title
    if (!editing(this.tempo)) this.tempo.value = String(song.tempos[0]?.bpm ?? 120)
    const meter = song.meters[0] ?? { tick: 0, numerator: 4, denominator: 4 }
    if (!editing(this.numerator)) this.numerator.value = String(meter.numerator)
    if (![...this.denominator.options].some((o) => o.value === String(meter.denominator))) {
      this.denominator.append(h('option', { value: String(meter.denominator) }, String(meter.denominator)))
    }
    this.denominator.value = String(meter.denominator)
    if (song.key !== null && ![...this.key.options].some((o) => o.value === song.key)) {
      this.key.append(h('option', { value: song.key }, song.key))
    }
    this.key.value = song.key ?? ''
    document.title = `${song.title} · Bandmate`
    this.showPosition(song, this.store.get().playhead)
  }

  private refreshState(): void {
    const state = this.store.get()
    this.play.textContent = state.sound === 'loading' ? `${Math.round(state.soundProgress * 100)}%` : state.playing ? '❚❚' : '▶'
    this.play.setAttribute('aria-label', state.playing ? 'Stop' : 'Play')
    this.play.classList.toggle('active', state.playing)
    this.play.title = state.sound === 'failed' ? 'The instruments could not be loaded' : 'Play / stop (Space)'
    this.loop.setAttribute('aria-pressed', String(state.loop.enabled))
    this.metronome.setAttribute('aria-pressed', String(state.metronome))
    this.grid.value = String(state.grid)
    this.draw.setAttribute('aria-pressed', String(state.tool === 'draw'))
    this.selectTool.setAttribute('aria-pressed', String(state.tool === 'select'))
    if (!state.playing) this.showPosition(this.song.get(), state.playhead)
  }

  private refreshPeople(): void {
    const me = this.session.user
    const seen = new Set<string>()
    const avatars = [h('span.avatar.me', { title: `${me.username} (you)`, style: `--who:${this.presence.colour}` }, me.username.slice(0, 1).toUpperCase())]
    for (const peer of this.presence.peers()) {
      if (seen.has(peer.user.id) || peer.user.id === me.id) continue
      seen.add(peer.user.id)
      avatars.push(h('span.avatar', { title: peer.user.name, style: `--who:${peer.user.colour}`, dataset: { user: peer.user.name } }, peer.user.name.slice(0, 1).toUpperCase()))
    }
    this.people.replaceChildren(...avatars)
  }

  private refreshHistory(): void {
    this.undo.disabled = !this.session.canEdit || this.session.undo.undoStack.length === 0
    this.redo.disabled = !this.session.canEdit || this.session.undo.redoStack.length === 0
  }
}
