import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import { createSong, DocumentError, readSong, type Meter, type Random } from '../doc/schema.ts'
import {
  addSectionAt,
  barNumber,
  barStart,
  checkSectionName,
  deleteSection,
  MAX_SECTION_NAME,
  moveSection,
  nearestBar,
  renameSection,
  sectionBands,
  sectionColour,
  suggestName,
} from './sections.ts'

function seeded(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

// 4/4 for two bars, then 3/4 from tick 3840 (ppq 480: a 4/4 bar is 1920 ticks, a 3/4 bar 1440).
const METERS: Meter[] = [
  { tick: 0, numerator: 4, denominator: 4 },
  { tick: 3840, numerator: 3, denominator: 4 },
]

function song(meters: Meter[] = METERS): Y.Doc {
  const doc = new Y.Doc()
  createSong(doc, { title: 'Sections', meters }, { random: seeded(1) })
  return doc
}

test('usual section names are accepted, empty, long and control-character names refused', () => {
  for (const name of ['Intro', 'Verse 2', 'Pre-chorus', 'Coda ♪', 'x'.repeat(MAX_SECTION_NAME), '  Chorus  ']) {
    assert.equal(checkSectionName(name), null, name)
  }
  for (const name of ['', '   ', 'x'.repeat(MAX_SECTION_NAME + 1), 'Verse\n2', 'Bad\u0000', 'Half \uD800']) {
    assert.notEqual(checkSectionName(name), null, JSON.stringify(name))
  }
  // Length counts characters, not UTF-16 units: 40 emoji are fine.
  assert.equal(checkSectionName('🎸'.repeat(MAX_SECTION_NAME)), null)
})

test('bar starts follow meter changes', () => {
  assert.equal(barStart(METERS, 480, 0), 0)
  assert.equal(barStart(METERS, 480, 1919), 0)
  assert.equal(barStart(METERS, 480, 1920), 1920)
  assert.equal(barStart(METERS, 480, 3900), 3840)
  assert.equal(barStart(METERS, 480, 3840 + 1440 + 5), 3840 + 1440)
  assert.equal(barStart(METERS, 480, -50), 0)
  assert.equal(nearestBar(METERS, 480, 900), 0)
  assert.equal(nearestBar(METERS, 480, 1000), 1920)
  assert.equal(nearestBar(METERS, 480, 3840 + 800), 3840 + 1440)
  assert.equal(barNumber(METERS, 480, 0), 1)
  assert.equal(barNumber(METERS, 480, 3840), 3)
  assert.equal(barNumber(METERS, 480, 3840 + 1440), 4)
})

test('a meter change at an odd place starts a bar of its own', () => {
  const meters: Meter[] = [
    { tick: 0, numerator: 4, denominator: 4 },
    { tick: 2400, numerator: 4, denominator: 4 },
  ]
  assert.equal(barStart(meters, 480, 2300), 1920)
  assert.equal(barStart(meters, 480, 2500), 2400)
  assert.equal(nearestBar(meters, 480, 2300), 2400) // the short bar ends at the change
})

test('sections are added at the bar under the click, with their names trimmed', () => {
  const doc = song()
  const intro = addSectionAt(doc, readSong(doc), 100, ' Intro ', { random: seeded(2) })
  const verse = addSectionAt(doc, readSong(doc), 3900, 'Verse', { random: seeded(3) })
  const view = readSong(doc)
  assert.deepEqual(
    view.sections.map((s) => [s.id, s.tick, s.name]),
    [
      [intro, 0, 'Intro'],
      [verse, 3840, 'Verse'],
    ],
  )
})

test('bad names are refused with the field and the rule, and nothing is written', () => {
  const doc = song()
  const id = addSectionAt(doc, readSong(doc), 0, 'Intro')
  for (const name of ['', ' ', 'y'.repeat(MAX_SECTION_NAME + 1), 'a\tb']) {
    assert.throws(() => addSectionAt(doc, readSong(doc), 1920, name), (e: unknown) => e instanceof DocumentError && /sections\/name=/.test(e.message))
    assert.throws(() => renameSection(doc, id, name), (e: unknown) => e instanceof DocumentError && e.message.includes(`sections/${id}/name=`))
  }
  assert.deepEqual(
    readSong(doc).sections.map((s) => s.name),
    ['Intro'],
  )
  assert.throws(() => renameSection(doc, 'gone', 'Verse'), /sections\/gone does not exist/)
})

test('rename, move (snapped to a bar) and delete', () => {
  const doc = song()
  const id = addSectionAt(doc, readSong(doc), 0, 'Verse')
  renameSection(doc, id, 'Chorus')
  assert.equal(moveSection(doc, readSong(doc), id, 4000), 3840)
  assert.deepEqual(
    readSong(doc).sections.map((s) => [s.tick, s.name]),
    [[3840, 'Chorus']],
  )
  deleteSection(doc, id)
  assert.equal(readSong(doc).sections.length, 0)
  deleteSection(doc, id) // already gone: not an error
})

test('edits reach another replica, and each person undoes only their own', () => {
  const ana = song()
  const ben = new Y.Doc()
  const sync = (): void => {
    Y.applyUpdate(ben, Y.encodeStateAsUpdate(ana, Y.encodeStateVector(ben)))
    Y.applyUpdate(ana, Y.encodeStateAsUpdate(ben, Y.encodeStateVector(ana)))
  }
  sync()
  const anaEdit = { origin: { local: 'ana' } }
  const benEdit = { origin: { local: 'ben' } }
  const anaUndo = new Y.UndoManager(ana.getMap('sections'), { trackedOrigins: new Set([anaEdit.origin]) })
  const benUndo = new Y.UndoManager(ben.getMap('sections'), { trackedOrigins: new Set([benEdit.origin]) })

  const intro = addSectionAt(ana, readSong(ana), 0, 'Intro', anaEdit)
  sync()
  assert.deepEqual(
    readSong(ben).sections.map((s) => s.name),
    ['Intro'],
  )
  anaUndo.stopCapturing()
  renameSection(ana, intro, 'Opening', anaEdit)
  addSectionAt(ben, readSong(ben), 1920, 'Verse', benEdit)
  sync()
  const both = (doc: Y.Doc): string[] => readSong(doc).sections.map((s) => `${s.tick}:${s.name}`)
  assert.deepEqual(both(ana), ['0:Opening', '1920:Verse'])
  assert.deepEqual(both(ben), both(ana))

  benUndo.undo() // Ben's verse goes; Ana's rename stays
  sync()
  assert.deepEqual(both(ana), ['0:Opening'])
  anaUndo.undo() // then Ana's rename
  sync()
  assert.deepEqual(both(ben), ['0:Intro'])
  anaUndo.redo()
  sync()
  assert.deepEqual(both(ben), ['0:Opening'])
})

test('bands reach the next section, the last one the end of the view', () => {
  const sections = [
    { id: 'a', tick: 0, name: 'Intro', order: 0 },
    { id: 'b', tick: 1920, name: 'Verse', order: 1 },
    { id: 'c', tick: 1920, name: 'Verse 2', order: 2 },
    { id: 'd', tick: 7680, name: 'Outro', order: 3 },
  ]
  assert.deepEqual(
    sectionBands(sections, 9600).map((b) => [b.id, b.tick, b.end]),
    [
      ['a', 0, 1920],
      ['b', 1920, 1920], // shares its tick with c: c's band
      ['c', 1920, 7680],
      ['d', 7680, 9600],
    ],
  )
  assert.deepEqual(sectionBands([], 9600), [])
  // A section past the end of the view has an empty band, not a negative one.
  assert.equal(sectionBands([{ id: 'z', tick: 20000, name: 'Coda', order: 0 }], 9600)[0]!.end, 20000)
})

test('usual names have their own colours; numbered ones share them', () => {
  const colours = ['Intro', 'Verse', 'Chorus', 'Bridge', 'Outro'].map(sectionColour)
  assert.equal(new Set(colours).size, 5)
  assert.equal(sectionColour('Verse 2'), sectionColour('verse'))
  assert.equal(sectionColour('Chorus2'), sectionColour('Chorus'))
  assert.match(sectionColour('Solo'), /^#[0-9a-f]{6}$/)
  assert.equal(sectionColour('Solo'), sectionColour('Solo'))
})

test('the suggested name follows the section before', () => {
  const at = (tick: number, name: string): { tick: number; name: string; order: number } => ({ tick, name, order: 0 })
  assert.equal(suggestName([], 0), 'Intro')
  assert.equal(suggestName([at(0, 'Intro')], 1920), 'Verse')
  assert.equal(suggestName([at(0, 'Intro'), at(1920, 'Verse 1')], 3840), 'Chorus')
  assert.equal(suggestName([at(0, 'Intro'), at(1920, 'Chorus')], 3840), 'Verse')
  assert.equal(suggestName([at(1920, 'Verse')], 0), 'Intro')
  assert.equal(suggestName([at(0, 'Solo')], 1920), 'Verse')
})
