import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isBlackKey, keyName, keySignature, KEY_NAMES, parseKeyName, pitchName } from './pitch.ts'

test('pitch names put middle C at C4', () => {
  assert.equal(pitchName(60), 'C4')
  assert.equal(pitchName(69), 'A4')
  assert.equal(pitchName(0), 'C-1')
  assert.equal(pitchName(127), 'G9')
  assert.ok(isBlackKey(61) && !isBlackKey(64))
})

test('key signatures follow the spelling of the key', () => {
  assert.deepEqual(keySignature('C major'), { sharps: 0, minor: false })
  assert.deepEqual(keySignature('A minor'), { sharps: 0, minor: true })
  assert.deepEqual(keySignature('F# minor'), { sharps: 3, minor: true })
  assert.deepEqual(keySignature('Bb major'), { sharps: -2, minor: false })
  assert.deepEqual(keySignature('Gb major'), { sharps: -6, minor: false })
  assert.deepEqual(keySignature('F# major'), { sharps: 6, minor: false })
  assert.deepEqual(keySignature('C# major'), { sharps: 7, minor: false })
  assert.deepEqual(keySignature('Eb minor'), { sharps: -6, minor: true })
  assert.equal(keySignature('D dorian'), null)
})

test('every key in the menu survives a round trip through its signature', () => {
  for (const name of KEY_NAMES) {
    const signature = keySignature(name)
    assert.ok(signature !== null, name)
    const back = keyName(signature.sharps, signature.minor)
    assert.ok(back !== null)
    assert.deepEqual(parseKeyName(back), parseKeyName(name), `${name} -> ${back}`)
  }
  assert.equal(keyName(8, false), null)
})
