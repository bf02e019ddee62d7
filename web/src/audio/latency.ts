/**
 * Latency compensation for what a player records: a player plays in time with what they
 * hear, and they hear everything late by the audio output path (`AudioContext.baseLatency`
 * + `outputLatency`); a recording of their input is late again by the capture path (the
 * input track's `latency` setting). So a note stamped when its key went down, and a
 * recording placed where it started, both land late by those amounts: they are moved
 * earlier by them, plus a manual offset the player sets (persisted in this browser) for
 * what the browser cannot measure (an audio interface's converters, a Bluetooth headset,
 * a hardware monitor path). See docs/jam.md, "Latency compensation".
 */

/** The parts of the compensation, in ms. */
export interface Latency {
  /** The audio graph's processing latency (`AudioContext.baseLatency`). */
  baseMs: number
  /** From the audio graph to the speakers (`AudioContext.outputLatency`). */
  outputMs: number
  /** From the microphone or line input to the recorder (the track's `latency` setting). */
  inputMs: number
  /** The player's own correction: positive moves takes earlier. */
  manualMs: number
}

export const MANUAL_MIN_MS = -500
export const MANUAL_MAX_MS = 500
const STORAGE_KEY = 'bandmate-jam-latency-offset-ms'

const seconds = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value * 1000 : 0)

/** What the browser reports of its audio paths (0 for what it does not report). */
export function measureLatency(context: BaseAudioContext | null, input: MediaStreamTrack | null, manualMs = 0): Latency {
  const audio = context as (BaseAudioContext & { baseLatency?: number; outputLatency?: number }) | null
  const settings = (input?.getSettings() ?? {}) as MediaTrackSettings & { latency?: number }
  return { baseMs: seconds(audio?.baseLatency), outputMs: seconds(audio?.outputLatency), inputMs: seconds(settings.latency), manualMs }
}

/** How much earlier than stamped a note was played: what the player heard was this late. */
export function noteCompensationMs(latency: Latency): number {
  return latency.baseMs + latency.outputMs + latency.manualMs
}

/** How much earlier than it was captured a recording was played: output, then input path. */
export function audioCompensationMs(latency: Latency): number {
  return noteCompensationMs(latency) + latency.inputMs
}

/** A manual offset as kept: a whole number of ms in -500..500 (anything else: 0). */
export function clampManual(value: unknown): number {
  const number = typeof value === 'string' ? Number(value) : value
  if (typeof number !== 'number' || !Number.isFinite(number)) return 0
  return Math.round(Math.max(MANUAL_MIN_MS, Math.min(MANUAL_MAX_MS, number)))
}

/** The manual offset this browser keeps (localStorage), 0 when none or unreadable. */
export function loadManualOffset(storage: Pick<Storage, 'getItem'> = localStorage): number {
  try {
    return clampManual(storage.getItem(STORAGE_KEY))
  } catch {
    return 0 // storage disabled
  }
}

/** Keep the manual offset in this browser; returns the value kept. */
export function saveManualOffset(value: unknown, storage: Pick<Storage, 'setItem'> = localStorage): number {
  const kept = clampManual(value)
  try {
    storage.setItem(STORAGE_KEY, String(kept))
  } catch {
    // storage disabled: the offset lasts for this page only
  }
  return kept
}
