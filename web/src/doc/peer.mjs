#!/usr/bin/env node
// A yjs peer for the golden tests in tests/sync/test_golden.py: it builds and edits song
// documents with the real yjs library, following the schema of schema.ts (mirrored here in
// plain JavaScript so that the tests need no TypeScript build), and exchanges updates as base64.
//
//   node peer.mjs build              -> the golden song's full update (base64)
//   node peer.mjs decode             <- an update (base64)     -> the document as JSON
//   node peer.mjs edit               <- {base, client, ops}     -> {update, json}
//   node peer.mjs merge              <- {runs: [[update...]]}   -> [json per run]
//   node peer.mjs fixtures DIR       writes song.bin, concurrent-a.bin, concurrent-b.bin
//
// Updates are format v1. Client ids and ids are fixed or seeded, so the bytes are reproducible.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as Y from 'yjs'

const ROOTS = ['meta', 'tempos', 'meters', 'tracks', 'chords', 'sections']
const ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** A seeded generator of uniform numbers in [0, 1) (mulberry32). */
function seeded(seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function newId(random) {
  let id = ''
  for (let i = 0; i < 10; i++) id += ID_ALPHABET[Math.floor(random() * ID_ALPHABET.length)]
  return id
}

const entry = (data) => new Y.Map(Object.entries(data))
const nextOrder = (lane) => Math.max(-1, ...[...lane.values()].map((e) => e.get('order'))) + 1

function newDoc(client) {
  const doc = new Y.Doc()
  doc.clientID = client
  return doc
}

function toJSON(doc) {
  return Object.fromEntries(ROOTS.map((name) => [name, doc.getMap(name).toJSON()]))
}

const encode = (bytes) => Buffer.from(bytes).toString('base64')
const decode = (text) => new Uint8Array(Buffer.from(text, 'base64'))

// ---------------------------------------------------------------- the schema's edits

const EDITS = {
  setMeta(doc, _random, { title, key }) {
    const meta = doc.getMap('meta')
    if (title !== undefined) meta.set('title', title)
    if (key === null) meta.delete('key')
    else if (key !== undefined) meta.set('key', key)
  },
  setChange(doc, random, lane, change) {
    const map = doc.getMap(lane)
    const ids = [...map.keys()].filter((id) => map.get(id).get('tick') === change.tick).sort()
    if (ids.length === 0) map.set(newId(random), entry(change))
    else for (const [k, v] of Object.entries(change)) map.get(ids[0]).set(k, v)
  },
  addTrack(doc, random, init) {
    const tracks = doc.getMap('tracks')
    const id = newId(random)
    const { notes = [], ...fields } = init
    const track = entry({
      program: 0,
      drums: false,
      volume: 100,
      pan: 0,
      mute: false,
      solo: false,
      order: nextOrder(tracks),
      position: [0, 0, 0],
      ...fields,
    })
    track.set('notes', new Y.Map())
    tracks.set(id, track)
    for (const note of notes) EDITS.addNote(doc, random, id, note)
    return id
  },
  setTrack(doc, _random, trackId, changes) {
    const track = doc.getMap('tracks').get(trackId)
    for (const [k, v] of Object.entries(changes)) track.set(k, v)
  },
  removeTrack(doc, _random, trackId) {
    doc.getMap('tracks').delete(trackId)
  },
  addNote(doc, random, trackId, note) {
    const id = newId(random)
    doc.getMap('tracks').get(trackId).get('notes').set(id, entry(note))
    return id
  },
  setNote(doc, _random, trackId, noteId, changes) {
    const note = doc.getMap('tracks').get(trackId).get('notes').get(noteId)
    for (const [k, v] of Object.entries(changes)) note.set(k, v)
  },
  removeNote(doc, _random, trackId, noteId) {
    doc.getMap('tracks').get(trackId).get('notes').delete(noteId)
  },
  addChord(doc, random, chord) {
    const chords = doc.getMap('chords')
    chords.set(newId(random), entry({ ...chord, order: nextOrder(chords) }))
  },
  addSection(doc, random, section) {
    const sections = doc.getMap('sections')
    sections.set(newId(random), entry({ ...section, order: nextOrder(sections) }))
  },
}

function applyOps(doc, random, ops) {
  doc.transact(() => {
    for (const [name, ...args] of ops) EDITS[name](doc, random, ...args)
  })
}

// ---------------------------------------------------------------- the golden song

export const GOLDEN_CLIENT = 1001

/** The golden song, built as the studio would; tests/sync/test_golden.py expects it. */
function buildGolden() {
  const doc = newDoc(GOLDEN_CLIENT)
  const random = seeded(42)
  doc.transact(() => {
    const meta = doc.getMap('meta')
    meta.set('schema', 1)
    meta.set('title', 'Golden Hour — café')
    meta.set('ppq', 480)
    meta.set('key', 'F# minor')
    for (const tempo of [
      { tick: 0, bpm: 96 },
      { tick: 1920, bpm: 100.5 },
    ]) {
      EDITS.setChange(doc, random, 'tempos', tempo)
    }
    for (const meter of [
      { tick: 0, numerator: 4, denominator: 4 },
      { tick: 7680, numerator: 3, denominator: 4 },
    ]) {
      EDITS.setChange(doc, random, 'meters', meter)
    }
    EDITS.addTrack(doc, random, {
      name: 'Keys',
      program: 4,
      volume: 96,
      pan: -20,
      position: [-1.5, 0, 2],
      notes: [
        { pitch: 66, start: 0, duration: 480, velocity: 90 },
        { pitch: 69, start: 0, duration: 480, velocity: 80 },
        { pitch: 73, start: 0, duration: 480, velocity: 80 },
        { pitch: 64, start: 480, duration: 240, velocity: 70 },
      ],
    })
    EDITS.addTrack(doc, random, {
      name: 'Bass',
      program: 33,
      volume: 110,
      solo: true,
      notes: [
        { pitch: 42, start: 0, duration: 960, velocity: 100 },
        { pitch: 40, start: 960, duration: 960, velocity: 100 },
        { pitch: 42, start: 1920, duration: 1920, velocity: 112 },
      ],
    })
    EDITS.addTrack(doc, random, {
      name: 'Drums',
      drums: true,
      pan: 10,
      mute: true,
      notes: [
        { pitch: 36, start: 0, duration: 120, velocity: 127 },
        { pitch: 42, start: 0, duration: 60, velocity: 90 },
        { pitch: 42, start: 240, duration: 60, velocity: 64 },
        { pitch: 38, start: 480, duration: 120, velocity: 110 },
      ],
    })
    EDITS.addChord(doc, random, { tick: 0, duration: 1920, symbol: 'F#m' })
    EDITS.addChord(doc, random, { tick: 1920, duration: 960, symbol: 'D/F#' })
    EDITS.addChord(doc, random, { tick: 2880, duration: 960, symbol: 'C#7(b9)' })
    EDITS.addSection(doc, random, { tick: 0, name: 'Intro' })
    EDITS.addSection(doc, random, { tick: 3840, name: 'Verse' })
  })
  return doc
}

/** The ids of a track (by name) and of its note at (pitch, start). */
function find(doc, trackName, pitch, start) {
  for (const [trackId, track] of doc.getMap('tracks').entries()) {
    if (track.get('name') !== trackName) continue
    for (const [noteId, note] of track.get('notes').entries()) {
      if (note.get('pitch') === pitch && note.get('start') === start) return [trackId, noteId]
    }
  }
  throw new Error(`no note ${pitch}@${start} in ${trackName}`)
}

/** Two clients edit the golden song at once; both change the same note's pitch and start. */
function concurrentEdits(base) {
  const [keys, note] = find(base, 'Keys', 66, 0)
  const [bass, bassNote] = find(base, 'Bass', 40, 960)
  const a = [
    ['setNote', keys, note, { pitch: 68, start: 120 }],
    ['setMeta', { title: 'Golden Hour (A)' }],
    ['setChange', 'tempos', { tick: 0, bpm: 98 }],
  ]
  const b = [
    ['setNote', keys, note, { pitch: 67, start: 240, velocity: 101 }],
    ['removeNote', bass, bassNote],
    ['addChord', { tick: 3840, duration: 960, symbol: 'Bm7' }],
  ]
  return [
    edit(encode(Y.encodeStateAsUpdate(base)), 2001, a),
    edit(encode(Y.encodeStateAsUpdate(base)), 2002, b),
  ]
}

function edit(base, client, ops) {
  const doc = newDoc(client)
  Y.applyUpdate(doc, decode(base))
  const before = Y.encodeStateVector(doc)
  applyOps(doc, seeded(client), ops)
  return { update: encode(Y.encodeStateAsUpdate(doc, before)), json: toJSON(doc) }
}

function merge(updates) {
  const doc = newDoc(9999)
  for (const update of updates) Y.applyUpdate(doc, decode(update))
  return toJSON(doc)
}

// ---------------------------------------------------------------- command line

const readStdin = () => readFileSync(0, 'utf8')
const [command, ...args] = process.argv.slice(2)

switch (command) {
  case 'build':
    process.stdout.write(encode(Y.encodeStateAsUpdate(buildGolden())))
    break
  case 'decode': {
    const doc = newDoc(9998)
    Y.applyUpdate(doc, decode(readStdin().trim()))
    process.stdout.write(JSON.stringify(toJSON(doc)))
    break
  }
  case 'edit': {
    const { base, client, ops } = JSON.parse(readStdin())
    process.stdout.write(JSON.stringify(edit(base, client, ops)))
    break
  }
  case 'merge': {
    const { runs } = JSON.parse(readStdin())
    process.stdout.write(JSON.stringify(runs.map(merge)))
    break
  }
  case 'fixtures': {
    const [dir] = args
    mkdirSync(dir, { recursive: true })
    const golden = buildGolden()
    const [a, b] = concurrentEdits(golden)
    writeFileSync(join(dir, 'song.bin'), Y.encodeStateAsUpdate(golden))
    writeFileSync(join(dir, 'concurrent-a.bin'), decode(a.update))
    writeFileSync(join(dir, 'concurrent-b.bin'), decode(b.update))
    break
  }
  default:
    process.stderr.write(
      `usage: node peer.mjs build|decode|edit|merge|fixtures DIR (got ${command})\n`,
    )
    process.exit(2)
}
