/**
 * The note editor of the open track: a piano roll for instruments, a drum grid for drum
 * tracks, with the chord lane above and the velocity lane below. Pointer gestures draw,
 * select, move, resize and delete notes; edits go straight into the shared document
 * (throttled while dragging) so collaborators see them as they happen.
 */
import type { Note, WithId } from '../doc/schema.ts'
import { DEFAULT_DRUM_KEYS } from '../music/gm.ts'
import { GRIDS, gridTicks, snapTick } from '../music/time.ts'
import type { Presence } from '../studio/presence.ts'
import { sectionBands } from '../studio/sections.ts'
import type { Session } from '../studio/session.ts'
import type { SongModel } from '../studio/song.ts'
import type { StudioStore } from '../studio/state.ts'
import { audioTrackSummary, describeAudioTrack, type AudioTrackSummary } from './audio.ts'
import { drawEditor, sectionsInView } from './draw.ts'
import { addNotes, clampDelta, moveNotes, removeNotes, resizeNotes, setVelocities } from './edits.ts'
import {
  drumRows,
  gridBottom,
  gridTop,
  hitNote,
  maxScrollY,
  notesInBox,
  PIANO_ROWS,
  pitchAtY,
  regionAt,
  RULER_H,
  tickToX,
  velocityAtY,
  xToTick,
  type Viewport,
} from './geometry.ts'
import { NoteList } from './notelist.ts'

export interface EditorDeps {
  session: Session
  song: SongModel
  store: StudioStore
  presence: Presence
  colourOf: (trackId: string) => string
  audition: (trackId: string, pitch: number, velocity: number) => void
  editChord: (chordId: string | null, tick: number) => void
  /** A member's name for a user id (who recorded an audio clip); null when not known. */
  nameOf?: (userId: string) => string | null
}

type Drag =
  | { kind: 'move'; from: WithId<Note>[]; x0: number; y0: number; tick0: number; row0: number; moved: boolean }
  | { kind: 'resize'; from: WithId<Note>[]; tick0: number }
  | { kind: 'box'; x0: number; y0: number; x1: number; y1: number; keep: Set<string> }
  | { kind: 'paint'; erase: boolean; done: Set<string> }
  | { kind: 'velocity'; ids: string[] }
  | { kind: 'ruler'; x0: number; tick0: number; dragging: boolean }
  | { kind: 'scroll'; x0: number; y0: number; scrollTick: number; scrollY: number }

/** Writes at most this often while dragging (the server allows ~100 messages a second). */
const DRAG_WRITE_MS = 40

export class Editor {
  readonly element: HTMLElement
  private readonly canvas: HTMLCanvasElement
  private readonly ctx: CanvasRenderingContext2D
  private readonly list: NoteList
  /** Shown over the canvas when the open track is an audio track (the note tools are off). */
  private readonly audioNote: HTMLElement
  private width = 0
  private height = 0
  private scrollTick = 0
  private scrollY = 0
  private readonly scrolled = new Map<string, number>()
  private drag: Drag | null = null
  private pendingWrite: (() => void) | null = null
  private lastWrite = 0
  private hoverPitch: number | null = null
  private selectedChord: string | null = null
  private frame = 0
  private lastTrack: string | null = null

  constructor(private readonly deps: EditorDeps) {
    this.canvas = document.createElement('canvas')
    this.canvas.className = 'editor-canvas'
    this.canvas.tabIndex = 0
    this.canvas.setAttribute('aria-label', 'Note editor')
    this.ctx = this.canvas.getContext('2d')!
    this.list = new NoteList()
    this.element = document.createElement('div')
    this.element.className = 'editor'
    this.audioNote = document.createElement('div')
    this.audioNote.className = 'editor-audio'
    this.audioNote.setAttribute('role', 'note')
    this.audioNote.hidden = true
    // Covers the canvas, so no pointer gesture reaches the piano roll of an audio track.
    this.audioNote.style.cssText = 'position:absolute;inset:0;padding:16px 20px;background:#15171c;color:#c9ced8;overflow:auto;z-index:1'
    this.element.append(this.canvas, this.audioNote, this.list.element)
    new ResizeObserver(() => this.resize()).observe(this.element)
    this.canvas.addEventListener('pointerdown', (e) => this.onDown(e))
    this.canvas.addEventListener('pointermove', (e) => this.onMove(e))
    this.canvas.addEventListener('pointerup', (e) => this.onUp(e))
    this.canvas.addEventListener('pointercancel', (e) => this.onUp(e))
    this.canvas.addEventListener('pointerleave', () => {
      this.hoverPitch = null
      this.deps.presence.pointer(null)
      this.render()
    })
    this.canvas.addEventListener('dblclick', (e) => this.onDoubleClick(e))
    this.canvas.addEventListener('contextmenu', (e) => this.onContextMenu(e))
    this.canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false })
    deps.song.onChange(() => this.render())
    deps.store.subscribe(() => this.render())
    deps.presence.onChange(() => this.render())
  }

  // ------------------------------------------------------------------ view

  private get canEdit(): boolean {
    return this.deps.session.canEdit
  }

  private trackNotes(): WithId<Note>[] {
    return this.deps.song.track(this.deps.store.get().trackId)?.notes ?? []
  }

  /** The open track when it is an audio track (clips, no notes), else null. */
  audioTrack(): AudioTrackSummary | null {
    const song = this.deps.song.get()
    const track = this.deps.song.track(this.deps.store.get().trackId)
    if (song === null || track === null) return null
    return audioTrackSummary(this.deps.session.doc, track.id, song, track.notes.length)
  }

  private isDrums(): boolean {
    return this.deps.song.track(this.deps.store.get().trackId)?.drums ?? false
  }

  viewport(): Viewport {
    const state = this.deps.store.get()
    const song = this.deps.song.get()
    const ppq = song?.ppq ?? 480
    const drums = this.isDrums()
    return {
      width: this.width,
      height: this.height,
      keysWidth: drums ? 150 : 72,
      rowHeight: drums ? 22 : 14,
      rows: drums ? drumRows(DEFAULT_DRUM_KEYS, this.trackNotes().map((n) => n.pitch)) : PIANO_ROWS,
      pxPerTick: state.zoom / ppq,
      scrollTick: this.scrollTick,
      scrollY: this.scrollY,
    }
  }

  private step(): number {
    const state = this.deps.store.get()
    return gridTicks(GRIDS[state.grid] ?? GRIDS[4]!, this.deps.song.get()?.ppq ?? 480)
  }

  private snap(tick: number, mode: 'round' | 'floor' = 'round'): number {
    return snapTick(tick, this.step(), this.deps.song.get()?.meters ?? [], mode)
  }

  private resize(): void {
    const rect = this.element.getBoundingClientRect()
    this.width = Math.max(100, Math.floor(rect.width))
    this.height = Math.max(200, Math.floor(rect.height))
    const dpr = window.devicePixelRatio || 1
    this.canvas.width = Math.round(this.width * dpr)
    this.canvas.height = Math.round(this.height * dpr)
    this.canvas.style.width = `${this.width}px`
    this.canvas.style.height = `${this.height}px`
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    this.clampScroll()
    this.render()
  }

  private clampScroll(): void {
    this.scrollY = Math.min(Math.max(0, this.scrollY), maxScrollY(this.viewport()))
    this.scrollTick = Math.max(0, this.scrollTick)
  }

  /** Scroll so that the track's notes (or middle C) are in view when a track opens. */
  private focusTrack(trackId: string | null): void {
    if (this.lastTrack !== null) this.scrolled.set(this.lastTrack, this.scrollY)
    this.lastTrack = trackId
    if (trackId === null) return
    const remembered = this.scrolled.get(trackId)
    const v = this.viewport()
    if (remembered !== undefined) this.scrollY = remembered
    else if (this.isDrums()) this.scrollY = 0
    else {
      const notes = this.trackNotes()
      const centre = notes.length > 0 ? notes.reduce((sum, n) => sum + n.pitch, 0) / notes.length : 60
      const row = v.rows.indexOf(Math.round(centre))
      this.scrollY = row * v.rowHeight - (gridBottom(v) - gridTop) / 2
    }
    this.clampScroll()
  }

  /** Keep the play head in view while playing (page by page, as DAWs do). */
  follow(tick: number): void {
    const v = this.viewport()
    const x = tickToX(v, tick)
    if (x > v.width - 24 || x < v.keysWidth) {
      this.scrollTick = Math.max(0, tick - 24 / v.pxPerTick)
    }
  }

  render(): void {
    if (this.frame !== 0) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      this.paint()
    })
  }

  private paint(): void {
    const state = this.deps.store.get()
    if (state.trackId !== this.lastTrack) this.focusTrack(state.trackId)
    const song = this.deps.song.get()
    const track = this.deps.song.track(state.trackId)
    const v = this.viewport()
    const audio = this.audioTrack()
    this.element.dataset.mode = audio !== null ? 'audio' : track?.drums === true ? 'drums' : 'piano'
    this.showAudio(audio)
    const sections = sectionBands(song?.sections ?? [], Number.MAX_SAFE_INTEGER)
    const inView = sectionsInView(sections, Math.max(0, xToTick(v, v.keysWidth)), xToTick(v, v.width))
    this.element.dataset.sections = inView.map((band) => band.name).join('|')
    drawEditor(this.ctx, {
      v,
      mode: track?.drums === true ? 'drums' : 'piano',
      ppq: song?.ppq ?? 480,
      meters: song?.meters ?? [],
      notes: track?.notes ?? [],
      chords: song?.chords ?? [],
      sections,
      selectedChord: this.selectedChord,
      selection: state.selection,
      colour: track === null ? '#888888' : this.deps.colourOf(track.id),
      step: this.step(),
      playhead: state.playhead,
      loop: state.loop,
      peers: this.deps.presence.peers(),
      trackId: state.trackId ?? '',
      box: this.drag?.kind === 'box' ? { x0: this.drag.x0, y0: this.drag.y0, x1: this.drag.x1, y1: this.drag.y1 } : null,
      hoverPitch: this.hoverPitch,
      readOnly: !this.canEdit,
    })
    this.list.update(track, state.selection, track?.drums === true)
  }

  private showAudio(audio: AudioTrackSummary | null): void {
    this.audioNote.hidden = audio === null
    this.canvas.tabIndex = audio === null ? 0 : -1
    if (audio === null) return
    const nameOf = (id: string): string | null =>
      id === this.deps.session.user.id ? `${this.deps.session.user.username} (you)` : (this.deps.nameOf?.(id) ?? null)
    const line = describeAudioTrack(audio, nameOf)
    const signature = JSON.stringify([line, audio.clips])
    if (this.audioNote.dataset.signature === signature) return
    this.audioNote.dataset.signature = signature
    this.audioNote.dataset.clips = String(audio.clips.length)
    const head = document.createElement('p')
    head.className = 'editor-audio-line'
    head.textContent = line
    const list = document.createElement('ul')
    list.className = 'editor-audio-clips'
    for (const clip of audio.clips) {
      const li = document.createElement('li')
      li.dataset.clipId = clip.id
      li.textContent = `Bar ${clip.bar}, ${clip.seconds.toFixed(1)} s${clip.author === null ? '' : ` · ${nameOf(clip.author) ?? 'a former member'}`}`
      list.append(li)
    }
    const hint = document.createElement('p')
    hint.className = 'editor-audio-hint'
    hint.style.color = '#7d8595'
    hint.textContent = 'Recorded audio has no notes to edit: its clips play with the song (see the lane above); volume, pan, mute and solo are in its header.'
    this.audioNote.replaceChildren(head, list, hint)
  }

  // ------------------------------------------------------------------ selection

  private select(ids: Iterable<string>): void {
    const selection = new Set(ids)
    this.deps.store.set({ selection })
    this.deps.presence.select(this.deps.store.get().trackId, selection)
  }

  get chordSelected(): string | null {
    return this.selectedChord
  }

  clearChord(): void {
    this.selectedChord = null
    this.render()
  }

  // ------------------------------------------------------------------ writing while dragging

  private write(edit: () => void): void {
    this.pendingWrite = edit
    const wait = this.lastWrite + DRAG_WRITE_MS - performance.now()
    if (wait <= 0) this.flush()
    else setTimeout(() => this.flush(), wait)
  }

  private flush(): void {
    const edit = this.pendingWrite
    if (edit === null) return
    this.pendingWrite = null
    this.lastWrite = performance.now()
    edit()
  }

  /** One gesture is one undo step, however long it takes. */
  private beginGesture(): void {
    this.deps.session.undo.stopCapturing()
    this.deps.session.undo.captureTimeout = 3_600_000
  }

  private endGesture(): void {
    this.flush()
    this.deps.session.undo.stopCapturing()
    this.deps.session.undo.captureTimeout = 400
  }

  // ------------------------------------------------------------------ pointer

  private point(e: PointerEvent | MouseEvent): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect()
    return { x: e.clientX - rect.left, y: e.clientY - rect.top }
  }

  private onDown(e: PointerEvent): void {
    if (this.audioTrack() !== null) return // no note tools on an audio track
    this.canvas.focus()
    const { x, y } = this.point(e)
    const v = this.viewport()
    const region = regionAt(v, x, y)
    const state = this.deps.store.get()
    const trackId = state.trackId
    if (e.button === 1 || (e.button === 0 && e.altKey && region === 'grid' && !this.canEdit)) {
      this.drag = { kind: 'scroll', x0: x, y0: y, scrollTick: this.scrollTick, scrollY: this.scrollY }
    } else if (e.button !== 0) {
      return
    } else if (region === 'ruler') {
      this.drag = { kind: 'ruler', x0: x, tick0: Math.max(0, xToTick(v, x)), dragging: false }
    } else if (region === 'chords') {
      this.selectedChord = this.chordAt(x)
      this.render()
      return
    } else if (region === 'keys') {
      const pitch = pitchAtY(v, y)
      if (pitch !== null && trackId !== null) this.deps.audition(trackId, pitch, state.velocity)
      return
    } else if (trackId === null) {
      return
    } else if (region === 'velocity') {
      if (!this.canEdit) return
      const ids = this.velocityTargets(x)
      if (ids.length === 0) return
      this.beginGesture()
      this.drag = { kind: 'velocity', ids }
      this.write(() => setVelocities(this.deps.session.doc, trackId, ids, velocityAtY(v, y), this.deps.session.edit))
    } else if (region === 'grid') {
      this.startGridDrag(e, x, y, trackId)
    }
    if (this.drag !== null) this.canvas.setPointerCapture(e.pointerId)
    this.render()
  }

  private startGridDrag(e: PointerEvent, x: number, y: number, trackId: string): void {
    const v = this.viewport()
    const notes = this.trackNotes()
    const hit = hitNote(v, notes, x, y)
    const state = this.deps.store.get()
    const tick = xToTick(v, x)
    const pitch = pitchAtY(v, y)
    if (this.isDrums() && this.canEdit && state.tool === 'draw' && !e.shiftKey) {
      // Drum grid: click toggles a hit; dragging paints (or erases) along the row.
      this.beginGesture()
      this.drag = { kind: 'paint', erase: hit !== null, done: new Set() }
      this.paintAt(x, y, trackId)
      return
    }
    if (hit !== null) {
      const selected = state.selection.has(hit.id)
      if (e.shiftKey) {
        const next = new Set(state.selection)
        if (selected) next.delete(hit.id)
        else next.add(hit.id)
        this.select(next)
        if (selected) return
      } else if (!selected) this.select([hit.id])
      const chosen = this.deps.store.get().selection
      const from = notes.filter((n) => chosen.has(n.id))
      if (!this.canEdit) return
      const hitNoteValue = notes.find((n) => n.id === hit.id)!
      this.deps.audition(trackId, hitNoteValue.pitch, hitNoteValue.velocity)
      this.beginGesture()
      if (hit.part === 'end' && !this.isDrums()) {
        this.drag = { kind: 'resize', from, tick0: tick }
      } else {
        this.drag = { kind: 'move', from, x0: x, y0: y, tick0: tick, row0: v.rows.indexOf(hitNoteValue.pitch), moved: false }
      }
      return
    }
    if (state.tool === 'select' || e.shiftKey || !this.canEdit) {
      this.drag = { kind: 'box', x0: x, y0: y, x1: x, y1: y, keep: e.shiftKey ? new Set(state.selection) : new Set() }
      if (!e.shiftKey) this.select([])
      return
    }
    if (pitch === null) return
    // Draw: a new note at the grid line before the pointer; dragging sets its length.
    const start = this.snap(tick, 'floor')
    this.beginGesture()
    const note: Note = { pitch, start, duration: Math.max(1, state.noteLength), velocity: state.velocity }
    const [id] = addNotes(this.deps.session.doc, trackId, [note], this.deps.session.edit)
    this.select([id!])
    this.deps.audition(trackId, pitch, state.velocity)
    this.drag = { kind: 'resize', from: [{ ...note, id: id! }], tick0: start + note.duration }
  }

  private paintAt(x: number, y: number, trackId: string): void {
    const drag = this.drag
    if (drag?.kind !== 'paint') return
    const v = this.viewport()
    const pitch = pitchAtY(v, y)
    if (pitch === null) return
    const start = this.snap(xToTick(v, x), 'floor')
    const cell = `${pitch}:${start}`
    if (drag.done.has(cell)) return
    drag.done.add(cell)
    const notes = this.trackNotes()
    const { doc, edit } = this.deps.session
    if (drag.erase) {
      const hit = hitNote(v, notes, x, y)
      if (hit !== null) removeNotes(doc, trackId, [hit.id], edit)
      return
    }
    const step = this.step()
    if (notes.some((n) => n.pitch === pitch && n.start <= start && start < n.start + Math.max(n.duration, 1))) return
    addNotes(doc, trackId, [{ pitch, start, duration: step, velocity: this.deps.store.get().velocity }], edit)
    this.deps.audition(trackId, pitch, this.deps.store.get().velocity)
  }

  private onMove(e: PointerEvent): void {
    const { x, y } = this.point(e)
    const v = this.viewport()
    const state = this.deps.store.get()
    const trackId = state.trackId
    const region = regionAt(v, x, y)
    const hoverPitch = region === 'grid' || region === 'keys' ? pitchAtY(v, y) : null
    if (hoverPitch !== this.hoverPitch) {
      this.hoverPitch = hoverPitch
      this.render()
    }
    if (trackId !== null && (region === 'grid' || region === 'velocity' || region === 'ruler')) {
      this.deps.presence.pointer({ trackId, tick: Math.max(0, Math.round(xToTick(v, x))), pitch: hoverPitch })
    }
    const drag = this.drag
    if (drag === null) {
      this.updateCursor(x, y)
      return
    }
    const { doc, edit } = this.deps.session
    switch (drag.kind) {
      case 'scroll':
        this.scrollTick = Math.max(0, drag.scrollTick - (x - drag.x0) / v.pxPerTick)
        this.scrollY = drag.scrollY - (y - drag.y0)
        this.clampScroll()
        this.render()
        return
      case 'ruler': {
        if (Math.abs(x - drag.x0) > 4) drag.dragging = true
        if (!drag.dragging) return
        const a = this.snap(drag.tick0)
        const b = this.snap(Math.max(0, xToTick(v, x)))
        if (a !== b) this.deps.store.set({ loop: { enabled: true, start: Math.min(a, b), end: Math.max(a, b) } })
        return
      }
      case 'box': {
        drag.x1 = x
        drag.y1 = y
        const inside = notesInBox(v, this.trackNotes(), { x: drag.x0, y: drag.y0 }, { x, y })
        this.select([...drag.keep, ...inside])
        this.render()
        return
      }
      case 'paint':
        if (trackId !== null) this.paintAt(x, y, trackId)
        return
      case 'velocity':
        if (trackId === null) return
        this.write(() => setVelocities(doc, trackId, drag.ids, velocityAtY(v, y), edit))
        return
      case 'resize': {
        if (trackId === null) return
        const end = this.snap(xToTick(v, x))
        const minimum = Math.min(this.step(), Math.min(...drag.from.map((n) => n.duration)))
        const delta = end - this.snap(drag.tick0)
        this.write(() => resizeNotes(doc, trackId, drag.from, delta, Math.max(1, minimum), edit))
        const first = drag.from[0]
        if (first !== undefined && drag.from.length === 1) this.deps.store.set({ noteLength: Math.max(1, first.duration + delta) })
        return
      }
      case 'move': {
        if (trackId === null) return
        if (!drag.moved && Math.hypot(x - drag.x0, y - drag.y0) < 3) return
        drag.moved = true
        const first = Math.min(...drag.from.map((n) => n.start))
        // Keep the first note on the grid: snap its new start, not the raw delta.
        const rawTicks = xToTick(v, x) - drag.tick0
        const ticks = e.altKey ? Math.round(rawTicks) : this.snap(first + rawTicks) - first
        const row = Math.floor((y - gridTop + v.scrollY) / v.rowHeight)
        const rows = this.isDrums() ? v.rows : undefined
        const pitchDelta = rows === undefined ? -(row - drag.row0) : row - drag.row0
        const delta = rows === undefined ? clampDelta(drag.from, { ticks, pitch: pitchDelta }) : { ticks: Math.max(ticks, -first), pitch: pitchDelta }
        this.write(() => moveNotes(doc, trackId, drag.from, delta, edit, rows))
        return
      }
    }
  }

  private onUp(e: PointerEvent): void {
    const drag = this.drag
    this.drag = null
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId)
    if (drag === null) return
    if (drag.kind === 'ruler' && !drag.dragging) {
      this.deps.store.set({ playhead: Math.max(0, Math.round(drag.tick0)) })
    }
    if (drag.kind === 'move' && drag.moved && drag.from.length === 1) {
      const moved = this.trackNotes().find((n) => n.id === drag.from[0]!.id)
      const trackId = this.deps.store.get().trackId
      if (moved !== undefined && trackId !== null && moved.pitch !== drag.from[0]!.pitch) {
        this.deps.audition(trackId, moved.pitch, moved.velocity)
      }
    }
    if (drag.kind !== 'box' && drag.kind !== 'scroll' && drag.kind !== 'ruler') this.endGesture()
    this.render()
  }

  private onDoubleClick(e: MouseEvent): void {
    const { x, y } = this.point(e)
    const v = this.viewport()
    const region = regionAt(v, x, y)
    if (!this.canEdit || this.audioTrack() !== null) return
    if (region === 'chords') {
      this.deps.editChord(this.chordAt(x), Math.max(0, xToTick(v, x)))
      return
    }
    const trackId = this.deps.store.get().trackId
    if (region !== 'grid' || trackId === null || this.isDrums()) return
    const hit = hitNote(v, this.trackNotes(), x, y)
    if (hit !== null) {
      removeNotes(this.deps.session.doc, trackId, [hit.id], this.deps.session.edit)
      this.select([])
    }
  }

  private onContextMenu(e: MouseEvent): void {
    e.preventDefault()
    const { x, y } = this.point(e)
    const trackId = this.deps.store.get().trackId
    if (!this.canEdit || trackId === null || this.audioTrack() !== null) return
    const hit = hitNote(this.viewport(), this.trackNotes(), x, y)
    if (hit === null) return
    const selection = this.deps.store.get().selection
    const ids = selection.has(hit.id) ? [...selection] : [hit.id]
    removeNotes(this.deps.session.doc, trackId, ids, this.deps.session.edit)
    this.select([])
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault()
    const v = this.viewport()
    const { x } = this.point(e)
    if (e.ctrlKey || e.metaKey) {
      const anchor = xToTick(v, x)
      const zoom = Math.min(800, Math.max(4, this.deps.store.get().zoom * Math.exp(-e.deltaY * 0.002)))
      const ppq = this.deps.song.get()?.ppq ?? 480
      this.scrollTick = Math.max(0, anchor - (x - v.keysWidth) / (zoom / ppq))
      this.deps.store.set({ zoom })
      return
    }
    const horizontal = e.shiftKey ? e.deltaY : e.deltaX
    const vertical = e.shiftKey ? 0 : e.deltaY
    this.scrollTick = Math.max(0, this.scrollTick + horizontal / v.pxPerTick)
    this.scrollY += vertical
    this.clampScroll()
    this.render()
  }

  private updateCursor(x: number, y: number): void {
    const v = this.viewport()
    const region = regionAt(v, x, y)
    let cursor = 'default'
    if (region === 'grid') {
      const hit = hitNote(v, this.trackNotes(), x, y)
      if (!this.canEdit) cursor = hit === null ? 'default' : 'pointer'
      else if (hit === null) cursor = this.deps.store.get().tool === 'draw' ? 'crosshair' : 'default'
      else cursor = hit.part === 'end' && !this.isDrums() ? 'ew-resize' : 'move'
    } else if (region === 'ruler') cursor = 'text'
    else if (region === 'velocity' && this.canEdit) cursor = 'ns-resize'
    else if (region === 'keys' || region === 'chords') cursor = 'pointer'
    this.canvas.style.cursor = cursor
  }

  private velocityTargets(x: number): string[] {
    const v = this.viewport()
    const notes = this.trackNotes()
    let best: WithId<Note> | null = null
    let distance = 6
    for (const note of notes) {
      const d = Math.abs(tickToX(v, note.start) - x)
      if (d <= distance) {
        best = note
        distance = d
      }
    }
    if (best === null) return []
    const selection = this.deps.store.get().selection
    return selection.has(best.id) ? [...selection] : [best.id]
  }

  private chordAt(x: number): string | null {
    const v = this.viewport()
    const tick = xToTick(v, x)
    const chords = this.deps.song.get()?.chords ?? []
    for (let i = chords.length - 1; i >= 0; i--) {
      const chord = chords[i]!
      if (tick >= chord.tick && tick < chord.tick + chord.duration) return chord.id
    }
    return null
  }

  /** Scroll so that `tick` is at the left edge (used by "go to start"). */
  scrollTo(tick: number): void {
    this.scrollTick = Math.max(0, tick)
    this.render()
  }

  /** The ruler height, for layouts that align with the editor. */
  static readonly rulerHeight = RULER_H
}
