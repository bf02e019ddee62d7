/**
 * Between the song document's view (`SongView`) and Standard MIDI Files: the export the
 * studio offers for the live song, and the import that turns a file into tracks.
 * Channels are assigned as the server's renderer does: drums on channel 10, others in order.
 */
import type { Meter, Note, SongView, Tempo, TrackInit } from '../doc/schema.ts'
import { keyName, keySignature } from '../music/pitch.ts'
import { CC_PAN, CC_VOLUME, type Smf, type SmfEvent } from './smf.ts'

export const DRUM_CHANNEL = 9
const DRUM_ORDER = [9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15]
const MELODIC_ORDER = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 9]

/**
 * A MIDI channel for each track, as the server's renderer assigns them: drums first take
 * channel 10 (index 9); every 16 tracks the channels are reused.
 */
export function assignChannels(tracks: readonly { drums: boolean }[]): number[] {
  const channels = new Array<number>(tracks.length).fill(0)
  for (let first = 0; first < tracks.length; first += 16) {
    const group = tracks.slice(first, first + 16).map((t, i) => ({ drums: t.drums, i: first + i }))
    const used = new Set<number>()
    for (const { drums, i } of [...group].sort((a, b) => Number(b.drums) - Number(a.drums))) {
      const channel = (drums ? DRUM_ORDER : MELODIC_ORDER).find((c) => !used.has(c))!
      used.add(channel)
      channels[i] = channel
    }
  }
  return channels
}

/**
 * The song as notes only: the tracks in `audioTracks` (those that hold audio clips) are left
 * out unless they have notes, as the server's `without_audio` does for its MIDI and
 * MusicXML exports: a recorded take has no MIDI form, and an empty track would only confuse.
 */
export function withoutAudio(song: SongView, audioTracks: ReadonlySet<string>): SongView {
  if (!song.tracks.some((t) => audioTracks.has(t.id) && t.notes.length === 0)) return song
  return { ...song, tracks: song.tracks.filter((t) => t.notes.length > 0 || !audioTracks.has(t.id)) }
}

/** The song as a format-1 MIDI file: a tempo track, then one track per song track. */
export function songToSmf(song: SongView): Smf {
  const conductor: SmfEvent[] = [{ kind: 'name', tick: 0, text: song.title }]
  for (const tempo of song.tempos) {
    conductor.push({ kind: 'tempo', tick: tempo.tick, microsPerQuarter: 60_000_000 / tempo.bpm })
  }
  for (const meter of song.meters) {
    conductor.push({ kind: 'meter', tick: meter.tick, numerator: meter.numerator, denominator: meter.denominator })
  }
  const signature = song.key === null ? null : keySignature(song.key)
  if (signature !== null) conductor.push({ kind: 'key', tick: 0, ...signature })
  const channels = assignChannels(song.tracks)
  const tracks = song.tracks.map((track, i) => {
    const channel = channels[i]!
    const events: SmfEvent[] = [
      { kind: 'name', tick: 0, text: track.name },
      { kind: 'program', tick: 0, channel, program: track.program },
      { kind: 'controller', tick: 0, channel, controller: CC_VOLUME, value: track.volume },
      { kind: 'controller', tick: 0, channel, controller: CC_PAN, value: track.pan + 64 },
    ]
    for (const note of track.notes) {
      events.push({ kind: 'noteOn', tick: note.start, channel, pitch: note.pitch, velocity: note.velocity })
      events.push({ kind: 'noteOff', tick: note.start + note.duration, channel, pitch: note.pitch })
    }
    return { events }
  })
  return { format: 1, ppq: song.ppq, tracks: [{ events: conductor }, ...tracks] }
}

export interface ImportedSong {
  title: string | null
  tempos: Tempo[]
  meters: Meter[]
  key: string | null
  tracks: TrackInit[]
}

interface Part {
  name: string
  channel: number
  program: number | null
  volume: number | null
  pan: number | null
  notes: Note[]
}

/**
 * The tracks of a MIDI file at the song's resolution `ppq`: one per (file track, channel)
 * that has notes; channel 10 is drums. Overlapping notes of one pitch pair first-in,
 * first-out; a note never released ends where the file's last event is.
 */
export function smfToSong(smf: Smf, ppq: number): ImportedSong {
  const scale = (tick: number): number => Math.round((tick * ppq) / smf.ppq)
  const tempos: Tempo[] = []
  const meters: Meter[] = []
  let key: string | null = null
  let title: string | null = null
  const parts: Part[] = []
  smf.tracks.forEach((track, index) => {
    let trackName: string | null = null
    const byChannel = new Map<number, Part>()
    const open = new Map<number, { start: number; velocity: number }[]>()
    const part = (channel: number): Part => {
      let found = byChannel.get(channel)
      if (found === undefined) {
        found = { name: '', channel, program: null, volume: null, pan: null, notes: [] }
        byChannel.set(channel, found)
      }
      return found
    }
    let lastTick = 0
    for (const event of track.events) {
      lastTick = Math.max(lastTick, event.tick)
      switch (event.kind) {
        case 'name':
          trackName ??= event.text
          if (index === 0) title ??= event.text
          break
        case 'tempo':
          tempos.push({ tick: scale(event.tick), bpm: bpmOf(event.microsPerQuarter) })
          break
        case 'meter':
          meters.push({ tick: scale(event.tick), numerator: event.numerator, denominator: event.denominator })
          break
        case 'key':
          key ??= keyName(event.sharps, event.minor)
          break
        case 'program':
          part(event.channel).program ??= event.program
          break
        case 'controller':
          if (event.controller === CC_VOLUME) part(event.channel).volume ??= event.value
          if (event.controller === CC_PAN) part(event.channel).pan ??= event.value
          break
        case 'noteOn': {
          const slot = event.channel * 128 + event.pitch
          const queue = open.get(slot) ?? []
          queue.push({ start: event.tick, velocity: event.velocity })
          open.set(slot, queue)
          break
        }
        case 'noteOff': {
          const started = open.get(event.channel * 128 + event.pitch)?.shift()
          if (started !== undefined) {
            addNote(part(event.channel), event.pitch, started, event.tick, scale)
          }
        }
      }
    }
    for (const [slot, queue] of open) {
      for (const started of queue) addNote(part(slot >> 7), slot & 127, started, lastTick, scale)
    }
    for (const found of byChannel.values()) {
      if (found.notes.length === 0) continue
      found.name = trackName !== null && trackName !== '' ? trackName : `Channel ${found.channel + 1}`
      parts.push(found)
    }
  })
  const tracks = parts.map((p): TrackInit => {
    const drums = p.channel === DRUM_CHANNEL
    return {
      name: p.name,
      program: p.program ?? 0,
      drums,
      volume: p.volume ?? 100,
      pan: p.pan === null ? 0 : p.pan - 64,
      notes: p.notes,
    }
  })
  return { title, tempos: firstPerTick(tempos), meters: firstPerTick(meters), key, tracks }
}

function addNote(
  part: Part,
  pitch: number,
  started: { start: number; velocity: number },
  end: number,
  scale: (tick: number) => number,
): void {
  const start = scale(started.start)
  part.notes.push({ pitch, start, duration: Math.max(1, scale(end) - start), velocity: started.velocity })
}

/** A tempo in the document's range (1..1000 bpm), rounded to a thousandth. */
function bpmOf(microsPerQuarter: number): number {
  const bpm = Math.round((60_000_000 / Math.max(1, microsPerQuarter)) * 1000) / 1000
  return Math.min(1000, Math.max(1, bpm))
}

/** The first change at each tick, sorted by tick. */
function firstPerTick<T extends { tick: number }>(changes: T[]): T[] {
  const byTick = new Map<number, T>()
  for (const change of changes) if (!byTick.has(change.tick)) byTick.set(change.tick, change)
  return [...byTick.values()].sort((a, b) => a.tick - b.tick)
}
