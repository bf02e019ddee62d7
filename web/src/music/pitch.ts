/** Pitch and key names as musicians write them (middle C = C4 = MIDI 60). */

const SHARP_NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'] as const
const BLACK = new Set([1, 3, 6, 8, 10])

/** "C4", "F#5" for a MIDI pitch. */
export function pitchName(pitch: number): string {
  return `${SHARP_NAMES[((pitch % 12) + 12) % 12]}${Math.floor(pitch / 12) - 1}`
}

/** Whether `pitch` is a black key on the piano. */
export function isBlackKey(pitch: number): boolean {
  return BLACK.has(((pitch % 12) + 12) % 12)
}

/** The tonics the key menu offers, in the circle-of-fifths spelling musicians expect. */
export const TONICS = ['C', 'Db', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'] as const
export const MODES = ['major', 'minor'] as const
export type Mode = (typeof MODES)[number]

/** Every key the key menu offers: "C major" ... "B minor". */
export const KEY_NAMES: readonly string[] = MODES.flatMap((mode) =>
  TONICS.map((tonic) => `${tonic} ${mode}`),
)

const LETTER_PC: Readonly<Record<string, number>> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 }

/** The pitch class (0..11) and mode of a key name such as "F# minor"; null if unreadable. */
export function parseKeyName(name: string): { tonic: number; mode: Mode } | null {
  const match = /^\s*([A-Ga-g])([#b♯♭]*)\s+(major|minor)\s*$/i.exec(name)
  if (match === null) return null
  let pc = LETTER_PC[match[1]!.toUpperCase()]!
  for (const accidental of match[2]!) pc += accidental === '#' || accidental === '♯' ? 1 : -1
  return { tonic: ((pc % 12) + 12) % 12, mode: match[3]!.toLowerCase() as Mode }
}

/**
 * Sharps (positive) or flats (negative) in the key signature of a key name, as a MIDI key
 * signature meta event stores them; null for a name that is not a major or minor key.
 */
export function keySignature(name: string): { sharps: number; minor: boolean } | null {
  const key = parseKeyName(name)
  if (key === null) return null
  const major = key.mode === 'major' ? key.tonic : (key.tonic + 3) % 12
  // Position on the circle of fifths: C=0, G=1, ... F=-1; then the spelling the name asks
  // for (C# major has 7 sharps, Db major 5 flats) where a signature exists for it.
  let sharps = (major * 7) % 12
  if (sharps > 6) sharps -= 12
  const accidental = name.trim()[1]
  if ((accidental === '#' || accidental === '♯') && sharps < 0 && sharps + 12 <= 7) sharps += 12
  if ((accidental === 'b' || accidental === '♭') && sharps > 0 && sharps - 12 >= -7) sharps -= 12
  return { sharps, minor: key.mode === 'minor' }
}

const MAJOR_BY_SHARPS = ['Cb', 'Gb', 'Db', 'Ab', 'Eb', 'Bb', 'F', 'C', 'G', 'D', 'A', 'E', 'B', 'F#', 'C#']
const MINOR_BY_SHARPS = ['Ab', 'Eb', 'Bb', 'F', 'C', 'G', 'D', 'A', 'E', 'B', 'F#', 'C#', 'G#', 'D#', 'A#']

/** The key name of a MIDI key signature (sharps -7..7); null when out of range. */
export function keyName(sharps: number, minor: boolean): string | null {
  const tonic = (minor ? MINOR_BY_SHARPS : MAJOR_BY_SHARPS)[sharps + 7]
  return tonic === undefined ? null : `${tonic} ${minor ? 'minor' : 'major'}`
}
