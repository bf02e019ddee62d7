/**
 * The Bandmate panel: ask the AI bandmate for chords, a progression, a harmonization, a
 * melody, a solo, a bass line, drums, a backing track (felt in the grouping you choose when
 * the song's meter is odd) or harmony voices under a melody over the bars you choose;
 * listen to each alternative layered over the song; insert the one you like; ask again.
 *
 * Inserting happens in this browser, as the person's own edit (one undo step of their
 * UndoManager, so Ctrl+Z or the panel's Undo takes it out again), and every inserted track
 * and chord carries `origin: "bandmate"` (the panel lists them as the bandmate's).
 * It reaches everyone through the sync room like any edit (logged, then broadcast); anyone
 * with edit rights can remove a bandmate track or chord like any other. See docs/assist.md.
 */
import * as Y from 'yjs'
import { api, ApiError, type Alternative, type SuggestionKind, type SuggestionRequest } from '../api/client.ts'
import { addChord, addTrack, removeChord, removeTrack, songRoots, type Meter, type SongView, type TrackView } from '../doc/schema.ts'
import { barTicks, meterAt, positionAt } from '../music/time.ts'
import { h } from '../ui/dom.ts'
import type { Session } from './session.ts'
import type { SongModel } from './song.ts'
import type { StudioStore } from './state.ts'

/** The `origin` field of everything the bandmate inserted. */
export const BANDMATE_ORIGIN = 'bandmate'
/** Track ids of an audition start with this: never ids of the document. */
export const PREVIEW_PREFIX = 'preview:'
const PAD_PROGRAM = 0 // a piano plays the chords of a chord suggestion while auditioning
const PAD_VELOCITY = 72

/** The kinds a server without `/api/assist/kinds` (or offline) is assumed to offer. */
const FALLBACK_KINDS: SuggestionKind[] = [
  { kind: 'chords', styles: [], writes: 'chords' },
  { kind: 'progression', styles: [], writes: 'chords' },
  { kind: 'harmony', styles: [], writes: 'chords' },
]
/** The kinds that read a melody track (the "Over" choice). */
const MELODY_KINDS = new Set(['harmony', 'melody', 'solo', 'voices'])
/** The kinds whose patterns follow a beat grouping in odd meters (the "Feel" choice). */
const GROUPING_KINDS = new Set(['bass', 'drums', 'backing'])
/** Harmony voices a `voices` suggestion may write (the server's range). */
const VOICE_CHOICES: readonly [number, string][] = [
  [1, 'One voice'],
  [2, 'A voice and a bass'],
  [3, 'Alto, tenor and bass'],
]
const KIND_LABELS: Record<string, string> = {
  chords: 'Next chord',
  progression: 'Chord progression',
  harmony: 'Harmonize the melody',
  melody: 'Melody',
  solo: 'Solo',
  bass: 'Bass line',
  drums: 'Drum groove',
  backing: 'Backing track',
  voices: 'Harmony voices',
}

/** What the panel sends: the API's request with the band parts' grouping and the voice count. */
export type AssistRequest = SuggestionRequest & { grouping?: string | null; voices?: number }

/**
 * The usual groupings of the odd meters, the default first (the server's
 * `bandmate.assist.band.grid.GROUPINGS`; any other grouping that adds up works too).
 */
export const GROUPINGS: Readonly<Record<string, readonly string[]>> = {
  '5/8': ['3+2', '2+3'],
  '7/8': ['2+2+3', '3+2+2', '2+3+2'],
  '9/8': ['3+3+3', '2+2+2+3', '2+2+3+2', '3+2+2+2'],
  '10/8': ['3+3+2+2', '2+3+2+3', '3+2+3+2'],
  '11/8': ['2+2+3+2+2', '3+3+3+2', '3+2+3+3'],
  '13/8': ['2+2+3+2+2+2', '3+3+3+2+2'],
  '5/4': ['3+2', '2+3'],
  '7/4': ['2+2+3', '4+3', '3+2+2', '3+4'],
}
/** At most this many groups in a bar (the server's `MAX_GROUPS`). */
const MAX_GROUPS = 12

type MeterShape = Pick<Meter, 'numerator' | 'denominator'>

/** How a bar of this meter is felt when no grouping is asked for, or null for a plain meter
 * (2/4, 3/4, 4/4, 2/2, 3/8: one beat per quarter, half or dotted eighth group). */
export function defaultGrouping({ numerator, denominator }: MeterShape): string | null {
  const known = GROUPINGS[`${numerator}/${denominator}`]
  if (known !== undefined) return known[0]!
  if (denominator >= 8 && numerator > 3 && numerator % 3 === 0) return Array(numerator / 3).fill('3').join('+')
  if (denominator >= 8 && numerator > 3 && numerator % 2 === 1) return [...Array((numerator - 3) / 2).fill('2'), '3'].join('+')
  return null
}

/** The groupings to offer for a song's meters: the usual ones of each odd or compound meter
 * in it (none when every meter is plain, so the choice is not shown). */
export function groupingsFor(meters: readonly MeterShape[]): string[] {
  const out: string[] = []
  for (const meter of meters) {
    const usual = defaultGrouping(meter)
    if (usual === null) continue
    for (const g of GROUPINGS[`${meter.numerator}/${meter.denominator}`] ?? [usual]) if (!out.includes(g)) out.push(g)
  }
  return out
}

/**
 * Why the server would refuse `text` as the grouping of a song in these meters (the same
 * rules and words as `parse_grouping`, `PartRequest` and `check_grouping`), or null when it
 * fits: numbers joined by `+`, groups of 2 or 3 eighths in x/8 meters or 1 to 4 beats in x/4
 * ones, adding up to the numerator of a meter of the song.
 */
export function groupingProblem(text: string, meters: readonly MeterShape[]): string | null {
  const parts = text.trim().split('+').map((p) => p.trim())
  if (text.length > 64 || !parts.every((p) => /^[0-9]{1,2}$/.test(p))) {
    return `grouping='${text.slice(0, 64)}' must be group sizes joined by '+', like 2+2+3`
  }
  const groups = parts.map(Number)
  const shown = groups.join('+')
  if (groups.length > MAX_GROUPS || groups.some((g) => g < 1 || g > 4)) {
    return `grouping=${shown} must be 1..${MAX_GROUPS} groups of 1..4 eighths or beats`
  }
  const sum = groups.reduce((a, b) => a + b, 0)
  const fitting = meters.filter((m) => m.numerator === sum)
  if (fitting.length === 0) {
    const names = [...new Set(meters.map((m) => `${m.numerator}/${m.denominator}`))].sort().join(', ')
    return `grouping=${shown} adds up to ${sum}: it fits no bar in ${names || '4/4'}`
  }
  for (const { numerator, denominator } of fitting) {
    const sizes = denominator >= 8 ? [2, 3] : [1, 2, 3, 4]
    if (groups.some((g) => !sizes.includes(g))) {
      return `grouping=${shown} in ${numerator}/${denominator}: groups must be ${sizes.join(' or ')} ${denominator >= 8 ? 'eighths' : 'beats'}`
    }
  }
  return null
}

/** The song with an alternative layered on top, for auditioning (the document is untouched). */
export function layerSuggestion(song: SongView, alt: Alternative | null): SongView {
  if (alt === null) return song
  const order = Math.max(0, ...song.tracks.map((t) => t.order)) + 1
  const extra: TrackView[] = alt.tracks.map((track, i) => ({
    id: `${PREVIEW_PREFIX}${i}`,
    name: track.name,
    program: track.program,
    drums: track.drums,
    volume: track.volume,
    pan: track.pan,
    mute: false,
    solo: false,
    order: order + i,
    position: [0, 0, 0],
    notes: track.notes.map((n, j) => ({ ...n, id: `${PREVIEW_PREFIX}${i}:${j}` })).sort((a, b) => a.start - b.start || a.pitch - b.pitch),
  }))
  const pad = alt.chords.flatMap((chord) =>
    (chord.pitches ?? []).map((pitch) => ({ pitch, start: chord.tick, duration: chord.duration, velocity: PAD_VELOCITY })),
  )
  if (pad.length > 0) {
    extra.push({
      id: `${PREVIEW_PREFIX}chords`,
      name: 'Bandmate chords (preview)',
      program: PAD_PROGRAM,
      drums: false,
      volume: 90,
      pan: 0,
      mute: false,
      solo: false,
      order: order + extra.length,
      position: [0, 0, 0],
      notes: pad.map((n, j) => ({ ...n, id: `${PREVIEW_PREFIX}chords:${j}` })).sort((a, b) => a.start - b.start || a.pitch - b.pitch),
    })
  }
  return { ...song, tracks: [...song.tracks, ...extra] }
}

/** Why the alternative's chords cannot go on the lane (one would overlap a chord already
 * there: nobody's chord is overwritten), or null when they fit. */
export function chordClash(song: SongView, alt: Alternative): string | null {
  for (const chord of alt.chords) {
    const end = chord.tick + chord.duration
    const old = song.chords.find((c) => chord.tick < c.tick + c.duration && c.tick < end)
    if (old !== undefined) return `${chord.symbol} would overlap ${old.symbol} on the chord lane: remove that one first, or ask for other bars`
  }
  return null
}

/** `name`, or `name 2`, `name 3` ... whichever no track has yet. */
export function uniqueName(name: string, taken: ReadonlySet<string>): string {
  let candidate = name
  for (let n = 2; taken.has(candidate); n++) candidate = `${name} ${n}`
  return candidate
}

/** The bar (from 1) that `tick` lies in. */
export function barAt(song: SongView, tick: number): number {
  return positionAt(song.meters, song.ppq, Math.max(0, Math.floor(tick))).bar
}

export interface Inserted {
  trackIds: string[]
  chordIds: string[]
}

/**
 * Add `alt` to the document as one transaction of `origin` (the person's own edit, which
 * their UndoManager tracks), tagging every new track and chord `origin: "bandmate"`.
 *
 * @throws Error when the song's resolution differs from the suggestion's, or a chord would
 *   overlap one on the lane.
 */
export function insertSuggestion(doc: Y.Doc, song: SongView, ppq: number, alt: Alternative, origin: unknown): Inserted {
  if (ppq !== song.ppq) throw new Error(`the suggestion is at ${ppq} ticks per quarter, the song at ${song.ppq}: ask again`)
  const clash = chordClash(song, alt)
  if (clash !== null) throw new Error(clash)
  const roots = songRoots(doc)
  const taken = new Set(song.tracks.map((t) => t.name))
  const out: Inserted = { trackIds: [], chordIds: [] }
  doc.transact(() => {
    for (const track of alt.tracks) {
      const name = uniqueName(track.name, taken)
      taken.add(name)
      const { program, drums, volume, pan, notes } = track
      const id = addTrack(doc, { name, program, drums, volume, pan, notes }, { origin })
      ;(roots.tracks.get(id) as unknown as Y.Map<unknown>).set('origin', BANDMATE_ORIGIN)
      out.trackIds.push(id)
    }
    for (const { tick, duration, symbol } of alt.chords) {
      const id = addChord(doc, { tick, duration, symbol }, { origin })
      ;(roots.chords.get(id) as unknown as Y.Map<unknown>).set('origin', BANDMATE_ORIGIN)
      out.chordIds.push(id)
    }
  }, origin)
  return out
}

/** Take out exactly what one insertion added (whatever is still there), as one transaction
 * of `origin`: undoing that brings it back. Returns how many entries were removed. */
export function removeInserted(doc: Y.Doc, inserted: Inserted, origin: unknown): number {
  const roots = songRoots(doc)
  let removed = 0
  doc.transact(() => {
    for (const [lane, ids] of [[roots.tracks, inserted.trackIds], [roots.chords, inserted.chordIds]] as const) {
      for (const id of ids) {
        if (!lane.has(id)) continue // someone removed it already
        lane.delete(id)
        removed++
      }
    }
  }, origin)
  return removed
}

/** Whether a track or chord entry of the document was inserted by the bandmate. */
export function byBandmate(doc: Y.Doc, lane: 'tracks' | 'chords', id: string): boolean {
  const entry = songRoots(doc)[lane].get(id) as unknown as Y.Map<unknown> | undefined
  return entry?.get('origin') === BANDMATE_ORIGIN
}

function describe(alt: Alternative): string {
  const parts: string[] = []
  if (alt.probability !== null) parts.push(`${Math.round(alt.probability * 100)}%`)
  const notes = alt.tracks.reduce((sum, t) => sum + t.notes.length, 0)
  if (alt.tracks.length > 0) parts.push(`${alt.tracks.length} track${alt.tracks.length === 1 ? '' : 's'}, ${notes} notes`)
  if (alt.chords.length > 1) parts.push(`${alt.chords.length} chords`)
  return parts.join(' · ')
}

export interface AssistActions {
  /** Play from `tick` (the transport reads `AssistPanel.layer` for what to play). */
  play: (tick: number) => void
  stop: () => void
}

/** The panel, made once per studio; `open()` shows it. */
export class AssistPanel {
  /** An aside, not a dialog: the studio's keyboard shortcuts stay on while it is open. */
  readonly element: HTMLElement
  private preview: Alternative | null = null
  private ppq = 0
  private kinds: SuggestionKind[] = FALLBACK_KINDS
  private readonly kind: HTMLSelectElement
  private readonly style: HTMLSelectElement
  private readonly startBar: HTMLInputElement
  private readonly bars: HTMLInputElement
  private readonly track: HTMLSelectElement
  private readonly grouping: HTMLInputElement
  private readonly groupings: HTMLDataListElement
  private readonly voices: HTMLSelectElement
  private readonly temperature: HTMLInputElement
  private readonly count: HTMLSelectElement
  private readonly ask: HTMLButtonElement
  private readonly again: HTMLButtonElement
  private readonly status: HTMLElement
  private readonly list: HTMLOListElement
  private readonly inserted: HTMLUListElement
  private loaded = false

  constructor(
    private readonly session: Session,
    private readonly song: SongModel,
    private readonly store: StudioStore,
    private readonly actions: AssistActions,
  ) {
    this.kind = h('select.assist-kind', { attrs: { 'aria-label': 'What to ask for' } })
    this.kind.addEventListener('change', () => {
      this.refreshStyles()
      this.refreshGrouping()
    })
    this.style = h('select.assist-style', { attrs: { 'aria-label': 'Style' } })
    this.startBar = h('input.assist-start', { type: 'number', min: '1', max: '100000', placeholder: 'auto', attrs: { 'aria-label': 'From bar' } })
    this.bars = h('input.assist-bars', { type: 'number', min: '1', max: '256', placeholder: 'auto', attrs: { 'aria-label': 'Bars' } })
    this.track = h('select.assist-track', { attrs: { 'aria-label': 'Melody track' } })
    this.groupings = h('datalist', { id: `assist-groupings-${session.projectId}` })
    this.grouping = h('input.assist-grouping', {
      type: 'text',
      maxLength: 64,
      spellcheck: false,
      autocomplete: 'off',
      attrs: { 'aria-label': 'Feel (beat grouping)', list: this.groupings.id, inputmode: 'numeric' },
      oninput: () => this.grouping.setCustomValidity(''),
    })
    this.voices = h('select.assist-voices', { attrs: { 'aria-label': 'Voices' } })
    for (const [n, label] of VOICE_CHOICES) this.voices.append(h('option', { value: String(n), selected: n === 3 }, label))
    this.temperature = h('input.assist-temperature', { type: 'range', min: '0.2', max: '2', step: '0.1', value: '1', attrs: { 'aria-label': 'Adventurousness' } })
    this.count = h('select.assist-count', { attrs: { 'aria-label': 'Alternatives' } })
    for (const n of [1, 2, 3, 4]) this.count.append(h('option', { value: String(n), selected: n === 3 }, String(n)))
    this.ask = h('button.primary.assist-ask', { type: 'button', onclick: () => void this.request() }, 'Ask')
    this.again = h('button.assist-again', { type: 'button', disabled: true, onclick: () => void this.request() }, 'Ask again')
    const selection = h('button.ghost.assist-use-loop', { type: 'button', title: 'Use the range marked on the ruler', onclick: () => this.useLoop() }, 'Use marked range')
    this.status = h('p.dialog-status.assist-status', { attrs: { role: 'status', 'aria-live': 'polite' } })
    this.list = h('ol.assist-alternatives', { attrs: { 'aria-label': 'Alternatives' } })
    this.inserted = h('ul.assist-inserted', { attrs: { 'aria-label': 'From the bandmate in this song' } })
    this.element = h(
      'aside.assist-panel',
      { hidden: true, attrs: { 'aria-label': 'Bandmate' } },
      h('div.assist-head', {}, h('h2', {}, 'Bandmate'), h('button.ghost.assist-close', { type: 'button', title: 'Close', onclick: () => this.close() }, '✕')),
      h('div.row', {}, h('label', {}, 'Ask for ', this.kind), h('label', {}, 'Style ', this.style)),
      h('div.row', {}, h('label', {}, 'From bar ', this.startBar), h('label', {}, 'Bars ', this.bars), selection),
      h('div.row.assist-over', {}, h('label', { title: 'The melody to harmonize, continue or write voices under' }, 'Over ', this.track)),
      h('div.row.assist-voices-row', { hidden: true }, h('label', { title: 'How many new voices to write under the melody' }, 'Voices ', this.voices)),
      h(
        'div.row.assist-grouping-row',
        { hidden: true },
        h('label', { title: 'How the band feels an odd bar: groups of eighths (7/8: 2+2+3) or beats (5/4: 3+2); empty: the usual one' }, 'Feel ', this.grouping),
        this.groupings,
      ),
      h('div.row', {}, h('label', { title: 'Below 1 safer, above 1 more adventurous' }, 'Adventure ', this.temperature), h('label', {}, 'Alternatives ', this.count)),
      h('div.row', {}, this.ask, this.again),
      this.status,
      this.list,
      h('h3', {}, 'From the bandmate in this song'),
      this.inserted,
      session.canEdit ? null : h('p.assist-note', {}, 'Viewers can ask and listen; inserting is for editors and owners.'),
    )
    song.onChange(() => {
      this.refreshTracks()
      this.refreshGrouping()
      this.refreshInserted()
    })
  }

  /** What the transport plays: the song, with the alternative being auditioned on top. */
  layer(song: SongView | null): SongView | null {
    return song === null ? null : layerSuggestion(song, this.preview)
  }

  open(): void {
    if (!this.element.isConnected) document.body.append(this.element)
    this.element.hidden = false
    this.refreshTracks()
    this.refreshGrouping()
    this.refreshInserted()
    if (!this.loaded) {
      this.loaded = true
      this.showKinds(FALLBACK_KINDS) // usable at once; the server's list (with styles) follows
      api.suggestionKinds().then(
        (kinds) => this.showKinds(kinds),
        () => this.showKinds(FALLBACK_KINDS),
      )
    }
  }

  close(): void {
    this.stopAudition()
    this.element.hidden = true
  }

  destroy(): void {
    this.stopAudition()
    this.element.remove()
  }

  private showKinds(kinds: SuggestionKind[]): void {
    const chosen = this.kind.value
    this.kinds = kinds
    this.kind.replaceChildren(...kinds.map((k) => h('option', { value: k.kind }, KIND_LABELS[k.kind] ?? k.kind)))
    if (kinds.some((k) => k.kind === chosen)) this.kind.value = chosen
    this.refreshStyles()
    this.element.dataset.kinds = kinds === FALLBACK_KINDS ? 'fallback' : 'server'
  }

  private refreshStyles(): void {
    const styles = this.kinds.find((k) => k.kind === this.kind.value)?.styles ?? []
    this.style.replaceChildren(h('option', { value: '' }, 'Any'), ...styles.map((s) => h('option', { value: s }, s)))
    this.style.disabled = styles.length === 0
    const over = this.element.querySelector<HTMLElement>('.assist-over')
    if (over !== null) over.hidden = !MELODY_KINDS.has(this.kind.value)
    const voices = this.element.querySelector<HTMLElement>('.assist-voices-row')
    if (voices !== null) voices.hidden = this.kind.value !== 'voices'
  }

  /** Offer a grouping for the band parts when the song has an odd or compound meter. */
  private refreshGrouping(): void {
    const row = this.element.querySelector<HTMLElement>('.assist-grouping-row')
    if (row === null) return
    const meters = this.song.get()?.meters ?? []
    const offered = groupingsFor(meters)
    if (this.groupings.dataset.offered !== offered.join(',')) {
      this.groupings.dataset.offered = offered.join(',')
      this.groupings.replaceChildren(...offered.map((g) => h('option', { value: g })))
    }
    const usual = meters.map(defaultGrouping).find((g) => g !== null)
    this.grouping.placeholder = usual === undefined ? '' : `usual: ${usual}`
    row.hidden = offered.length === 0 || !GROUPING_KINDS.has(this.kind.value)
  }

  /** The grouping to send: null when the choice is hidden or empty. */
  private chosenGrouping(): string | null {
    const row = this.element.querySelector<HTMLElement>('.assist-grouping-row')
    const text = this.grouping.value.trim()
    return row === null || row.hidden || text === '' ? null : text
  }

  private refreshTracks(): void {
    const view = this.song.get()
    const chosen = this.track.value
    const tracks = (view?.tracks ?? []).filter((t) => !t.drums)
    this.track.replaceChildren(h('option', { value: '' }, 'Highest melody'), ...tracks.map((t) => h('option', { value: t.id }, t.name)))
    this.track.value = tracks.some((t) => t.id === chosen) ? chosen : ''
  }

  /** List what the bandmate put in the song (whoever inserted it); anyone who may edit can
   * remove an entry, as their own edit (which their undo can bring back). */
  private refreshInserted(): void {
    const view = this.song.get()
    if (view === null || this.element.hidden) return
    const { doc, edit, canEdit } = this.session
    const remove = (what: () => void): HTMLButtonElement | null =>
      canEdit ? h('button.ghost.assist-remove', { type: 'button', onclick: what }, 'Remove') : null
    const rows: HTMLLIElement[] = []
    for (const track of view.tracks) {
      if (!byBandmate(doc, 'tracks', track.id)) continue
      rows.push(h('li', { dataset: { kind: 'track', id: track.id, name: track.name } }, `${track.name} · ${track.notes.length} notes`, remove(() => removeTrack(doc, track.id, edit))))
    }
    for (const chord of view.chords) {
      if (!byBandmate(doc, 'chords', chord.id)) continue
      const bar = barAt(view, chord.tick)
      rows.push(h('li', { dataset: { kind: 'chord', id: chord.id, symbol: chord.symbol } }, `${chord.symbol} · bar ${bar}`, remove(() => removeChord(doc, chord.id, edit))))
    }
    this.inserted.dataset.count = String(rows.length)
    this.inserted.replaceChildren(...rows)
  }

  private useLoop(): void {
    const view = this.song.get()
    const loop = this.store.get().loop
    if (view === null) return
    const first = barAt(view, loop.start)
    const last = barAt(view, Math.max(loop.start, loop.end - 1))
    this.startBar.value = String(first)
    this.bars.value = String(last - first + 1)
  }

  private body(): AssistRequest {
    const number = (input: HTMLInputElement): number | null => (input.value.trim() === '' ? null : Math.round(Number(input.value)))
    const grouping = this.chosenGrouping()
    return {
      ...(grouping === null ? {} : { grouping }),
      ...(this.kind.value === 'voices' ? { voices: Number(this.voices.value) } : {}),
      kind: this.kind.value,
      start_bar: number(this.startBar),
      bars: number(this.bars),
      track: this.track.value === '' || !MELODY_KINDS.has(this.kind.value) ? null : this.track.value,
      style: this.style.value === '' ? null : this.style.value,
      temperature: Number(this.temperature.value),
      alternatives: Number(this.count.value),
    }
  }

  private async request(): Promise<void> {
    this.stopAudition()
    const grouping = this.chosenGrouping()
    const problem = grouping === null ? null : groupingProblem(grouping, this.song.get()?.meters ?? [])
    if (problem !== null) {
      // Said here, as the server would say it, without a round trip.
      this.grouping.setCustomValidity(problem)
      this.status.classList.add('error')
      this.status.textContent = problem
      this.list.replaceChildren()
      return
    }
    this.ask.disabled = this.again.disabled = true
    this.status.classList.remove('error')
    this.status.textContent = 'Thinking…'
    try {
      const answer = await api.suggest(this.session.projectId, this.body())
      this.ppq = answer.ppq
      this.status.textContent = `${answer.alternatives.length} alternative${answer.alternatives.length === 1 ? '' : 's'}${answer.key === null ? '' : ` in ${answer.key}`}`
      this.list.replaceChildren(...answer.alternatives.map((alt, i) => this.row(alt, i)))
    } catch (error) {
      this.status.classList.add('error')
      this.status.textContent = error instanceof ApiError ? error.message : 'The server cannot be reached.'
      this.list.replaceChildren()
    } finally {
      this.ask.disabled = false
      this.again.disabled = false
    }
  }

  private row(alt: Alternative, index: number): HTMLLIElement {
    const listen: HTMLButtonElement = h('button.assist-listen', {
      type: 'button',
      attrs: { 'aria-pressed': 'false' },
      onclick: () => (this.preview === alt ? this.stopAudition() : this.audition(alt, listen)),
    }, 'Listen')
    const insert: HTMLButtonElement = h('button.primary.assist-insert', {
      type: 'button',
      disabled: !this.session.canEdit,
      onclick: () => this.insert(alt, insert),
    }, 'Insert')
    return h(
      'li.assist-alternative',
      { dataset: { index: String(index), kind: alt.kind } },
      h('span.assist-label', {}, alt.label),
      h('span.assist-detail', {}, describe(alt)),
      listen,
      insert,
    )
  }

  private audition(alt: Alternative, button: HTMLButtonElement): void {
    this.stopAudition()
    this.preview = alt
    button.setAttribute('aria-pressed', 'true')
    button.textContent = 'Stop'
    this.element.dataset.auditioning = alt.label
    // Start a bar before the suggestion so it is heard in context.
    const view = this.song.get()
    const before = view === null || alt.start_tick === 0 ? 0 : barTicks(meterAt(view.meters, alt.start_tick - 1), view.ppq)
    this.actions.play(Math.max(0, alt.start_tick - before))
  }

  private stopAudition(): void {
    if (this.preview === null) return
    this.preview = null
    delete this.element.dataset.auditioning
    for (const button of this.list.querySelectorAll<HTMLButtonElement>('.assist-listen')) {
      button.setAttribute('aria-pressed', 'false')
      button.textContent = 'Listen'
    }
    this.actions.stop()
  }

  private insert(alt: Alternative, button: HTMLButtonElement): void {
    const view = this.song.get()
    if (view === null) return
    this.stopAudition()
    try {
      // One undo step of its own: not merged with an edit made just before.
      this.session.undo.stopCapturing()
      const done = insertSuggestion(this.session.doc, view, this.ppq, alt, this.session.origin)
      this.session.undo.stopCapturing()
      button.disabled = true
      button.textContent = 'Inserted'
      this.status.classList.remove('error')
      const what = done.trackIds.length > 0 ? `${done.trackIds.length} track${done.trackIds.length === 1 ? '' : 's'}` : `${done.chordIds.length} chord${done.chordIds.length === 1 ? '' : 's'}`
      this.status.replaceChildren(
        `Inserted ${what} from the bandmate. `,
        h('button.ghost.assist-undo', {
          type: 'button',
          title: 'Take out what this inserted (Ctrl+Z undoes your last edit)',
          onclick: () => {
            this.session.undo.stopCapturing()
            removeInserted(this.session.doc, done, this.session.origin)
            this.status.textContent = `Took out ${what}.`
            button.disabled = false
            button.textContent = 'Insert'
          },
        }, 'Undo'),
      )
      if (done.trackIds[0] !== undefined) this.store.set({ trackId: done.trackIds[0], selection: new Set() })
    } catch (error) {
      this.status.classList.add('error')
      this.status.textContent = error instanceof Error ? error.message : String(error)
    }
  }
}
