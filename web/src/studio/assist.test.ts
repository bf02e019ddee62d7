import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import type { Alternative } from '../api/client.ts'
import { createSong, readSong } from '../doc/schema.ts'
import { barAt, byBandmate, chordClash, defaultGrouping, groupingProblem, groupingsFor, insertSuggestion, layerSuggestion, PREVIEW_PREFIX, removeInserted, uniqueName } from './assist.ts'

function song(): Y.Doc {
  const doc = new Y.Doc()
  createSong(doc, {
    title: 'Tune',
    ppq: 480,
    meters: [{ tick: 0, numerator: 7, denominator: 8 }],
    tracks: [{ name: 'Lead', notes: [{ pitch: 60, start: 0, duration: 480, velocity: 90 }] }],
    chords: [{ tick: 0, duration: 1680, symbol: 'C' }],
  })
  return doc
}

function alternative(changes: Partial<Alternative> = {}): Alternative {
  return {
    kind: 'bass',
    label: 'rock bass, seed 1',
    probability: null,
    score: null,
    seed: 1,
    start_tick: 0,
    end_tick: 1680,
    chords: [],
    tracks: [{ name: 'Lead', program: 33, drums: false, volume: 100, pan: 0, notes: [{ pitch: 36, start: 0, duration: 240, velocity: 90 }] }],
    ...changes,
  }
}

test('an audition layers the suggestion over the song without touching the document', () => {
  const doc = song()
  const view = readSong(doc)
  const chords = alternative({ tracks: [], chords: [{ tick: 1680, duration: 1680, symbol: 'G', roman: 'V', probability: 0.4, pitches: [55, 59, 62] }] })
  const layered = layerSuggestion(view, chords)
  assert.equal(layered.tracks.length, 2)
  const pad = layered.tracks[1]!
  assert.ok(pad.id.startsWith(PREVIEW_PREFIX))
  assert.deepEqual(pad.notes.map((n) => [n.pitch, n.start, n.duration]), [[55, 1680, 1680], [59, 1680, 1680], [62, 1680, 1680]])
  assert.ok(pad.order > view.tracks[0]!.order)
  assert.equal(layerSuggestion(view, null), view)
  assert.equal(readSong(doc).tracks.length, 1)
  const bass = layerSuggestion(view, alternative())
  assert.deepEqual(bass.tracks.map((t) => [t.name, t.program]), [['Lead', 0], ['Lead', 33]])
})

test('inserting adds tracks and chords tagged as the bandmate, as one undo step of the person', () => {
  const doc = song()
  const origin = { local: true }
  const undo = new Y.UndoManager([...['tracks', 'chords'].map((n) => doc.getMap(n))], { trackedOrigins: new Set([origin]) })
  const alt = alternative({ chords: [{ tick: 1680, duration: 1680, symbol: 'G', roman: 'V', probability: null, pitches: null }] })
  const done = insertSuggestion(doc, readSong(doc), 480, alt, origin)
  const after = readSong(doc)
  assert.deepEqual(after.tracks.map((t) => t.name), ['Lead', 'Lead 2'])
  assert.deepEqual(after.tracks[1]!.notes.map((n) => n.pitch), [36])
  assert.deepEqual(after.chords.map((c) => c.symbol), ['C', 'G'])
  assert.ok(byBandmate(doc, 'tracks', done.trackIds[0]!))
  assert.ok(byBandmate(doc, 'chords', done.chordIds[0]!))
  assert.ok(!byBandmate(doc, 'tracks', after.tracks[0]!.id))
  assert.equal(undo.undoStack.length, 1)
  undo.undo()
  const undone = readSong(doc)
  assert.deepEqual(undone.tracks.map((t) => t.name), ['Lead'])
  assert.deepEqual(undone.chords.map((c) => c.symbol), ['C'])
})

test('a chord that would overlap one on the lane is refused and nothing is written', () => {
  const doc = song()
  const alt = alternative({ tracks: [], chords: [{ tick: 840, duration: 1680, symbol: 'F', roman: 'IV', probability: null, pitches: null }] })
  assert.match(chordClash(readSong(doc), alt) ?? '', /overlap C/)
  assert.throws(() => insertSuggestion(doc, readSong(doc), 480, alt, null), /overlap/)
  assert.throws(() => insertSuggestion(doc, readSong(doc), 96, alternative(), null), /ask again/)
  assert.equal(readSong(doc).chords.length, 1)
  assert.equal(readSong(doc).tracks.length, 1)
})

test('names and bars', () => {
  assert.equal(uniqueName('Bass', new Set(['Bass', 'Bass 2'])), 'Bass 3')
  assert.equal(uniqueName('Bass', new Set()), 'Bass')
  const view = readSong(song())
  assert.equal(barAt(view, 0), 1)
  assert.equal(barAt(view, 1679), 1)
  assert.equal(barAt(view, 1680), 2) // 7/8 at 480 ticks a quarter: 1680 ticks a bar
})

test("taking an insertion out removes exactly its entries, even after other edits, and can be undone", () => {
  const doc = song()
  const origin = { local: true }
  const undo = new Y.UndoManager([...['tracks', 'chords'].map((n) => doc.getMap(n))], { trackedOrigins: new Set([origin]) })
  const done = insertSuggestion(doc, readSong(doc), 480, alternative(), origin)
  undo.stopCapturing()
  insertSuggestion(doc, readSong(doc), 480, alternative({ tracks: [], chords: [{ tick: 1680, duration: 1680, symbol: 'G', roman: 'V', probability: null, pitches: null }] }), origin)
  undo.stopCapturing()
  assert.equal(removeInserted(doc, done, origin), 1)
  assert.deepEqual(readSong(doc).tracks.map((t) => t.name), ['Lead'])
  assert.deepEqual(readSong(doc).chords.map((c) => c.symbol), ['C', 'G']) // the later insertion stays
  assert.equal(removeInserted(doc, done, origin), 0) // already gone: nothing to do
  undo.undo()
  assert.deepEqual(readSong(doc).tracks.map((t) => t.name), ['Lead', 'Lead 2'])
})

test('groupings are offered for odd and compound meters only, the usual one first', () => {
  assert.deepEqual(groupingsFor([{ numerator: 4, denominator: 4 }, { numerator: 3, denominator: 4 }]), [])
  assert.deepEqual(groupingsFor([{ numerator: 7, denominator: 8 }]), ['2+2+3', '3+2+2', '2+3+2'])
  assert.deepEqual(groupingsFor([{ numerator: 5, denominator: 4 }, { numerator: 5, denominator: 8 }]), ['3+2', '2+3'])
  assert.deepEqual(groupingsFor([{ numerator: 6, denominator: 8 }]), ['3+3'])
  assert.deepEqual(groupingsFor([{ numerator: 11, denominator: 16 }]), ['2+2+2+2+3'])
  assert.equal(defaultGrouping({ numerator: 15, denominator: 16 }), '3+3+3+3+3')
  assert.equal(defaultGrouping({ numerator: 12, denominator: 8 }), '3+3+3+3')
  assert.equal(defaultGrouping({ numerator: 4, denominator: 4 }), null)
  assert.equal(defaultGrouping({ numerator: 3, denominator: 8 }), null)
})

test('a grouping is checked as the server checks it', () => {
  const seven = [{ numerator: 7, denominator: 8 }]
  assert.equal(groupingProblem('3+2+2', seven), null)
  assert.equal(groupingProblem(' 2 + 2 + 3 ', seven), null)
  assert.match(groupingProblem('3+x', seven) ?? '', /must be group sizes joined by '\+'/)
  assert.match(groupingProblem('', seven) ?? '', /joined by/)
  assert.match(groupingProblem('3++2', seven) ?? '', /joined by/)
  assert.match(groupingProblem('²+5', seven) ?? '', /joined by/)
  assert.match(groupingProblem('2+'.repeat(40), seven) ?? '', /joined by/)
  assert.match(groupingProblem('3+2', seven) ?? '', /adds up to 5: it fits no bar in 7\/8/)
  assert.match(groupingProblem('4+3', seven) ?? '', /groups must be 2 or 3 eighths/)
  assert.match(groupingProblem('5+2', seven) ?? '', /1\.\.12 groups of 1\.\.4/)
  assert.match(groupingProblem(Array(13).fill('1').join('+'), [{ numerator: 13, denominator: 4 }]) ?? '', /1\.\.12 groups/)
  const mixed = [{ numerator: 4, denominator: 4 }, { numerator: 7, denominator: 4 }]
  assert.equal(groupingProblem('4+3', mixed), null) // quarter-note meters take groups of 1..4 beats
  assert.equal(groupingProblem('2+2', mixed), null) // fits the 4/4 bars (the server takes it too)
})
