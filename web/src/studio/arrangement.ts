/**
 * The arrangement: one lane per track with its header (name, instrument, mute, solo,
 * volume, pan) and an overview of its notes across the whole song, audio clips as blocks
 * with their waveform, a bar ruler, the loop range and the play head. Clicking a lane
 * opens the track in the editor.
 */
import { skippedSeconds } from '../audio/clips.ts'
import { addTrack, removeTrack, setTrack, type SongView, type TrackView } from '../doc/schema.ts'
import { DRUM_KITS, FAMILY_NAMES, PROGRAM_NAMES } from '../music/gm.ts'
import { barLines, barTicks, secondsToTick, tickToSeconds } from '../music/time.ts'
import { h, replaceChildren } from '../ui/dom.ts'
import type { ClipLibrary, ClipView } from './clips.ts'
import type { Presence } from './presence.ts'
import { SectionLane } from './sections.ts'
import type { Session } from './session.ts'
import type { SongModel } from './song.ts'
import type { StudioStore } from './state.ts'

export const LANE_H = 64
const RULER_H = 22
const TRACK_COLOURS = ['#5c7cfa', '#20c997', '#fab005', '#f06595', '#4dabf7', '#ff922b', '#94d82d', '#be4bdb']

/** A track's colour in the studio, by its place in the song. */
export function trackColour(song: SongView | null, trackId: string): string {
  const index = song?.tracks.findIndex((t) => t.id === trackId) ?? -1
  return TRACK_COLOURS[Math.max(0, index) % TRACK_COLOURS.length]!
}

function instrumentSelect(track: TrackView, onChange: (program: number) => void, disabled: boolean): HTMLSelectElement {
  const select = h('select.instrument', {
    disabled,
    title: 'Instrument',
    attrs: { 'aria-label': `Instrument of ${track.name}` },
    onchange: () => onChange(Number(select.value)),
  })
  if (track.drums) {
    const kits = { ...DRUM_KITS }
    if (!(track.program in kits)) kits[track.program] = `Kit ${track.program}`
    for (const [program, name] of Object.entries(kits)) {
      select.append(h('option', { value: program, selected: Number(program) === track.program }, name))
    }
    return select
  }
  FAMILY_NAMES.forEach((family, f) => {
    const group = h('optgroup', { label: family })
    for (let p = f * 8; p < f * 8 + 8; p++) {
      group.append(h('option', { value: String(p), selected: p === track.program }, `${p + 1} ${PROGRAM_NAMES[p]}`))
    }
    select.append(group)
  })
  return select
}

export class Arrangement {
  readonly element: HTMLElement
  private readonly headers: HTMLElement
  private readonly canvas: HTMLCanvasElement
  /** The section lane above the ruler (intro, verse, chorus ...). */
  readonly sections: SectionLane
  private readonly ctx: CanvasRenderingContext2D
  private signature = ''
  private frame = 0
  private width = 0

  constructor(
    private readonly session: Session,
    private readonly song: SongModel,
    private readonly store: StudioStore,
    private readonly presence: Presence,
    private readonly clipLibrary: ClipLibrary | null = null,
  ) {
    this.headers = h('div.track-headers')
    this.canvas = h('canvas.lanes', { attrs: { 'aria-label': 'Arrangement overview' } })
    this.ctx = this.canvas.getContext('2d')!
    this.sections = new SectionLane(session, song, store)
    const laneBox = h('div.lanes-box', {}, this.sections.element, this.canvas)
    this.element = h('section.arrangement', { attrs: { 'aria-label': 'Tracks' } }, h('div.arrangement-scroll', {}, this.headers, laneBox))
    new ResizeObserver(() => {
      this.width = Math.floor(laneBox.getBoundingClientRect().width)
      this.render()
    }).observe(laneBox)
    this.canvas.addEventListener('pointerdown', (e) => this.onLaneClick(e))
    song.onChange(() => this.render())
    store.subscribe((now, before) => {
      if (now.trackId !== before.trackId) this.signature = ''
      this.render()
    })
    presence.onChange(() => this.render())
    clipLibrary?.onChange(() => this.render())
  }

  render(): void {
    if (this.frame !== 0) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      const song = this.song.get()
      this.renderHeaders(song)
      this.paint(song)
    })
  }

  /**
   * The headers are rebuilt only when tracks come, go, move or change name or instrument;
   * mixer moves are patched in place so that a slider being dragged stays under the pointer.
   */
  private renderHeaders(song: SongView | null): void {
    const tracks = song?.tracks ?? []
    const state = this.store.get()
    const structure = JSON.stringify([
      state.trackId,
      this.session.canEdit,
      tracks.map((t) => [t.id, t.name, t.drums, t.program]),
      [...this.audioTracks()],
    ])
    if (structure !== this.signature) {
      this.signature = structure
      replaceChildren(
        this.headers,
        this.sections.header,
        h('div.headers-ruler', {}, h('span', {}, `${tracks.length} track${tracks.length === 1 ? '' : 's'}`)),
        ...tracks.map((track) => this.header(song!, track, track.id === state.trackId)),
        this.session.canEdit
          ? h(
              'div.add-track',
              {},
              h('button.ghost', { type: 'button', onclick: () => this.add(false) }, '+ Instrument'),
              h('button.ghost', { type: 'button', onclick: () => this.add(true) }, '+ Drums'),
            )
          : null,
      )
    }
    for (const track of tracks) this.patch(track)
  }

  private patch(track: TrackView): void {
    const header = this.headers.querySelector<HTMLElement>(`[data-track-id="${CSS.escape(track.id)}"]`)
    if (header === null) return
    header.classList.toggle('muted', track.mute)
    for (const field of ['mute', 'solo'] as const) {
      header.querySelector(`button.${field}`)?.setAttribute('aria-pressed', String(track[field]))
    }
    for (const field of ['volume', 'pan'] as const) {
      const input = header.querySelector<HTMLInputElement>(`input.${field}`)
      if (input === null) continue
      if (document.activeElement !== input) input.value = String(track[field])
      input.title = `${field === 'volume' ? 'Volume' : 'Pan'}: ${track[field]}`
    }
  }

  private header(song: SongView, track: TrackView, open: boolean): HTMLElement {
    const { doc, edit, canEdit } = this.session
    const set = (changes: Parameters<typeof setTrack>[2]): void => setTrack(doc, track.id, changes, edit)
    const name = h('span.track-name', { title: canEdit ? 'Double-click to rename' : track.name }, track.name)
    name.addEventListener('dblclick', () => {
      if (!canEdit) return
      const input = h('input.rename', { value: track.name, maxLength: 100, attrs: { 'aria-label': 'Track name' } })
      const done = (save: boolean): void => {
        const value = input.value.trim()
        if (save && value !== '' && value !== track.name) set({ name: value })
        input.replaceWith(name)
      }
      input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') done(true)
        if (e.key === 'Escape') done(false)
      })
      input.addEventListener('blur', () => done(true))
      name.replaceWith(input)
      input.select()
    })
    const toggle = (label: string, field: 'mute' | 'solo', title: string): HTMLButtonElement =>
      h(`button.toggle.${field}`, {
        type: 'button',
        disabled: !canEdit,
        title,
        attrs: { 'aria-pressed': track[field] },
        onclick: (e) => {
          e.stopPropagation()
          set({ [field]: !(this.song.track(track.id)?.[field] ?? track[field]) })
        },
      }, label)
    const slider = (field: 'volume' | 'pan', min: number, max: number, title: string): HTMLInputElement => {
      const input = h(`input.${field}`, {
        type: 'range',
        min: String(min),
        max: String(max),
        value: String(track[field]),
        disabled: !canEdit,
        title: `${title}: ${track[field]}`,
        attrs: { 'aria-label': `${title} of ${track.name}` },
      })
      input.addEventListener('input', () => set({ [field]: Number(input.value) }))
      input.addEventListener('dblclick', () => set({ [field]: field === 'pan' ? 0 : 100 }))
      input.addEventListener('pointerdown', () => this.session.undo.stopCapturing())
      return input
    }
    const remove = h('button.icon.remove', {
      type: 'button',
      disabled: !canEdit,
      title: 'Delete track',
      attrs: { 'aria-label': `Delete ${track.name}` },
      onclick: (e) => {
        e.stopPropagation()
        if (!confirm(`Delete the track “${track.name}” and its ${track.notes.length} notes?`)) return
        removeTrack(doc, track.id, edit)
        if (this.store.get().trackId === track.id) this.store.set({ trackId: null, selection: new Set() })
      },
    }, '×')
    const element = h(
      `div.track-header${open ? '.open' : ''}`,
      {
        dataset: { trackId: track.id },
        style: `--track:${trackColour(song, track.id)}`,
        onclick: () => this.open(track.id),
      },
      h('div.track-line', {}, h('span.swatch'), name, toggle('M', 'mute', 'Mute'), toggle('S', 'solo', 'Solo'), remove),
      h(
        'div.track-line',
        {},
        this.audioTracks().has(track.id)
          ? h('span.audio-kind', { title: 'Recorded audio: it plays as recorded, with this track’s volume and pan' }, 'Audio')
          : instrumentSelect(track, (program) => set({ program }), !canEdit),
        h('label.knob', { title: 'Volume' }, 'Vol', slider('volume', 0, 127, 'Volume')),
        h('label.knob', { title: 'Pan' }, 'Pan', slider('pan', -64, 63, 'Pan')),
      ),
    )
    return element
  }

  private open(trackId: string): void {
    if (this.store.get().trackId === trackId) return
    this.store.set({ trackId, selection: new Set() })
    this.presence.select(trackId, [])
  }

  private add(drums: boolean): void {
    const song = this.song.get()
    const count = song?.tracks.filter((t) => t.drums === drums).length ?? 0
    const name = drums ? (count === 0 ? 'Drums' : `Drums ${count + 1}`) : `Instrument ${count + 1}`
    const id = addTrack(this.session.doc, { name, drums, program: 0 }, this.session.edit)
    this.store.set({ trackId: id, selection: new Set() })
  }

  /** The ids of the tracks that hold audio clips. */
  private audioTracks(): Set<string> {
    return new Set(this.clipLibrary?.clips().map((c) => c.trackId) ?? [])
  }

  /** Where a clip ends: its decoded length, or the recorded duration until it is decoded. */
  private clipEnd(song: SongView, clip: ClipView): number {
    const recording = this.clipLibrary?.recording(clip.blob)
    const seconds = typeof recording === 'object' ? recording.seconds : clip.durationMs / 1000
    const start = tickToSeconds(song.tempos, song.ppq, clip.start)
    const length = Math.max(0, seconds - skippedSeconds(song.tempos, song.ppq, clip))
    return Math.max(clip.start + 1, secondsToTick(song.tempos, song.ppq, start + length))
  }

  /** The tick range the overview shows: the whole song and some room after it. */
  private extent(song: SongView): number {
    const bar = barTicks(song.meters[0] ?? { tick: 0, numerator: 4, denominator: 4 }, song.ppq)
    let end = 0
    for (const clip of this.clipLibrary?.clips() ?? []) end = Math.max(end, this.clipEnd(song, clip))
    for (const track of song.tracks) for (const n of track.notes) end = Math.max(end, n.start + n.duration)
    for (const chord of song.chords) end = Math.max(end, chord.tick + chord.duration)
    for (const section of song.sections) end = Math.max(end, section.tick + bar)
    return Math.max(16 * bar, Math.ceil(end / bar + 2) * bar)
  }

  private onLaneClick(e: PointerEvent): void {
    const song = this.song.get()
    if (song === null) return
    const rect = this.canvas.getBoundingClientRect()
    const x = e.clientX - rect.left
    const y = e.clientY - rect.top
    const tick = Math.max(0, Math.round((x / Math.max(1, this.width)) * this.extent(song)))
    const bar = barTicks(song.meters[0] ?? { tick: 0, numerator: 4, denominator: 4 }, song.ppq)
    this.store.set({ playhead: Math.floor(tick / bar) * bar })
    const track = song.tracks[Math.floor((y - RULER_H) / LANE_H)]
    if (y >= RULER_H && track !== undefined) this.open(track.id)
  }

  private paint(song: SongView | null): void {
    const tracks = song?.tracks ?? []
    const width = Math.max(100, this.width)
    const height = RULER_H + Math.max(1, tracks.length) * LANE_H + 48
    const dpr = window.devicePixelRatio || 1
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr)
      this.canvas.height = Math.round(height * dpr)
      this.canvas.style.width = `${width}px`
      this.canvas.style.height = `${height}px`
    }
    const ctx = this.ctx
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    ctx.fillStyle = '#15171c'
    ctx.fillRect(0, 0, width, height)
    if (song === null) return
    const state = this.store.get()
    const extent = this.extent(song)
    const px = width / extent
    this.sections.layout(extent, width)
    this.canvas.dataset.extent = String(extent) // ticks across the canvas (for tests)
    ctx.font = '11px system-ui, sans-serif'
    ctx.textBaseline = 'middle'
    tracks.forEach((track, i) => {
      const y = RULER_H + i * LANE_H
      ctx.fillStyle = track.id === state.trackId ? '#232833' : i % 2 === 0 ? '#1a1d23' : '#181a20'
      ctx.fillRect(0, y, width, LANE_H)
      ctx.fillStyle = '#0e0f12'
      ctx.fillRect(0, y + LANE_H - 1, width, 1)
    })
    const barPx = barTicks(song.meters[0] ?? { tick: 0, numerator: 4, denominator: 4 }, song.ppq) * px
    const every = Math.max(1, Math.ceil(36 / Math.max(1e-9, barPx)))
    // Every bar gets a line while bars are 4 px apart or more; closer than that (a long
    // song, or a note far out), only the labelled ones: never more lines than pixels.
    const bars = barLines(song.meters, song.ppq, 0, extent, barPx >= 4 ? 1 : every)
    ctx.fillStyle = '#1c1f26'
    ctx.fillRect(0, 0, width, RULER_H)
    if (state.loop.end > state.loop.start) {
      ctx.fillStyle = state.loop.enabled ? 'rgba(77,171,247,0.28)' : 'rgba(125,133,149,0.15)'
      ctx.fillRect(state.loop.start * px, 2, (state.loop.end - state.loop.start) * px, RULER_H - 4)
      if (state.loop.enabled) {
        ctx.fillStyle = 'rgba(77,171,247,0.05)'
        ctx.fillRect(state.loop.start * px, RULER_H, (state.loop.end - state.loop.start) * px, height)
      }
    }
    for (const bar of bars) {
      const x = Math.round(bar.tick * px)
      ctx.fillStyle = (bar.bar - 1) % every === 0 ? '#3a404c' : '#262a33'
      ctx.fillRect(x, RULER_H, 1, tracks.length * LANE_H)
      if ((bar.bar - 1) % every === 0) {
        ctx.fillStyle = '#c9ced8'
        ctx.fillText(String(bar.bar), x + 4, RULER_H / 2)
      }
    }
    tracks.forEach((track, i) => this.paintTrack(ctx, song, track, RULER_H + i * LANE_H, px))
    this.paintClips(ctx, song, px)
    const x = Math.round(state.playhead * px)
    ctx.fillStyle = '#ffd43b'
    ctx.fillRect(x, 0, 1, height)
    for (const peer of this.presence.peers()) {
      const row = tracks.findIndex((t) => t.id === peer.cursor?.trackId)
      if (row < 0 || peer.cursor === null) continue
      ctx.fillStyle = peer.user.colour
      ctx.fillRect(Math.round(peer.cursor.tick * px), RULER_H + row * LANE_H, 2, LANE_H)
    }
  }

  /**
   * Each clip as a block on its track's lane with the recording's waveform (once decoded).
   * The canvas says what it drew in `data-clips` and `data-waveforms` (counts).
   */
  private paintClips(ctx: CanvasRenderingContext2D, song: SongView, px: number): void {
    let drawn = 0
    let waves = 0
    for (const clip of this.clipLibrary?.clips() ?? []) {
      const row = song.tracks.findIndex((t) => t.id === clip.trackId)
      const track = song.tracks[row]
      if (track === undefined) continue
      const y = RULER_H + row * LANE_H
      const x = clip.start * px
      const width = Math.max(4, (this.clipEnd(song, clip) - clip.start) * px)
      const colour = trackColour(song, track.id)
      ctx.globalAlpha = track.mute ? 0.35 : 1
      ctx.fillStyle = `${colour}33`
      ctx.strokeStyle = `${colour}aa`
      ctx.beginPath()
      ctx.roundRect(x, y + 4, width, LANE_H - 9, 5)
      ctx.fill()
      ctx.stroke()
      drawn++
      const recording = this.clipLibrary!.recording(clip.blob)
      if (typeof recording === 'object') {
        this.paintWaveform(ctx, recording.peaks, recording.seconds, skippedSeconds(song.tempos, song.ppq, clip), x, y + 6, width, LANE_H - 13)
        waves++
      } else {
        ctx.fillStyle = colour
        ctx.fillText(recording === 'failed' ? 'recording not available' : 'loading…', x + 6, y + LANE_H / 2)
      }
      ctx.globalAlpha = 1
    }
    this.canvas.dataset.clips = String(drawn)
    this.canvas.dataset.waveforms = String(waves)
  }

  private paintWaveform(
    ctx: CanvasRenderingContext2D,
    peaks: Float32Array,
    seconds: number,
    skip: number,
    x: number,
    y: number,
    width: number,
    height: number,
  ): void {
    const count = peaks.length / 2
    const first = Math.floor((skip / Math.max(seconds, 1e-9)) * count)
    const shown = Math.max(1, count - first)
    const mid = y + height / 2
    ctx.fillStyle = ctx.strokeStyle
    const columns = Math.max(1, Math.floor(width))
    for (let col = 0; col < columns; col++) {
      const from = first + Math.floor((col * shown) / columns)
      const to = Math.max(from + 1, first + Math.floor(((col + 1) * shown) / columns))
      let low = 0
      let high = 0
      for (let i = from; i < to && i < count; i++) {
        low = Math.min(low, peaks[2 * i]!)
        high = Math.max(high, peaks[2 * i + 1]!)
      }
      const top = mid - Math.min(1, high) * (height / 2)
      const bottom = mid - Math.max(-1, low) * (height / 2)
      ctx.fillRect(x + col, top, 1, Math.max(1, bottom - top))
    }
  }

  private paintTrack(ctx: CanvasRenderingContext2D, song: SongView, track: TrackView, y: number, px: number): void {
    if (track.notes.length === 0) return
    const colour = trackColour(song, track.id)
    let low = 127
    let high = 0
    for (const n of track.notes) {
      low = Math.min(low, n.pitch)
      high = Math.max(high, n.pitch)
    }
    const first = track.notes[0]!.start
    const last = Math.max(...track.notes.map((n) => n.start + n.duration))
    ctx.globalAlpha = track.mute ? 0.35 : 1
    ctx.fillStyle = `${colour}33`
    ctx.strokeStyle = `${colour}aa`
    ctx.beginPath()
    ctx.roundRect(first * px, y + 4, Math.max(4, (last - first) * px), LANE_H - 9, 5)
    ctx.fill()
    ctx.stroke()
    ctx.fillStyle = colour
    const span = Math.max(12, high - low + 1)
    const inner = LANE_H - 18
    for (const n of track.notes) {
      const ny = y + 9 + ((high - n.pitch) / span) * inner
      ctx.fillRect(n.start * px, ny, Math.max(1.5, n.duration * px), Math.max(2, inner / span))
    }
    ctx.globalAlpha = 1
  }
}
