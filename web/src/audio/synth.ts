/**
 * The studio's synthesizer: spessasynth's SoundFont player in an AudioWorklet, loaded with
 * the SoundFont the server renders with (`/api/soundfont`), so what plays here sounds like
 * the export. Effects (reverb, chorus) are off because the server's renderer has none.
 *
 * Channels: each track gets its own MIDI channel (drums channel 10 first, as the server
 * assigns them); channel 16 (index 16, past the GM sixteen) is the metronome's.
 */
import processorUrl from 'spessasynth_lib/dist/spessasynth_processor.min.js?url'
import { WorkletSynthesizer } from 'spessasynth_lib'
import type { TrackView } from '../doc/schema.ts'
import { assignChannels } from '../midi/song_midi.ts'

const CC_VOLUME = 7
const CC_PAN = 10
export const METRONOME_CHANNEL = 16
const WOOD_BLOCK_HIGH = 76
const WOOD_BLOCK_LOW = 77

/** Fetch the SoundFont, reporting progress (0..1) when the server sends a length. */
async function fetchSoundFont(onProgress: (fraction: number) => void): Promise<ArrayBuffer> {
  const response = await fetch('/api/soundfont', { credentials: 'same-origin' })
  if (!response.ok) throw new Error(`the SoundFont could not be loaded (HTTP ${response.status})`)
  const total = Number(response.headers.get('content-length') ?? 0)
  if (response.body === null || total <= 0) return response.arrayBuffer()
  const buffer = new Uint8Array(total)
  const reader = response.body.getReader()
  let received = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (received + value.length > total) throw new Error('the SoundFont is longer than announced')
    buffer.set(value, received)
    received += value.length
    onProgress(received / total)
  }
  return buffer.buffer
}

interface ChannelSetup {
  program: number
  drums: boolean
  volume: number
  pan: number
}

export class Synth {
  private readonly setups = new Map<number, ChannelSetup>()
  private channelOf = new Map<string, number>()

  private readonly samples = new Float32Array(2048)

  private constructor(
    readonly context: AudioContext,
    private readonly synth: WorkletSynthesizer,
    private readonly meter: AnalyserNode,
  ) {}

  /** Load the worklet and the SoundFont; call from a user gesture (audio needs one). */
  static async load(onProgress: (fraction: number) => void): Promise<Synth> {
    const context = new AudioContext({ latencyHint: 'interactive' })
    void context.resume()
    const [bank] = await Promise.all([fetchSoundFont(onProgress), context.audioWorklet.addModule(processorUrl)])
    const synth = new WorkletSynthesizer(context)
    // The master meter listens between the synth and the speakers.
    const meter = new AnalyserNode(context, { fftSize: 2048 })
    synth.connect(meter)
    meter.connect(context.destination)
    await synth.isReady
    await synth.soundBankManager.addSoundBank(bank, 'main')
    synth.setSystemParameter('effectsEnabled', false)
    while (synth.channelCount <= METRONOME_CHANNEL) synth.addNewChannel()
    synth.midiChannels[METRONOME_CHANNEL]?.setDrums(true)
    return new Synth(context, synth, meter)
  }

  /** Where other sources (audio clips) join the mix: the master meter, then the speakers. */
  get output(): AudioNode {
    return this.meter
  }

  /** The audio clock, in seconds. */
  get now(): number {
    return this.context.currentTime
  }

  /** Give every track its channel, program, volume and pan (only what changed is sent). */
  setTracks(tracks: readonly TrackView[]): void {
    const channels = assignChannels(tracks.slice(0, 16))
    const next = new Map<string, number>()
    tracks.forEach((track, i) => {
      // Past sixteen tracks, each extra track gets a channel of its own after the metronome's.
      const channel = i < 16 ? channels[i]! : METRONOME_CHANNEL + i - 15
      while (this.synth.channelCount <= channel) this.synth.addNewChannel()
      next.set(track.id, channel)
      this.setUp(channel, { program: track.program, drums: track.drums, volume: track.volume, pan: track.pan })
    })
    this.channelOf = next
  }

  channel(trackId: string): number | undefined {
    return this.channelOf.get(trackId)
  }

  noteOn(channel: number, pitch: number, velocity: number, time: number): void {
    this.synth.noteOn(channel, pitch, velocity, { time })
  }

  noteOff(channel: number, pitch: number, time: number): void {
    this.synth.noteOff(channel, pitch, { time })
  }

  click(downbeat: boolean, time: number): void {
    const key = downbeat ? WOOD_BLOCK_HIGH : WOOD_BLOCK_LOW
    this.synth.noteOn(METRONOME_CHANNEL, key, downbeat ? 127 : 90, { time })
    this.synth.noteOff(METRONOME_CHANNEL, key, { time: time + 0.05 })
  }

  /** Play a note now, briefly: the sound of placing or moving a note. */
  audition(trackId: string, pitch: number, velocity: number): void {
    const channel = this.channelOf.get(trackId)
    if (channel === undefined) return
    const now = this.context.currentTime
    this.synth.noteOn(channel, pitch, velocity, { time: now })
    this.synth.noteOff(channel, pitch, { time: now + 0.3 })
  }

  /** The output's peak level over the last ~46 ms, 0..1 (and above when clipping). */
  peak(): number {
    this.meter.getFloatTimeDomainData(this.samples)
    let peak = 0
    for (const sample of this.samples) peak = Math.max(peak, Math.abs(sample))
    return peak
  }

  /** Silence everything at once. */
  silence(): void {
    this.synth.stopAll(true)
  }

  private setUp(channel: number, setup: ChannelSetup): void {
    const old = this.setups.get(channel)
    if (old?.drums !== setup.drums) this.synth.midiChannels[channel]?.setDrums(setup.drums)
    if (old?.drums !== setup.drums || old.program !== setup.program) this.synth.programChange(channel, setup.program)
    if (old?.volume !== setup.volume) this.synth.controllerChange(channel, CC_VOLUME, setup.volume)
    if (old?.pan !== setup.pan) this.synth.controllerChange(channel, CC_PAN, setup.pan + 64)
    this.setups.set(channel, setup)
  }
}
