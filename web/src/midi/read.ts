/**
 * A Standard MIDI File reader: header, tracks, running status, meta and SysEx events.
 * Strict where a file would be misread (lengths past the end, SMPTE time, events before
 * any status) and lenient where players are (a missing end-of-track, a short last track).
 */
import { SmfError, type Smf, type SmfEvent, type SmfTrack } from './smf.ts'

/** Files larger than this are refused before parsing. */
export const MAX_SMF_BYTES = 8 << 20
/** At most this many events are read from one file. */
export const MAX_SMF_EVENTS = 2_000_000

class Cursor {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
    readonly where: string,
  ) {}

  fail(why: string): never {
    throw new SmfError(`${this.where} at byte ${this.pos}: ${why}`)
  }

  byte(): number {
    if (this.pos >= this.end) this.fail('unexpected end of data')
    return this.bytes[this.pos++]!
  }

  /** A variable-length quantity: 7 bits a byte, at most 4 bytes. */
  varLen(): number {
    let value = 0
    for (let i = 0; i < 4; i++) {
      const b = this.byte()
      value = value * 128 + (b & 0x7f)
      if ((b & 0x80) === 0) return value
    }
    return this.fail('variable-length number longer than 4 bytes')
  }

  take(length: number): Uint8Array {
    if (length > this.end - this.pos) this.fail(`length ${length} runs past the end`)
    const out = this.bytes.subarray(this.pos, this.pos + length)
    this.pos += length
    return out
  }
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0
}

function chunkId(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4))
}

/** Parse a Standard MIDI File. Throws `SmfError` naming the byte and the rule it breaks. */
export function readSmf(data: ArrayBuffer | Uint8Array): Smf {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
  if (bytes.length > MAX_SMF_BYTES) {
    throw new SmfError(`file of ${bytes.length} bytes exceeds the limit of ${MAX_SMF_BYTES} bytes`)
  }
  if (bytes.length < 14 || chunkId(bytes, 0) !== 'MThd') {
    throw new SmfError('not a MIDI file: it must start with an "MThd" header chunk')
  }
  const headerLength = u32(bytes, 4)
  if (headerLength < 6 || 8 + headerLength > bytes.length) {
    throw new SmfError(`header length=${headerLength} must be at least 6 and fit the file`)
  }
  const format = (bytes[8]! << 8) | bytes[9]!
  const count = (bytes[10]! << 8) | bytes[11]!
  const division = (bytes[12]! << 8) | bytes[13]!
  if (format > 2) throw new SmfError(`format=${format} must be 0, 1 or 2`)
  if (division & 0x8000) throw new SmfError('SMPTE time division is not supported (only ticks per quarter note)')
  if (division === 0) throw new SmfError('division=0 ticks per quarter note must be at least 1')
  const tracks: SmfTrack[] = []
  let pos = 8 + headerLength
  let budget = MAX_SMF_EVENTS
  while (tracks.length < count && pos + 8 <= bytes.length) {
    const id = chunkId(bytes, pos)
    const length = u32(bytes, pos + 4)
    const start = pos + 8
    // A last chunk that claims more than the file holds is read up to the end of the file.
    const end = Math.min(start + length, bytes.length)
    pos = start + length
    if (id !== 'MTrk') continue // unknown chunks are skipped, as the standard says
    const track = readTrack(new Cursor(bytes, start, end, `track ${tracks.length + 1}`), budget)
    budget -= track.events.length
    tracks.push(track)
  }
  if (tracks.length === 0) throw new SmfError(`the header announces ${count} tracks but none was found`)
  return { format, ppq: division, tracks }
}

function readTrack(at: Cursor, budget: number): SmfTrack {
  const events: SmfEvent[] = []
  let tick = 0
  let status = 0
  while (at.pos < at.end) {
    tick += at.varLen()
    let first = at.byte()
    if (first < 0x80) {
      if (status === 0) at.fail('a data byte before any status byte')
      at.pos-- // running status: this byte is the first data byte
      first = status
    } else if (first < 0xf0) {
      status = first
    }
    if (events.length >= budget) at.fail(`more than ${MAX_SMF_EVENTS} events`)
    if (first === 0xff) {
      const type = at.byte()
      const data = at.take(at.varLen())
      if (type === 0x2f) break
      const meta = readMeta(type, data, tick)
      if (meta !== null) events.push(meta)
      continue
    }
    if (first === 0xf0 || first === 0xf7) {
      at.take(at.varLen()) // SysEx: skipped
      continue
    }
    if (first > 0xf0) at.fail(`status 0x${first.toString(16)} is not allowed in a file`)
    const channel = first & 0x0f
    const data1 = at.byte() & 0x7f
    switch (first & 0xf0) {
      case 0x80:
        at.byte()
        events.push({ kind: 'noteOff', tick, channel, pitch: data1 })
        break
      case 0x90: {
        const velocity = at.byte() & 0x7f
        events.push(
          velocity === 0
            ? { kind: 'noteOff', tick, channel, pitch: data1 }
            : { kind: 'noteOn', tick, channel, pitch: data1, velocity },
        )
        break
      }
      case 0xb0:
        events.push({ kind: 'controller', tick, channel, controller: data1, value: at.byte() & 0x7f })
        break
      case 0xc0:
        events.push({ kind: 'program', tick, channel, program: data1 })
        break
      case 0xd0:
        break // channel pressure: one data byte, not kept
      default:
        at.byte() // polyphonic pressure, pitch bend: two data bytes, not kept
    }
  }
  return { events }
}

const decoder = new TextDecoder('utf-8', { fatal: false })

function readMeta(type: number, data: Uint8Array, tick: number): SmfEvent | null {
  switch (type) {
    case 0x03:
      return { kind: 'name', tick, text: decoder.decode(data).replace(/\0+$/, '').trim() }
    case 0x51:
      if (data.length < 3) return null
      return { kind: 'tempo', tick, microsPerQuarter: (data[0]! << 16) | (data[1]! << 8) | data[2]! }
    case 0x58:
      if (data.length < 2 || data[1]! > 6) return null
      return { kind: 'meter', tick, numerator: data[0]!, denominator: 2 ** data[1]! }
    case 0x59: {
      if (data.length < 2) return null
      const sharps = data[0]! > 127 ? data[0]! - 256 : data[0]!
      if (sharps < -7 || sharps > 7) return null
      return { kind: 'key', tick, sharps, minor: data[1] === 1 }
    }
    default:
      return null
  }
}
