/**
 * The song document: one Yjs document per song, the contract between the studio
 * and the server. The same schema is implemented in Python (`bandmate/sync/`,
 * pycrdt) and documented in `docs/song-document.md`; golden tests feed updates
 * made by yjs to pycrdt and back. Change the three together.
 *
 * Six root maps (root types never conflict, nested ones created concurrently do):
 *
 *   meta      {schema, title, ppq, key?}
 *   tempos    id -> Y.Map {tick, bpm}
 *   meters    id -> Y.Map {tick, numerator, denominator}
 *   tracks    id -> Y.Map {name, program, drums, volume, pan, mute, solo, order, position?,
 *                          notes: Y.Map id -> Y.Map {pitch, start, duration, velocity}}
 *   chords    id -> Y.Map {tick, duration, symbol, order}
 *   sections  id -> Y.Map {tick, name, order}
 *
 * Each entry is a Y.Map of its own, so two people editing different fields of
 * one note both win. Every function here writes only the fields it changes.
 */
import * as Y from 'yjs'

export const SCHEMA_VERSION = 1
export const ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
export const ID_LENGTH = 10
export const ROOTS = ['meta', 'tempos', 'meters', 'tracks', 'chords', 'sections'] as const
export type RootName = (typeof ROOTS)[number]

/** A track's place in the spatial mix: metres from the listener. */
export type Position = readonly [x: number, y: number, z: number]
export const ORIGIN: Position = [0, 0, 0]

export interface Meta {
  schema: number
  title: string
  ppq: number
  /** A key name such as "F# minor"; absent (or null) when unknown. */
  key?: string | null
}
export interface Note {
  pitch: number
  start: number
  duration: number
  velocity: number
}
export interface TrackFields {
  name: string
  program: number
  drums: boolean
  volume: number
  pan: number
  mute: boolean
  solo: boolean
  order: number
  position: Position
}
export interface Tempo {
  tick: number
  bpm: number
}
export interface Meter {
  tick: number
  numerator: number
  denominator: number
}
export interface Chord {
  tick: number
  duration: number
  /** A chord symbol such as "F#m7b5/E" (Bandmate's parse_chord reads it). */
  symbol: string
  order: number
}
export interface Section {
  tick: number
  name: string
  order: number
}

/** A Y.Map holding the fields of T. */
export type Entry<T> = Y.Map<T[keyof T]>
export type NoteEntry = Entry<Note>
export interface TrackShape extends TrackFields {
  notes: Y.Map<NoteEntry>
}
export type TrackEntry = Entry<TrackShape>

export interface SongRoots {
  meta: Entry<Meta>
  tempos: Y.Map<Entry<Tempo>>
  meters: Y.Map<Entry<Meter>>
  tracks: Y.Map<TrackEntry>
  chords: Y.Map<Entry<Chord>>
  sections: Y.Map<Entry<Section>>
}

/** The six root maps of a song document. */
export function songRoots(doc: Y.Doc): SongRoots {
  return {
    meta: doc.getMap('meta'),
    tempos: doc.getMap('tempos'),
    meters: doc.getMap('meters'),
    tracks: doc.getMap('tracks'),
    chords: doc.getMap('chords'),
    sections: doc.getMap('sections'),
  }
}

/** Thrown when a document breaks the schema; the message names path, value and rule. */
export class DocumentError extends Error {
  override name = 'DocumentError'
}

// ---------------------------------------------------------------- ids

/** A source of uniform numbers in [0, 1); inject a seeded one in tests. */
export type Random = () => number

interface RandomSource {
  getRandomValues(array: Uint32Array): Uint32Array
}

function cryptoRandom(): number {
  const source = (globalThis as { crypto?: RandomSource }).crypto
  if (source === undefined) return Math.random()
  return source.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32
}

/** A fresh entry id: 10 base62 characters (about 59.5 random bits). */
export function newId(random: Random = cryptoRandom): string {
  let id = ''
  for (let i = 0; i < ID_LENGTH; i++) id += ID_ALPHABET[Math.floor(random() * ID_ALPHABET.length)]
  return id
}

// ---------------------------------------------------------------- field rules

type Rule =
  | { kind: 'int'; min: number; max: number; powerOfTwo?: boolean }
  | { kind: 'number'; min: number; max: number }
  | { kind: 'string' }
  | { kind: 'boolean' }
  | { kind: 'position' }

const MAX_SAFE = Number.MAX_SAFE_INTEGER
const int = (min: number, max = MAX_SAFE): Rule => ({ kind: 'int', min, max })
const num = (min = -Infinity, max = Infinity): Rule => ({ kind: 'number', min, max })
const STRING: Rule = { kind: 'string' }
const BOOLEAN: Rule = { kind: 'boolean' }
const PPQ = int(1, 0x7fff)

export const NOTE_RULES: Record<keyof Note, Rule> = {
  pitch: int(0, 127),
  start: int(0),
  duration: int(1),
  velocity: int(1, 127),
}
export const TRACK_RULES: Record<keyof TrackFields, Rule> = {
  name: STRING,
  program: int(0, 127),
  drums: BOOLEAN,
  volume: int(0, 127),
  pan: int(-64, 63),
  mute: BOOLEAN,
  solo: BOOLEAN,
  order: num(),
  position: { kind: 'position' },
}
export const TEMPO_RULES: Record<keyof Tempo, Rule> = { tick: int(0), bpm: num(1, 1000) }
export const METER_RULES: Record<keyof Meter, Rule> = {
  tick: int(0),
  numerator: int(1, 64),
  denominator: { kind: 'int', min: 1, max: 64, powerOfTwo: true },
}
export const CHORD_RULES: Record<keyof Chord, Rule> = {
  tick: int(0),
  duration: int(1),
  symbol: STRING,
  order: num(),
}
export const SECTION_RULES: Record<keyof Section, Rule> = {
  tick: int(0),
  name: STRING,
  order: num(),
}

function describe(value: unknown): string {
  return value === undefined ? 'missing' : (JSON.stringify(value) ?? String(value))
}

function check(rule: Rule, value: unknown, path: string): void {
  const fail = (why: string): never => {
    throw new DocumentError(`${path}=${describe(value)} ${why}`)
  }
  switch (rule.kind) {
    case 'string':
      if (typeof value !== 'string') fail('must be a string')
      return
    case 'boolean':
      if (typeof value !== 'boolean') fail('must be a boolean')
      return
    case 'position':
      if (!Array.isArray(value) || value.length !== 3) fail('must be an array [x, y, z]')
      ;(value as unknown[]).forEach((c, i) => check(num(), c, `${path}/${i}`))
      return
    case 'int':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) fail('must be a finite number')
      if (rule.kind === 'int' && !Number.isInteger(value)) fail('must be an integer')
      if ((value as number) < rule.min || (value as number) > rule.max) {
        fail(`must be in ${rule.min}..${rule.max}`)
      }
      if (
        rule.kind === 'int' &&
        rule.powerOfTwo === true &&
        !Number.isInteger(Math.log2(value as number))
      ) {
        fail('must be a power of two')
      }
  }
}

/** Check the given fields against their rules; throw DocumentError naming the first bad one. */
export function checkFields<T>(rules: Record<keyof T, Rule>, data: Partial<T>, path: string): void {
  for (const key of Object.keys(data) as (keyof T & string)[]) {
    if (key in rules) check(rules[key], data[key], `${path}/${key}`)
  }
}

function readEntry<T>(rules: Record<keyof T, Rule>, value: unknown, path: string): T {
  if (!(value instanceof Y.Map)) throw new DocumentError(`${path} must be a Y.Map`)
  const out: Partial<T> = {}
  for (const key of Object.keys(rules) as (keyof T & string)[]) {
    let field: unknown = value.get(key)
    if (key === 'position' && field == null) field = ORIGIN
    check(rules[key], field, `${path}/${key}`)
    out[key] = field as T[keyof T & string]
  }
  return out as T
}

// ---------------------------------------------------------------- writing

function entry<T extends object>(data: T): Entry<T> {
  return new Y.Map<T[keyof T]>(Object.entries(data) as [string, T[keyof T]][])
}

function setFields<T extends object>(map: Entry<T>, changes: Partial<T>): void {
  for (const [key, value] of Object.entries(changes) as [string, T[keyof T]][]) {
    if (value !== undefined && map.get(key) !== value) map.set(key, value)
  }
}

function child<T>(parent: Y.Map<T>, id: string, path: string): T {
  const value = parent.get(id)
  if (value === undefined) throw new DocumentError(`${path} does not exist`)
  return value
}

function nextOrder<V>(lane: Y.Map<V>): number {
  let highest = -1
  lane.forEach((value: V) => {
    const order: unknown =
      value instanceof Y.Map ? (value as Y.Map<unknown>).get('order') : undefined
    if (typeof order === 'number' && order > highest) highest = order
  })
  return highest + 1
}

export interface TrackInit extends Partial<TrackFields> {
  name: string
  notes?: readonly Note[]
}
export interface SongInit {
  title: string
  ppq?: number
  key?: string | null
  tempos?: readonly Tempo[]
  meters?: readonly Meter[]
  tracks?: readonly TrackInit[]
  chords?: readonly Omit<Chord, 'order'>[]
  sections?: readonly Omit<Section, 'order'>[]
}

export interface Options {
  random?: Random
  /** The transaction origin (e.g. the local user, so an UndoManager tracks it). */
  origin?: unknown
}

/** Write a new song into an empty document, in one transaction. */
export function createSong(doc: Y.Doc, song: SongInit, options: Options = {}): void {
  const roots = songRoots(doc)
  doc.transact(() => {
    const meta: Meta = { schema: SCHEMA_VERSION, title: song.title, ppq: song.ppq ?? 480 }
    check(STRING, meta.title, 'meta/title')
    check(PPQ, meta.ppq, 'meta/ppq')
    if (song.key != null) meta.key = song.key
    setFields(roots.meta, meta)
    for (const tempo of song.tempos ?? [{ tick: 0, bpm: 120 }]) setTempo(doc, tempo, options)
    for (const meter of song.meters ?? [{ tick: 0, numerator: 4, denominator: 4 }]) {
      setMeter(doc, meter, options)
    }
    for (const track of song.tracks ?? []) addTrack(doc, track, options)
    for (const chord of song.chords ?? []) addChord(doc, chord, options)
    for (const section of song.sections ?? []) addSection(doc, section, options)
  }, options.origin)
}

/** Add a track (after the others unless `order` is given) with its notes; return its id. */
export function addTrack(doc: Y.Doc, init: TrackInit, options: Options = {}): string {
  const { tracks } = songRoots(doc)
  const id = newId(options.random)
  doc.transact(() => {
    const fields: TrackFields = {
      name: init.name,
      program: init.program ?? 0,
      drums: init.drums ?? false,
      volume: init.volume ?? 100,
      pan: init.pan ?? 0,
      mute: init.mute ?? false,
      solo: init.solo ?? false,
      order: init.order ?? nextOrder(tracks),
      position: init.position ?? ORIGIN,
    }
    checkFields(TRACK_RULES, fields, `tracks/${id}`)
    const track: TrackEntry = entry<TrackShape>({
      ...fields,
      position: [...fields.position],
      notes: new Y.Map<NoteEntry>(),
    })
    tracks.set(id, track)
    for (const note of init.notes ?? []) addNote(doc, id, note, options)
  }, options.origin)
  return id
}

/** Change some fields of a track (mixer moves, renames, instrument changes). */
export function setTrack(
  doc: Y.Doc,
  trackId: string,
  changes: Partial<TrackFields>,
  options: Options = {},
): void {
  checkFields(TRACK_RULES, changes, `tracks/${trackId}`)
  const track = child(songRoots(doc).tracks, trackId, `tracks/${trackId}`)
  const { position, ...rest } = changes
  doc.transact(() => {
    setFields<TrackShape>(track, rest)
    if (position !== undefined) track.set('position', [...position])
  }, options.origin)
}

/** Move a track to `index` among the others, by giving it an order between its new neighbours. */
export function moveTrack(doc: Y.Doc, trackId: string, index: number, options: Options = {}): void {
  const others: { id: string; order: number }[] = []
  songRoots(doc).tracks.forEach((track, id) => {
    const order: unknown = track instanceof Y.Map ? track.get('order') : undefined
    if (id !== trackId && typeof order === 'number') others.push({ id, order })
  })
  others.sort((a, b) => a.order - b.order || byId(a, b))
  const before = others[index - 1]?.order
  const after = others[index]?.order
  const order =
    before === undefined
      ? (after ?? 0) - 1
      : after === undefined
        ? before + 1
        : (before + after) / 2
  setTrack(doc, trackId, { order }, options)
}

export function removeTrack(doc: Y.Doc, trackId: string, options: Options = {}): void {
  doc.transact(() => songRoots(doc).tracks.delete(trackId), options.origin)
}

function notesOf(doc: Y.Doc, trackId: string): Y.Map<NoteEntry> {
  const track = child(songRoots(doc).tracks, trackId, `tracks/${trackId}`)
  const notes = track.get('notes')
  if (!(notes instanceof Y.Map)) throw new DocumentError(`tracks/${trackId}/notes must be a Y.Map`)
  return notes as Y.Map<NoteEntry>
}

/** Add a note to a track; return its id. */
export function addNote(doc: Y.Doc, trackId: string, note: Note, options: Options = {}): string {
  const id = newId(options.random)
  checkFields(NOTE_RULES, note, `tracks/${trackId}/notes/${id}`)
  const notes = notesOf(doc, trackId)
  doc.transact(() => notes.set(id, entry(note)), options.origin)
  return id
}

/** Change some fields of a note: only those are written, so concurrent edits of others merge. */
export function setNote(
  doc: Y.Doc,
  trackId: string,
  noteId: string,
  changes: Partial<Note>,
  options: Options = {},
): void {
  const path = `tracks/${trackId}/notes/${noteId}`
  checkFields(NOTE_RULES, changes, path)
  const note = child(notesOf(doc, trackId), noteId, path)
  doc.transact(() => setFields(note, changes), options.origin)
}

/** Move a note in time and/or pitch. */
export function moveNote(
  doc: Y.Doc,
  trackId: string,
  noteId: string,
  to: { start?: number; pitch?: number },
  options: Options = {},
): void {
  setNote(doc, trackId, noteId, to, options)
}

export function removeNote(
  doc: Y.Doc,
  trackId: string,
  noteId: string,
  options: Options = {},
): void {
  const notes = notesOf(doc, trackId)
  doc.transact(() => notes.delete(noteId), options.origin)
}

/** Set the tempo from `tick` on, reusing the entry already at that tick; return its id. */
export function setTempo(doc: Y.Doc, tempo: Tempo, options: Options = {}): string {
  checkFields(TEMPO_RULES, tempo, 'tempos')
  return setChange(doc, songRoots(doc).tempos, tempo, options)
}

/** Set the meter from `tick` (a bar line) on, reusing the entry at that tick; return its id. */
export function setMeter(doc: Y.Doc, meter: Meter, options: Options = {}): string {
  checkFields(METER_RULES, meter, 'meters')
  return setChange(doc, songRoots(doc).meters, meter, options)
}

function setChange<T extends { tick: number }>(
  doc: Y.Doc,
  lane: Y.Map<Entry<T>>,
  change: T,
  options: Options,
): string {
  // Where concurrent edits left several entries at one tick, readers use the smallest id.
  const ids = [...lane.keys()].filter((id) => lane.get(id)?.get('tick') === change.tick).sort()
  const id = ids[0] ?? newId(options.random)
  doc.transact(() => {
    const existing = lane.get(id)
    if (existing === undefined) lane.set(id, entry(change))
    else setFields(existing, change)
  }, options.origin)
  return id
}

/** Remove the tempo change at `tick` (not the one at tick 0, which every song has). */
export function removeTempo(doc: Y.Doc, tick: number, options: Options = {}): void {
  removeChange(doc, songRoots(doc).tempos, tick, options)
}

export function removeMeter(doc: Y.Doc, tick: number, options: Options = {}): void {
  removeChange(doc, songRoots(doc).meters, tick, options)
}

function removeChange<T extends { tick: number }>(
  doc: Y.Doc,
  lane: Y.Map<Entry<T>>,
  tick: number,
  options: Options,
): void {
  if (tick === 0) throw new DocumentError('the change at tick 0 cannot be removed: set it instead')
  doc.transact(() => {
    for (const id of [...lane.keys()]) if (lane.get(id)?.get('tick') === tick) lane.delete(id)
  }, options.origin)
}

/** Add a chord on the chord lane (after any chord at the same tick); return its id. */
export function addChord(doc: Y.Doc, chord: Omit<Chord, 'order'>, options: Options = {}): string {
  const { chords } = songRoots(doc)
  const id = newId(options.random)
  const data: Chord = { ...chord, order: nextOrder(chords) }
  checkFields(CHORD_RULES, data, `chords/${id}`)
  doc.transact(() => chords.set(id, entry(data)), options.origin)
  return id
}

/** Add a section marker (after any at the same tick); return its id. */
export function addSection(
  doc: Y.Doc,
  section: Omit<Section, 'order'>,
  options: Options = {},
): string {
  const { sections } = songRoots(doc)
  const id = newId(options.random)
  const data: Section = { ...section, order: nextOrder(sections) }
  checkFields(SECTION_RULES, data, `sections/${id}`)
  doc.transact(() => sections.set(id, entry(data)), options.origin)
  return id
}

/** Change a chord's symbol, start or length (only the fields given are written). */
export function setChord(
  doc: Y.Doc,
  chordId: string,
  changes: Partial<Omit<Chord, 'order'>>,
  options: Options = {},
): void {
  checkFields(CHORD_RULES, changes, `chords/${chordId}`)
  const chord = child(songRoots(doc).chords, chordId, `chords/${chordId}`)
  doc.transact(() => setFields(chord, changes), options.origin)
}

/** Rename or move a section marker (only the fields given are written). */
export function setSection(
  doc: Y.Doc,
  sectionId: string,
  changes: Partial<Omit<Section, 'order'>>,
  options: Options = {},
): void {
  checkFields(SECTION_RULES, changes, `sections/${sectionId}`)
  const section = child(songRoots(doc).sections, sectionId, `sections/${sectionId}`)
  doc.transact(() => setFields(section, changes), options.origin)
}

export function removeChord(doc: Y.Doc, chordId: string, options: Options = {}): void {
  doc.transact(() => songRoots(doc).chords.delete(chordId), options.origin)
}

export function removeSection(doc: Y.Doc, sectionId: string, options: Options = {}): void {
  doc.transact(() => songRoots(doc).sections.delete(sectionId), options.origin)
}

/** Set the title and/or the key (`null` clears the key). */
export function setMeta(
  doc: Y.Doc,
  changes: { title?: string; key?: string | null },
  options: Options = {},
): void {
  const { meta } = songRoots(doc)
  if (changes.title !== undefined) check(STRING, changes.title, 'meta/title')
  doc.transact(() => {
    if (changes.title !== undefined) meta.set('title', changes.title)
    if (changes.key === null) meta.delete('key')
    else if (changes.key !== undefined) meta.set('key', changes.key)
  }, options.origin)
}

// ---------------------------------------------------------------- reading

export type WithId<T> = T & { id: string }
export interface TrackView extends TrackFields {
  id: string
  /** Sorted by (start, pitch). */
  notes: WithId<Note>[]
}
export interface SongView {
  title: string
  ppq: number
  key: string | null
  tempos: Tempo[]
  meters: Meter[]
  tracks: TrackView[]
  chords: WithId<Chord>[]
  sections: WithId<Section>[]
}

function readLane<T, V>(lane: Y.Map<V>, rules: Record<keyof T, Rule>, path: string): WithId<T>[] {
  return [...lane.entries()].map(([id, value]) => ({
    ...readEntry(rules, value, `${path}/${id}`),
    id,
  }))
}

const byId = (a: { id: string }, b: { id: string }): number =>
  a.id < b.id ? -1 : a.id > b.id ? 1 : 0

function resolveChanges<T extends { tick: number }>(changes: WithId<T>[], fallback: T): T[] {
  // One change per tick, the smallest id winning; the song's default at tick 0 if none.
  const byTick = new Map<number, T>()
  for (const { id: _id, ...change } of [...changes].sort(byId)) {
    if (!byTick.has(change.tick)) byTick.set(change.tick, change as unknown as T)
  }
  const sorted = [...byTick.values()].sort((a, b) => a.tick - b.tick)
  if (sorted[0]?.tick !== 0) sorted.unshift(fallback)
  return sorted
}

/**
 * Read and check the whole song, resolving merges the way Python's `doc_to_song` does.
 * Chord symbols and the key are checked to be strings only (the server parses them).
 */
export function readSong(doc: Y.Doc): SongView {
  const roots = songRoots(doc)
  const schema: unknown = roots.meta.get('schema')
  check(int(1, SCHEMA_VERSION), schema, 'meta/schema')
  const title: unknown = roots.meta.get('title')
  check(STRING, title, 'meta/title')
  const ppq: unknown = roots.meta.get('ppq')
  check(PPQ, ppq, 'meta/ppq')
  const key: unknown = roots.meta.get('key') ?? null
  if (key !== null) check(STRING, key, 'meta/key')
  const tracks = [...roots.tracks.entries()].map(([id, value]): TrackView => {
    const path = `tracks/${id}`
    const fields = readEntry<TrackFields>(TRACK_RULES, value, path)
    const lane: unknown = (value as Y.Map<unknown>).get('notes')
    if (!(lane instanceof Y.Map)) throw new DocumentError(`${path}/notes must be a Y.Map`)
    const notes = readLane<Note, unknown>(lane, NOTE_RULES, `${path}/notes`)
    notes.sort(
      (a, b) =>
        a.start - b.start ||
        a.pitch - b.pitch ||
        a.duration - b.duration ||
        a.velocity - b.velocity,
    )
    return { ...fields, id, notes }
  })
  tracks.sort((a, b) => a.order - b.order || byId(a, b))
  const byTickOrderId = <T extends { tick: number; order: number; id: string }>(
    a: T,
    b: T,
  ): number => a.tick - b.tick || a.order - b.order || byId(a, b)
  return {
    title: title as string,
    ppq: ppq as number,
    key: key as string | null,
    tempos: resolveChanges(readLane<Tempo, Entry<Tempo>>(roots.tempos, TEMPO_RULES, 'tempos'), {
      tick: 0,
      bpm: 120,
    }),
    meters: resolveChanges(readLane<Meter, Entry<Meter>>(roots.meters, METER_RULES, 'meters'), {
      tick: 0,
      numerator: 4,
      denominator: 4,
    }),
    tracks,
    chords: readLane<Chord, Entry<Chord>>(roots.chords, CHORD_RULES, 'chords').sort(byTickOrderId),
    sections: readLane<Section, Entry<Section>>(roots.sections, SECTION_RULES, 'sections').sort(
      byTickOrderId,
    ),
  }
}
