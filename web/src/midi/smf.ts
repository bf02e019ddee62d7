/**
 * Standard MIDI Files as plain data: the events a studio cares about (notes, programs,
 * volume, pan, tempo, meter, key, track names) with absolute tick times.
 * `readSmf` and `writeSmf` convert between this and bytes; `song_midi.ts` between this
 * and the song document.
 */

export type SmfEvent =
  | { kind: 'noteOn'; tick: number; channel: number; pitch: number; velocity: number }
  | { kind: 'noteOff'; tick: number; channel: number; pitch: number }
  | { kind: 'program'; tick: number; channel: number; program: number }
  | { kind: 'controller'; tick: number; channel: number; controller: number; value: number }
  | { kind: 'tempo'; tick: number; microsPerQuarter: number }
  | { kind: 'meter'; tick: number; numerator: number; denominator: number }
  | { kind: 'key'; tick: number; sharps: number; minor: boolean }
  | { kind: 'name'; tick: number; text: string }

export interface SmfTrack {
  events: SmfEvent[]
}

export interface Smf {
  /** 0 (one track), 1 (parallel tracks) or 2 (independent patterns, read as 1). */
  format: number
  /** Ticks per quarter note. */
  ppq: number
  tracks: SmfTrack[]
}

/** A file that is not a Standard MIDI File Bandmate can read; the message says where and why. */
export class SmfError extends Error {
  override name = 'SmfError'
}

export const CC_VOLUME = 7
export const CC_PAN = 10
