/** The studio's UI state: what is selected and how the editors and the transport are set. */
import { GRIDS } from '../music/time.ts'
import { Store } from './store.ts'

export type Tool = 'draw' | 'select'

export interface StudioState {
  /** The track open in the editor. */
  trackId: string | null
  /** Selected note ids of that track. */
  selection: ReadonlySet<string>
  tool: Tool
  /** Index into GRIDS. */
  grid: number
  /** Length of the next drawn note, in ticks (the last one drawn or resized). */
  noteLength: number
  /** Velocity of the next drawn note. */
  velocity: number
  playing: boolean
  /** Where playback starts and, while playing, where it is (ticks). */
  playhead: number
  loop: { enabled: boolean; start: number; end: number }
  metronome: boolean
  /** Horizontal zoom of the editor: pixels per quarter note. */
  zoom: number
  /** The synth's state, for the transport's button. */
  sound: 'off' | 'loading' | 'ready' | 'failed'
  soundProgress: number
}

export function initialState(ppq: number): StudioState {
  return {
    trackId: null,
    selection: new Set(),
    tool: 'draw',
    grid: GRIDS.findIndex((g) => g.label === '1/16'),
    noteLength: ppq,
    velocity: 100,
    playing: false,
    playhead: 0,
    loop: { enabled: false, start: 0, end: ppq * 16 },
    metronome: false,
    zoom: 64,
    sound: 'off',
    soundProgress: 0,
  }
}

export type StudioStore = Store<StudioState>
