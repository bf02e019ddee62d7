/**
 * A Standard MIDI File writer (format 1, ticks per quarter note). Events at one tick are
 * written in a fixed order: meta events, programs and controllers, note-offs, then
 * note-ons, so a repeated note retriggers and every note starts with its sound set up.
 */
import { SmfError, type Smf, type SmfEvent } from './smf.ts'

const RANK: Record<SmfEvent['kind'], number> = {
  name: 0,
  tempo: 1,
  meter: 2,
  key: 3,
  program: 4,
  controller: 5,
  noteOff: 6,
  noteOn: 7,
}

class Bytes {
  private buffer = new Uint8Array(1024)
  length = 0

  push(...values: number[]): void {
    this.reserve(values.length)
    for (const value of values) this.buffer[this.length++] = value & 0xff
  }

  append(data: Uint8Array): void {
    this.reserve(data.length)
    this.buffer.set(data, this.length)
    this.length += data.length
  }

  varLen(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0x0fffffff) {
      throw new SmfError(`delta time ${value} must be a whole number in 0..${0x0fffffff}`)
    }
    const groups = [value & 0x7f]
    for (let rest = value >>> 7; rest > 0; rest >>>= 7) groups.unshift((rest & 0x7f) | 0x80)
    this.push(...groups)
  }

  u32(value: number): void {
    this.push(value >>> 24, value >>> 16, value >>> 8, value)
  }

  bytes(): Uint8Array {
    return this.buffer.slice(0, this.length)
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return
    const bigger = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra))
    bigger.set(this.buffer.subarray(0, this.length))
    this.buffer = bigger
  }
}

const encoder = new TextEncoder()

function meta(out: Bytes, type: number, data: Uint8Array): void {
  out.push(0xff, type)
  out.varLen(data.length)
  out.append(data)
}

function writeEvent(out: Bytes, event: SmfEvent): void {
  switch (event.kind) {
    case 'name':
      meta(out, 0x03, encoder.encode(event.text))
      return
    case 'tempo': {
      const us = Math.max(1, Math.min(0xffffff, Math.round(event.microsPerQuarter)))
      meta(out, 0x51, Uint8Array.of(us >> 16, us >> 8, us))
      return
    }
    case 'meter':
      meta(out, 0x58, Uint8Array.of(event.numerator, Math.log2(event.denominator), 24, 8))
      return
    case 'key':
      meta(out, 0x59, Uint8Array.of(event.sharps & 0xff, event.minor ? 1 : 0))
      return
    case 'program':
      out.push(0xc0 | event.channel, event.program)
      return
    case 'controller':
      out.push(0xb0 | event.channel, event.controller, event.value)
      return
    case 'noteOff':
      out.push(0x80 | event.channel, event.pitch, 0)
      return
    case 'noteOn':
      out.push(0x90 | event.channel, event.pitch, event.velocity)
  }
}

/** Encode a Standard MIDI File (format 1 unless `smf.format` is 0 with one track). */
export function writeSmf(smf: Smf): Uint8Array {
  if (!Number.isInteger(smf.ppq) || smf.ppq < 1 || smf.ppq > 0x7fff) {
    throw new SmfError(`ppq=${smf.ppq} must be a whole number in 1..32767`)
  }
  const out = new Bytes()
  out.push(...encoder.encode('MThd'))
  out.u32(6)
  const format = smf.format === 0 && smf.tracks.length === 1 ? 0 : 1
  out.push(0, format, smf.tracks.length >> 8, smf.tracks.length, smf.ppq >> 8, smf.ppq)
  for (const track of smf.tracks) {
    const body = new Bytes()
    const events = [...track.events].sort(
      (a, b) => a.tick - b.tick || RANK[a.kind] - RANK[b.kind],
    )
    let last = 0
    for (const event of events) {
      body.varLen(event.tick - last)
      last = event.tick
      writeEvent(body, event)
    }
    body.push(0, 0xff, 0x2f, 0)
    out.push(...encoder.encode('MTrk'))
    out.u32(body.length)
    out.append(body.bytes())
  }
  return out.bytes()
}
