import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkChordSymbol } from './chords.ts'

test('chord symbols musicians write are accepted', () => {
  for (const symbol of ['C', 'Am7', 'F#m7b5/E', 'G7(b9)', 'C6/9', 'Bbmaj7', 'Cø7', 'Dsus4', '']) {
    assert.equal(checkChordSymbol(symbol), null, symbol)
  }
})

test('anything else is refused with a hint', () => {
  for (const symbol of ['H7', 'am', 'C /E', 'C/X', '7']) assert.notEqual(checkChordSymbol(symbol), null, symbol)
})
