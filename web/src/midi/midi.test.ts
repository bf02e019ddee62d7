import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { SongView } from '../doc/schema.ts'
import { readSmf } from './read.ts'
import { SmfError } from './smf.ts'
import { assignChannels, smfToSong, songToSmf, withoutAudio } from './song_midi.ts'
import { writeSmf } from './write.ts'

const SONG: SongView = {
  title: 'Round trip',
  ppq: 480,
  key: 'E minor',
  tempos: [
    { tick: 0, bpm: 96 },
    { tick: 3840, bpm: 132.5 },
  ],
  meters: [
    { tick: 0, numerator: 4, denominator: 4 },
    { tick: 7680, numerator: 6, denominator: 8 },
  ],
  tracks: [
    {
      id: 'a',
      name: 'Keys',
      program: 4,
      drums: false,
      volume: 90,
      pan: -20,
      mute: false,
      solo: false,
      order: 0,
      position: [0, 0, 0],
      notes: [
        { id: 'n1', pitch: 60, start: 0, duration: 480, velocity: 100 },
        { id: 'n2', pitch: 60, start: 480, duration: 240, velocity: 80 },
        { id: 'n3', pitch: 64, start: 0, duration: 200_000, velocity: 1 },
      ],
    },
    {
      id: 'b',
      name: 'Drums',
      program: 0,
      drums: true,
      volume: 127,
      pan: 63,
      mute: false,
      solo: false,
      order: 1,
      position: [0, 0, 0],
      notes: [{ id: 'd1', pitch: 36, start: 960, duration: 120, velocity: 127 }],
    },
  ],
  chords: [],
  sections: [],
}

test('a song survives export and import', () => {
  const bytes = writeSmf(songToSmf(SONG))
  const smf = readSmf(bytes)
  assert.equal(smf.ppq, 480)
  const back = smfToSong(smf, 480)
  assert.equal(back.title, 'Round trip')
  assert.equal(back.key, 'E minor')
  assert.deepEqual(back.tempos, SONG.tempos)
  assert.deepEqual(back.meters, SONG.meters)
  assert.equal(back.tracks.length, 2)
  const [keys, drums] = back.tracks
  assert.deepEqual(
    { name: keys!.name, program: keys!.program, drums: keys!.drums, volume: keys!.volume, pan: keys!.pan },
    { name: 'Keys', program: 4, drums: false, volume: 90, pan: -20 },
  )
  const sorted = [...keys!.notes!].sort((a, b) => a.start - b.start || a.pitch - b.pitch)
  assert.deepEqual(
    sorted,
    SONG.tracks[0]!.notes
      .map(({ id: _id, ...note }) => note)
      .sort((a, b) => a.start - b.start || a.pitch - b.pitch),
  )
  assert.equal(drums!.drums, true)
  assert.equal(drums!.pan, 63)
  assert.deepEqual(drums!.notes, [{ pitch: 36, start: 960, duration: 120, velocity: 127 }])
})

test('import rescales ticks to the song resolution', () => {
  const back = smfToSong(readSmf(writeSmf(songToSmf(SONG))), 960)
  assert.equal(back.tracks[1]!.notes![0]!.start, 1920)
  assert.equal(back.tempos[1]!.tick, 7680)
})

test('drums take channel 10 and others fill the rest in order', () => {
  assert.deepEqual(assignChannels([{ drums: false }, { drums: true }, { drums: false }]), [0, 9, 1])
  assert.deepEqual(assignChannels([{ drums: true }, { drums: true }]), [9, 0])
  const many = assignChannels(Array.from({ length: 17 }, () => ({ drums: false })))
  assert.equal(many[9], 10)
  assert.equal(many[15], 9)
  assert.equal(many[16], 0)
})

test('running status, note-on at velocity 0 and unclosed notes are read', () => {
  // prettier-ignore
  const bytes = Uint8Array.of(
    0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
    0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, 14,
    0, 0x91, 60, 100,   // note on, channel 2
    48, 62, 90,         // running status: another note on
    48, 60, 0,          // running status: velocity 0 = off
    0, 0xff, 0x2f, 0,
  )
  const song = smfToSong(readSmf(bytes), 96)
  assert.equal(song.tracks.length, 1)
  assert.equal(song.tracks[0]!.name, 'Channel 2')
  assert.deepEqual(song.tracks[0]!.notes, [
    { pitch: 60, start: 0, duration: 96, velocity: 100 },
    { pitch: 62, start: 48, duration: 48, velocity: 90 },
  ])
})

test('malformed files raise SmfError saying why', () => {
  assert.throws(() => readSmf(new Uint8Array(20)), SmfError)
  const smpte = Uint8Array.of(0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 1, 0, 1, 0xe7, 0x28)
  assert.throws(() => readSmf(smpte), /SMPTE/)
  // prettier-ignore
  const truncated = Uint8Array.of(
    0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
    0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, 4, 0, 0xff, 0x03, 20,
  )
  assert.throws(() => readSmf(truncated), /track 1 at byte \d+: length 20 runs past the end/)
  // prettier-ignore
  const noStatus = Uint8Array.of(
    0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
    0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, 3, 0, 60, 100,
  )
  assert.throws(() => readSmf(noStatus), /data byte before any status/)
})

test('random bytes never throw anything but SmfError', () => {
  let seed = 7
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0
    return seed / 2 ** 32
  }
  const valid = writeSmf(songToSmf(SONG))
  for (let i = 0; i < 2000; i++) {
    const bytes = valid.slice()
    for (let k = 0; k < 4; k++) bytes[14 + Math.floor(random() * (bytes.length - 14))] = Math.floor(random() * 256)
    try {
      smfToSong(readSmf(bytes.subarray(0, Math.floor(random() * bytes.length))), 480)
    } catch (error) {
      assert.ok(error instanceof SmfError, String(error))
    }
  }
})

test('audio tracks without notes are left out of the MIDI file, as the server does', () => {
  const take = { ...SONG.tracks[0]!, id: 'take', name: 'Voice take', notes: [] }
  const song: SongView = { ...SONG, tracks: [take, ...SONG.tracks] }
  // 'a' holds clips and notes: kept, as without_audio keeps a track with notes.
  const notesOnly = withoutAudio(song, new Set(['take', 'a']))
  assert.deepEqual(notesOnly.tracks.map((t) => t.id), ['a', 'b'])
  assert.equal(withoutAudio(SONG, new Set(['a'])), SONG) // nothing to leave out: the same song
  const back = smfToSong(readSmf(writeSmf(songToSmf(notesOnly))), 480)
  assert.deepEqual(back.tracks.map((t) => t.name), ['Keys', 'Drums'])
  // The file has the conductor and the two note tracks, no empty one for the take.
  assert.equal(readSmf(writeSmf(songToSmf(notesOnly))).tracks.length, 3)
  assert.equal(readSmf(writeSmf(songToSmf(song))).tracks.length, 4)
})
