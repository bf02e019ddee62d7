/**
 * The section lane above the arrangement: named markers (Intro, Verse, Chorus, ...) at bar
 * lines, each with a coloured band up to the next one. Editors add a section by clicking the
 * lane (or "+ Section", at the play head's bar), rename it by double-clicking its marker, move
 * it by dragging the marker (it snaps to bars) and delete it with Delete or from its popover.
 * Every edit goes through the document helpers with the session's origin, so it syncs live
 * and is undone by its author's own undo.
 */
import type * as Y from 'yjs'
import {
  addSection,
  DocumentError,
  removeSection,
  setSection,
  type Meter,
  type Options,
  type Section,
  type SongView,
  type WithId,
} from '../doc/schema.ts'
import { barLines, barTicks, meterAt, positionAt } from '../music/time.ts'
import { h, replaceChildren } from '../ui/dom.ts'
import type { Session } from './session.ts'
import type { SongModel } from './song.ts'
import type { StudioStore } from './state.ts'

/** The names offered when a section is added or renamed. */
export const SECTION_NAMES = ['Intro', 'Verse', 'Chorus', 'Bridge', 'Outro'] as const
/** The longest name a section may have, in characters (code points). */
export const MAX_SECTION_NAME = 40

const DRAG_SLOP_PX = 3
const DOUBLE_PRESS_MS = 450
const COLOURS: Readonly<Record<string, string>> = {
  intro: '#748ffc',
  verse: '#38d9a9',
  chorus: '#f783ac',
  bridge: '#ffa94d',
  outro: '#9775fa',
}
const OTHER_COLOURS = ['#66d9e8', '#a9e34b', '#ffd43b', '#e599f7', '#ff8787']

/** Why a section name will not do, or null when it will ("Verse", "Chorus 2"). */
export function checkSectionName(name: string): string | null {
  const trimmed = name.trim()
  if (trimmed === '') return 'A section needs a name, e.g. Verse'
  if ([...trimmed].length > MAX_SECTION_NAME) return `A section name has at most ${MAX_SECTION_NAME} characters`
  if (/\p{Cc}/u.test(trimmed)) return 'A section name cannot hold control characters'
  if (/\p{Cs}/u.test(trimmed)) return 'A section name must be valid text (no lone surrogates)'
  return null
}

/** `name` trimmed, or a DocumentError naming the section and the rule it breaks. */
function validName(name: string, path: string): string {
  const problem = checkSectionName(name)
  if (problem !== null) throw new DocumentError(`${path}/name=${JSON.stringify(name)}: ${problem}`)
  return name.trim()
}

/** The start of the bar that holds `tick` (a meter change starts a new bar). */
export function barStart(meters: readonly Meter[], ppq: number, tick: number): number {
  const at = Math.max(0, Math.floor(tick))
  const meter = meterAt(meters, at)
  const bar = barTicks(meter, ppq)
  return meter.tick + Math.floor((at - meter.tick) / bar) * bar
}

/** The bar line nearest to `tick`. */
export function nearestBar(meters: readonly Meter[], ppq: number, tick: number): number {
  const start = barStart(meters, ppq, tick)
  const length = barTicks(meterAt(meters, start), ppq)
  const next = barLines(meters, ppq, start + 1, start + length)[0]?.tick ?? start + length
  return tick - start < next - tick ? start : next
}

/** The number (from 1) of the bar that holds `tick`. */
export function barNumber(meters: readonly Meter[], ppq: number, tick: number): number {
  return positionAt(meters, ppq, Math.max(0, tick)).bar
}

/** A section's colour: one per usual name ("Verse 2" is a verse), others by a hash of the name. */
export function sectionColour(name: string): string {
  const word = name.trim().toLowerCase().split(/[\s\d]+/)[0] ?? ''
  const known = COLOURS[word]
  if (known !== undefined) return known
  let hash = 0
  for (const c of name) hash = (hash * 31 + c.codePointAt(0)!) >>> 0
  return OTHER_COLOURS[hash % OTHER_COLOURS.length]!
}

/** The name most likely wanted for a section added at `tick`, from the one before it. */
export function suggestName(sections: readonly Section[], tick: number): string {
  const before = sections.filter((s) => s.tick <= tick).at(-1)
  if (before === undefined) return 'Intro'
  const word = before.name.trim().toLowerCase().split(/[\s\d]+/)[0]
  return { intro: 'Verse', verse: 'Chorus', chorus: 'Verse', bridge: 'Chorus', outro: 'Outro' }[word ?? ''] ?? 'Verse'
}

export interface SectionBand {
  id: string
  name: string
  /** Where the section starts and where its band ends (the next section, or `extent`). */
  tick: number
  end: number
  colour: string
}

/**
 * The bands of the lane, in song order; `sections` sorted by (tick, order, id) as
 * `readSong` gives them. Sections that share a tick leave the band to the last of them.
 */
export function sectionBands(sections: readonly WithId<Section>[], extent: number): SectionBand[] {
  return sections.map((s, i) => ({
    id: s.id,
    name: s.name,
    tick: s.tick,
    end: Math.max(s.tick, sections[i + 1]?.tick ?? extent),
    colour: sectionColour(s.name),
  }))
}

// ------------------------------------------------------------------ edits

/** Add a section named `name` at the bar that holds `tick`; return its id. */
export function addSectionAt(doc: Y.Doc, song: SongView, tick: number, name: string, options: Options = {}): string {
  const checked = validName(name, 'sections')
  return addSection(doc, { tick: barStart(song.meters, song.ppq, tick), name: checked }, options)
}

export function renameSection(doc: Y.Doc, sectionId: string, name: string, options: Options = {}): void {
  setSection(doc, sectionId, { name: validName(name, `sections/${sectionId}`) }, options)
}

/** Move a section to the bar that holds `tick`; return where it now starts. */
export function moveSection(doc: Y.Doc, song: SongView, sectionId: string, tick: number, options: Options = {}): number {
  const start = barStart(song.meters, song.ppq, tick)
  setSection(doc, sectionId, { tick: start }, options)
  return start
}

export function deleteSection(doc: Y.Doc, sectionId: string, options: Options = {}): void {
  removeSection(doc, sectionId, options)
}

// ------------------------------------------------------------------ the popover

interface PopoverOptions {
  label: string
  value: string
  onSave: (name: string) => void
  onDelete?: () => void
}

/** A small box with the usual names, a name field and (for an existing section) Delete. */
function sectionPopover(at: { x: number; y: number }, options: PopoverOptions): void {
  document.querySelector('.popover')?.remove()
  const input = h('input', {
    value: options.value,
    maxLength: MAX_SECTION_NAME * 2,
    placeholder: 'e.g. Verse 2',
    attrs: { 'aria-label': 'Section name', spellcheck: 'false' },
  })
  const hint = h('div.hint', {}, 'Enter to save · Esc to cancel')
  let closed = false
  const close = (): void => {
    closed = true
    box.remove()
    document.removeEventListener('pointerdown', outside, true)
  }
  const save = (name: string): void => {
    const problem = checkSectionName(name)
    if (problem !== null) {
      hint.textContent = problem
      hint.classList.add('error')
      return
    }
    close()
    options.onSave(name.trim())
  }
  const names = h(
    'div.section-names',
    {},
    ...SECTION_NAMES.map((name) => h('button.ghost', { type: 'button', onclick: () => save(name) }, name)),
  )
  const remove =
    options.onDelete === undefined
      ? null
      : h('button.ghost.danger', {
          type: 'button',
          onclick: () => {
            close()
            options.onDelete?.()
          },
        }, 'Delete section')
  const box = h(
    'div.popover.section-popover',
    { style: `left:${Math.round(at.x)}px;top:${Math.round(at.y)}px` },
    h('div.popover-label', {}, options.label),
    names,
    input,
    hint,
    remove,
  )
  const outside = (e: PointerEvent): void => {
    if (!closed && !box.contains(e.target as Node)) close()
  }
  input.addEventListener('keydown', (e) => {
    e.stopPropagation()
    if (e.key === 'Escape') close()
    if (e.key === 'Enter') save(input.value)
  })
  document.addEventListener('pointerdown', outside, true)
  document.body.append(box)
  // Kept inside the window (a click near the right edge would put it half off screen).
  box.style.left = `${Math.round(Math.max(4, Math.min(at.x, window.innerWidth - box.offsetWidth - 8)))}px`
  box.style.top = `${Math.round(Math.max(4, Math.min(at.y, window.innerHeight - box.offsetHeight - 8)))}px`
  input.focus()
  input.select()
}

// ------------------------------------------------------------------ the lane

interface Drag {
  id: string
  pointerId: number
  x0: number
  tick0: number
  tick: number
  moved: boolean
}

/**
 * The lane and its cell in the headers column. The arrangement places both and calls
 * `layout` whenever it paints, with the ticks and pixels its canvas spans, so that bands
 * line up with its bars.
 */
export class SectionLane {
  readonly element: HTMLElement
  readonly header: HTMLElement
  private selected: string | null = null
  private drag: Drag | null = null
  /** Whether the last press was on a marker (its click is not the lane's). */
  private dragged = false
  private lastPress: { id: string; at: number } | null = null
  private drawn: { song: SongView | null; extent: number; width: number; selected: string | null; drag: number | null } | null = null
  private extent = 1
  private width = 0
  private readonly selectListeners = new Set<(id: string) => void>()

  constructor(
    private readonly session: Session,
    private readonly song: SongModel,
    private readonly store: StudioStore,
  ) {
    const canEdit = session.canEdit
    this.element = h(`div.section-lane${canEdit ? '' : '.read-only'}`, {
      title: canEdit ? 'Click to add a section at that bar; drag a marker to move it, double-click to rename' : 'Sections',
      attrs: { role: 'group', 'aria-label': 'Sections' },
    })
    const add = canEdit
      ? h('button.ghost.add-section', {
          type: 'button',
          title: 'Add a section at the play head’s bar',
          onclick: () => {
            const rect = add!.getBoundingClientRect()
            this.promptAdd(this.store.get().playhead, { x: rect.left, y: rect.bottom + 4 })
          },
        }, '+ Section')
      : null
    this.header = h('div.headers-sections', {}, h('span', {}, 'Sections'), add)
    if (!canEdit) return
    this.element.addEventListener('pointerdown', (e) => this.onDown(e))
    this.element.addEventListener('pointermove', (e) => this.onMove(e))
    this.element.addEventListener('pointerup', (e) => this.onUp(e, true))
    this.element.addEventListener('pointercancel', (e) => this.onUp(e, false))
    this.element.addEventListener('click', (e) => this.onClick(e))
    // A click anywhere else drops the selection, so Delete goes back to notes and chords.
    document.addEventListener('pointerdown', this.outside, true)
  }

  /** The selected section (still in the song), or null. */
  get selectedId(): string | null {
    const id = this.selected
    return id !== null && this.song.get()?.sections.some((s) => s.id === id) === true ? id : null
  }

  /** Call `listener` when a section gets selected (e.g. to drop the chord selection). */
  onSelect(listener: (id: string) => void): () => void {
    this.selectListeners.add(listener)
    return () => this.selectListeners.delete(listener)
  }

  clear(): void {
    this.selected = null
    this.draw()
  }

  /** Remove the selected section, if any; return whether one was removed. */
  removeSelected(): boolean {
    const id = this.selectedId
    if (id === null || !this.session.canEdit) return false
    this.session.undo.stopCapturing()
    deleteSection(this.session.doc, id, this.session.edit)
    this.clear()
    return true
  }

  /** Lay the lane out over `extent` ticks in `width` pixels (what the arrangement's canvas spans). */
  layout(extent: number, width: number): void {
    this.extent = Math.max(1, extent)
    this.width = Math.max(1, width)
    this.draw()
  }

  destroy(): void {
    document.removeEventListener('pointerdown', this.outside, true)
    document.querySelector('.section-popover')?.remove()
  }

  private readonly outside = (e: PointerEvent): void => {
    if (this.selected !== null && !this.element.contains(e.target as Node)) this.clear()
  }

  private draw(): void {
    const song = this.song.get()
    // The arrangement repaints every frame while playing: rebuild only what changed.
    const drawn = { song, extent: this.extent, width: this.width, selected: this.selected, drag: this.drag?.tick ?? null }
    const last = this.drawn
    if (last !== null && (Object.keys(drawn) as (keyof typeof drawn)[]).every((k) => drawn[k] === last[k])) return
    this.drawn = drawn
    const sections = (song?.sections ?? []).map((s) =>
      this.drag !== null && s.id === this.drag.id ? { ...s, tick: this.drag.tick } : s,
    )
    sections.sort((a, b) => a.tick - b.tick || a.order - b.order || (a.id < b.id ? -1 : 1))
    const px = this.width / this.extent
    const bands = sectionBands(sections, this.extent)
    this.element.dataset.count = String(bands.length)
    replaceChildren(
      this.element,
      ...bands.map((band) => {
        const bar = song === null ? 1 : barNumber(song.meters, song.ppq, band.tick)
        return h(
          `div.section-band${band.id === this.selected ? '.selected' : ''}`,
          {
            dataset: { sectionId: band.id, tick: String(band.tick), name: band.name },
            style: `left:${band.tick * px}px;width:${(band.end - band.tick) * px}px;--section:${band.colour}`,
          },
          h('span.section-marker', {
            title: `${band.name} — bar ${bar}${this.session.canEdit ? ' (drag to move, double-click to rename)' : ''}`,
            attrs: { role: 'button', 'aria-label': `${band.name}, bar ${bar}`, 'aria-pressed': String(band.id === this.selected) },
          }, band.name),
        )
      }),
      bands.length === 0
        ? h('span.section-empty', {}, this.session.canEdit ? 'Click here to mark an intro, a verse, a chorus…' : 'No sections')
        : null,
    )
  }

  private markerId(target: EventTarget | null): string | null {
    if (!(target instanceof Element) || target.closest('.section-marker') === null) return null
    return target.closest<HTMLElement>('.section-band')?.dataset.sectionId ?? null
  }

  private tickAt(clientX: number): number {
    const x = clientX - this.element.getBoundingClientRect().left
    return Math.max(0, (x / this.width) * this.extent)
  }

  private onDown(e: PointerEvent): void {
    if (e.button !== 0) return
    const song = this.song.get()
    if (song === null) return
    this.dragged = false
    const id = this.markerId(e.target)
    if (id === null) return // a click on the lane itself (see onClick)
    this.dragged = true // the click that follows is the marker's, not the lane's
    // A second press on the same marker soon after the first renames it. (Counted here
    // because the lane captures the pointer: dblclick would not name the marker.)
    const last = this.lastPress
    this.lastPress = { id, at: e.timeStamp }
    if (last !== null && last.id === id && e.timeStamp - last.at < DOUBLE_PRESS_MS) {
      this.lastPress = null
      const at = { x: e.clientX, y: e.clientY + 12 }
      // After the press has moved the focus, so that the name field keeps it.
      setTimeout(() => this.promptRename(id, at), 0)
      return
    }
    this.select(id)
    const section = song.sections.find((s) => s.id === id)
    if (section === undefined) return
    this.drag = { id, pointerId: e.pointerId, x0: e.clientX, tick0: section.tick, tick: section.tick, moved: false }
    this.element.setPointerCapture(e.pointerId)
  }

  /** On the lane itself: select the section that starts at this bar, or add one there. */
  private onClick(e: MouseEvent): void {
    const song = this.song.get()
    if (song === null || e.button !== 0 || this.dragged || this.markerId(e.target) !== null) return
    const tick = barStart(song.meters, song.ppq, this.tickAt(e.clientX))
    const there = song.sections.filter((s) => s.tick === tick).at(-1)
    if (there !== undefined) this.select(there.id)
    else this.promptAdd(tick, { x: e.clientX, y: e.clientY + 12 })
  }

  private onMove(e: PointerEvent): void {
    const drag = this.drag
    const song = this.song.get()
    if (drag === null || song === null || e.pointerId !== drag.pointerId) return
    if (!drag.moved && Math.abs(e.clientX - drag.x0) < DRAG_SLOP_PX) return
    drag.moved = true
    const tick = nearestBar(song.meters, song.ppq, this.tickAt(e.clientX))
    if (tick !== drag.tick) {
      drag.tick = tick
      this.draw()
    }
  }

  private onUp(e: PointerEvent, commit: boolean): void {
    const drag = this.drag
    if (drag === null || e.pointerId !== drag.pointerId) return
    this.drag = null
    const song = this.song.get()
    // Written once on release: one edit to sync, one step to undo.
    if (commit && drag.moved && drag.tick !== drag.tick0 && song !== null && song.sections.some((s) => s.id === drag.id)) {
      this.session.undo.stopCapturing()
      moveSection(this.session.doc, song, drag.id, drag.tick, this.session.edit)
    }
    this.draw()
  }

  private select(id: string): void {
    this.selected = id
    this.draw()
    for (const listener of this.selectListeners) listener(id)
  }

  private promptAdd(tick: number, at: { x: number; y: number }): void {
    const song = this.song.get()
    if (song === null || !this.session.canEdit) return
    const start = barStart(song.meters, song.ppq, tick)
    sectionPopover(at, {
      label: `New section at bar ${barNumber(song.meters, song.ppq, start)}`,
      value: suggestName(song.sections, start),
      onSave: (name) => {
        const now = this.song.get()
        if (now === null) return
        this.session.undo.stopCapturing()
        this.select(addSectionAt(this.session.doc, now, start, name, this.session.edit))
      },
    })
  }

  private promptRename(id: string, at: { x: number; y: number }): void {
    const section = this.song.get()?.sections.find((s) => s.id === id)
    if (section === undefined || !this.session.canEdit) return
    sectionPopover(at, {
      label: 'Section',
      value: section.name,
      onSave: (name) => {
        // It may have been deleted by someone else while the box was open.
        if (this.song.get()?.sections.some((s) => s.id === id) !== true) return
        this.session.undo.stopCapturing()
        renameSection(this.session.doc, id, name, this.session.edit)
      },
      onDelete: () => {
        this.session.undo.stopCapturing()
        deleteSection(this.session.doc, id, this.session.edit)
        this.clear()
      },
    })
  }
}
