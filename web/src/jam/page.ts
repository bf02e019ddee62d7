/**
 * The jam page of a project (`/p/{id}/jam`): play together on a shared clock.
 *
 * Instruments: an on-screen keyboard (two octaves), drum pads, the computer keyboard (A W S E
 * D F T G Y H U J K O L P: C4 upwards; Z/X octave down/up; Space sustain), a velocity and a
 * pitch-bend control, any General MIDI program. What this browser plays sounds at once here
 * and is sent stamped on the server clock; what others play is heard at the room's play-out
 * delay after it was played (one bar late in interval mode), so everyone hears the same thing
 * together. The metronome clicks on the shared transport. Record makes a take that lands in
 * the song as your own track.
 *
 * Every instrument goes through `input` (the same path as the on-screen keys); tests reach it
 * as `window.bandmateJam`, since Web MIDI does not start in a headless browser.
 *
 * What this player records is moved earlier by the latency of their audio paths (measured,
 * plus a manual offset kept in this browser): notes by the output path, audio takes by the
 * output and input paths (`../audio/latency.ts`).
 */
import type { User } from '../api/client.ts'
import { audioCompensationMs, type Latency, loadManualOffset, MANUAL_MAX_MS, MANUAL_MIN_MS, measureLatency, noteCompensationMs, saveManualOffset } from '../audio/latency.ts'
import type { Synth } from '../audio/synth.ts'
import type { TrackView } from '../doc/schema.ts'
import { DRUM_NAMES, PROGRAM_NAMES } from '../music/gm.ts'
import { h, replaceChildren } from '../ui/dom.ts'
import { beatsBetween, playTime, positionAt } from './clock.ts'
import { JamConnection, type NoteEvent, type RoomState } from './connection.ts'
import { AudioMesh, type AudioSource } from './rtc.ts'
import { StemRecorder } from './stems.ts'
import './jam.css'

export interface Page {
  element: HTMLElement
  destroy: () => void
}

/** A remote event as this browser scheduled it (kept for the player's log and for tests). */
export interface Heard {
  from: string
  k: string
  p: number | undefined
  at: number
  playAt: number
  /** The delay it was scheduled with (the room's play-out delay, or one bar). */
  delayMs: number
  receivedAt: number
}

const KEYS = 'awsedftgyhujkolp;'
const PADS = [36, 38, 42, 46, 45, 50, 49, 51]
const LOOKAHEAD_MS = 120
const SCHEDULE_EVERY_MS = 25
const MAX_HEARD = 500

export function jamPage(projectId: string, user: User): Page {
  const heard: Heard[] = []
  let synth: Synth | null = null
  let loading: Promise<Synth | null> | null = null
  let octave = 0
  let velocity = 100
  let metronome = true
  let scheduledUntil = 0
  let program = 0
  let drums = false
  let manualMs = loadManualOffset()
  const down = new Set<number>()

  const status = h('span.jam-status', {}, 'connecting…')
  const position = h('span.jam-position', {}, '–')
  const advice = h('span.jam-advice', {})
  const players = h('ul.jam-players', {})
  const log = h('ul.jam-heard', {})
  const bpm = h('input.jam-bpm', { type: 'number', min: 20, max: 400, value: '120', title: 'Tempo (BPM)' })
  const meter = h('select.jam-meter', {}, ...['4/4', '3/4', '6/8', '5/4', '7/8'].map((m) => h('option', { value: m }, m)))
  const countIn = h('select.jam-count-in', { title: 'Count-in bars' }, ...[0, 1, 2].map((n) => h('option', { value: String(n), selected: n === 1 }, `${n} bar count-in`)))
  const startButton = h('button.jam-start', { onclick: () => toggleTransport() }, 'Start')
  const recordButton = h('button.jam-record', { onclick: () => toggleRecord() }, '● Record')
  const modeSelect = h('select.jam-mode', { onchange: () => jam.send({ t: 'mode', mode: modeSelect.value }) }, h('option', { value: 'live' }, 'Live'), h('option', { value: 'interval' }, 'Long distance (one bar late)'))
  const instrument = h(
    'select.jam-instrument',
    { onchange: () => setInstrument(instrument.value === 'drums' ? 0 : Number(instrument.value), instrument.value === 'drums') },
    ...PROGRAM_NAMES.map((name, i) => h('option', { value: String(i) }, `${i + 1}. ${name}`)),
    h('option', { value: 'drums' }, 'Drums (Standard Kit)'),
  )
  const keyboard = h('div.jam-keyboard', {})
  const pads = h('div.jam-pads', {})

  const mesh = new AudioMesh((to, kind, data) => jam.signal(to, kind, data), { changed: (id) => showPeer(id) })
  const audioSource = h(
    'select.jam-audio-source',
    { title: 'What your microphone or line input carries' },
    h('option', { value: 'instrument' }, 'Instrument (stereo, no processing)'),
    h('option', { value: 'voice' }, 'Voice (echo cancellation, noise suppression, gain control)'),
  )
  const audioButton = h('button.jam-audio', { onclick: () => void toggleAudio() }, '🎤 Send audio')
  const recorder = new StemRecorder(projectId, {
    saved: (_stem, result) => log.prepend(h('li.jam-stem', { dataset: { ok: 'true', track: result.track_id, blob: result.blob } }, `Audio take saved to the song (${Math.round(result.bytes / 1024)} KiB)`)),
    failed: (_stem, message, willRetry) =>
      log.prepend(h('li.jam-stem', { dataset: { ok: 'false' } }, willRetry ? `Audio take kept here, sending again soon: ${message}` : `Audio take refused: ${message}`)),
  })
  const onOnline = (): void => void recorder.flush()
  window.addEventListener('online', onOnline)
  void recorder.flush() // stems an earlier visit could not deliver

  const jam = new JamConnection(projectId, {
    signal: (from, kind, data) => void mesh.receive(from, kind, data).catch((error: unknown) => console.warn('signal failed', error)),
    ice: (servers) => mesh.setIceServers(servers),
    stem: (who, name) => log.prepend(h('li.jam-stem-notice', {}, `${who}'s audio take is in the song: “${name}”`)),
    state: (state) => showState(state),
    notes: (from, events) => hear(from, events),
    take: (notice) => {
      const text = notice.ok ? `Take saved to the song: “${notice.name}”` : `Take not saved: ${notice.message ?? ''}`
      log.prepend(h('li.jam-take', { dataset: { ok: String(notice.ok) } }, text))
    },
    notice: (message) => log.prepend(h('li.jam-notice', {}, message)),
    closed: (code, reason) => {
      status.textContent = `disconnected (${code}${reason ? `: ${reason}` : ''})`
      status.dataset.state = 'closed'
    },
    clock: (estimate) => {
      status.textContent = `clock ±${(estimate.jitterMs / 2).toFixed(1)} ms · round trip ${estimate.rttMs.toFixed(0)} ms`
      status.dataset.state = 'synced'
    },
  })

  // ---------------------------------------------------------------------------- sound

  function ensureSynth(): Promise<Synth | null> {
    loading ??= import('../audio/synth.ts')
      .then(({ Synth }) => Synth.load(() => undefined))
      .then((loaded) => {
        synth = loaded
        updateChannels()
        showLatency()
        return loaded
      })
      .catch(() => null)
    return loading
  }

  function updateChannels(): void {
    const state = jam.state
    if (synth === null || state === null) return
    const views = state.players.map((p, order) => trackView(p.id, p.program, p.drums, order))
    const mine = views.findIndex((v) => v.id === jam.me)
    if (mine >= 0) views[mine] = trackView(jam.me, program, drums, mine)
    synth.setTracks(views)
  }

  function trackView(id: string, prog: number, isDrums: boolean, order: number): TrackView {
    const fields = { name: id, program: prog, drums: isDrums, volume: 100, pan: 0, mute: false, solo: false, order }
    return { ...fields, id, notes: [], position: [0, 0, 0] } as unknown as TrackView
  }

  /** Audio-clock time (s) for server time `ms`. */
  function audioTime(ms: number): number {
    return synth === null ? 0 : synth.now + Math.max(0, ms - jam.serverNow()) / 1000
  }

  function sound(id: string, event: NoteEvent, whenMs: number): void {
    const channel = synth?.channel(id)
    if (synth === null || channel === undefined || event.p === undefined) return
    if (event.k === 'on') synth.noteOn(channel, event.p, event.v, audioTime(whenMs))
    else if (event.k === 'off') synth.noteOff(channel, event.p, audioTime(whenMs))
  }

  // ---------------------------------------------------------------------------- latency

  /** This player's audio paths as the browser reports them now, and their manual offset. */
  function latency(): Latency {
    return measureLatency(synth?.context ?? null, mesh.stream?.getAudioTracks()[0] ?? null, manualMs)
  }

  /** The server time a note played now belongs to: earlier by what the player hears late. */
  function stamp(): number {
    return jam.serverNow() - noteCompensationMs(latency())
  }

  const latencyInput = h('input.jam-latency', {
    type: 'number',
    min: String(MANUAL_MIN_MS),
    max: String(MANUAL_MAX_MS),
    step: '1',
    value: String(manualMs),
    title: 'Manual latency offset (ms): positive moves your takes earlier',
    attrs: { 'aria-label': 'Latency offset in milliseconds' },
    onchange: () => {
      manualMs = saveManualOffset(latencyInput.value)
      latencyInput.value = String(manualMs)
      showLatency()
    },
  })
  const latencyInfo = h('span.jam-latency-info', {})

  function showLatency(): void {
    const now = latency()
    const ms = (v: number): string => `${Math.round(v)} ms`
    latencyInfo.textContent = `output ${ms(now.baseMs + now.outputMs)}, input ${ms(now.inputMs)}: notes land ${ms(noteCompensationMs(now))} earlier, audio ${ms(audioCompensationMs(now))}`
    latencyInfo.dataset.notesMs = String(noteCompensationMs(now))
    latencyInfo.dataset.audioMs = String(audioCompensationMs(now))
  }

  // ---------------------------------------------------------------------------- playing

  /** The instrument input path: every key, pad and MIDI-like source ends here. */
  const input = {
    noteOn(pitch: number, vel = velocity): void {
      if (pitch < 0 || pitch > 127 || down.has(pitch)) return
      down.add(pitch)
      emit({ k: 'on', at: stamp(), p: pitch, v: Math.max(1, Math.min(127, Math.round(vel))) })
    },
    noteOff(pitch: number): void {
      if (!down.delete(pitch)) return
      emit({ k: 'off', at: stamp(), p: pitch, v: 0 })
    },
    sustain(on: boolean): void {
      emit({ k: 'sustain', at: stamp(), v: on ? 127 : 0 })
    },
    bend(value: number): void {
      emit({ k: 'bend', at: stamp(), v: Math.max(-8192, Math.min(8191, Math.round(value))) })
    },
  }

  function emit(event: NoteEvent): void {
    void ensureSynth()
    if (!jam.synced) return
    sound(jam.me, event, jam.serverNow())
    jam.play([event])
    if (event.p !== undefined) keyboard.querySelector(`[data-pitch="${event.p}"]`)?.classList.toggle('down', event.k === 'on')
  }

  function hear(from: string, events: NoteEvent[]): void {
    const state = jam.state
    if (state === null) return
    const receivedAt = jam.serverNow()
    for (const event of events) {
      const playAt = playTime(state.transport, event.at, state.mode, state.playout_ms)
      heard.push({ from, k: event.k, p: event.p, at: event.at, playAt, delayMs: playAt - event.at, receivedAt })
      if (heard.length > MAX_HEARD) heard.shift()
      sound(from, event, playAt)
      if (event.k === 'on') {
        const name = state.players.find((p) => p.id === from)?.name ?? from
        log.prepend(h('li.jam-note', { dataset: { pitch: String(event.p) } }, `${name}: ${event.p} (${Math.round(playAt - receivedAt)} ms ahead)`))
        while (log.childElementCount > 30) log.lastElementChild?.remove()
      }
    }
  }

  function setInstrument(prog: number, isDrums: boolean): void {
    program = prog
    drums = isDrums
    const name = isDrums ? 'Drums' : (PROGRAM_NAMES[prog] ?? 'Instrument')
    jam.send({ t: 'instrument', program: prog, drums: isDrums, name })
    updateChannels()
  }

  function toggleTransport(): void {
    void ensureSynth()
    if (jam.state?.transport.playing) {
      jam.send({ t: 'stop' })
      return
    }
    const [num, den] = meter.value.split('/').map(Number)
    jam.send({ t: 'start', bpm: Number(bpm.value), num, den, count_in: Number(countIn.value) })
  }

  function toggleRecord(): void {
    const mine = jam.state?.players.find((p) => p.id === jam.me)
    jam.send({ t: 'record', on: !(mine?.recording ?? false) })
  }

  // ---------------------------------------------------------------------------- views

  async function toggleAudio(): Promise<void> {
    if (mesh.stream !== null) {
      mesh.stopAudio()
    } else {
      try {
        await mesh.startAudio(audioSource.value as AudioSource)
      } catch (error) {
        log.prepend(h('li.jam-notice', {}, `No audio input: ${String(error)}`))
      }
    }
    audioButton.textContent = mesh.stream === null ? '🎤 Send audio' : '■ Stop audio'
    audioButton.classList.toggle('sending', mesh.stream !== null)
    showLatency()
  }

  /** The audio line of player `id` in the players list: connection, round trip, jitter, loss. */
  function showPeer(id: string): void {
    const span = players.querySelector<HTMLElement>(`.jam-player[data-id="${id}"] .audio`)
    const stats = mesh.peers.get(id)?.stats
    if (span === null || stats === undefined) return
    span.dataset.state = stats.state
    span.dataset.packets = String(stats.packetsReceived)
    span.dataset.bytes = String(stats.bytesReceived)
    const ms = (v: number | null): string => (v === null ? '–' : `${Math.round(v)} ms`)
    span.textContent =
      stats.state === 'connected'
        ? ` · audio ${ms(stats.rttMs)} round trip, jitter ${ms(stats.jitterMs)}, buffer ${ms(stats.jitterBufferMs)}, lost ${stats.packetsLost}/${stats.packetsReceived + stats.packetsLost}`
        : ` · audio ${stats.state}`
  }

  function showState(state: RoomState): void {
    updateChannels()
    showLatency()
    mesh.setPlayers(jam.me, state.players.map((p) => p.id))
    const playing = state.transport.playing
    startButton.textContent = playing ? 'Stop' : 'Start'
    const mine = state.players.find((p) => p.id === jam.me)
    if (mine?.recording && !recorder.recording && mesh.stream !== null) recorder.start(mesh.stream, mesh.source, state.transport, jam.serverNow() - audioCompensationMs(latency()))
    else if (!mine?.recording && recorder.recording) void recorder.stop()
    recordButton.classList.toggle('recording', mine?.recording ?? false)
    recordButton.textContent = mine?.recording ? '■ Stop recording' : '● Record'
    modeSelect.value = state.mode
    const last = state.transport.segments[state.transport.segments.length - 1]
    if (last !== undefined && document.activeElement !== bpm) bpm.value = String(last.bpm)
    const late = state.mode === 'interval' ? 'one bar' : `${state.playout_ms} ms`
    advice.textContent = `everyone hears everyone ${late} late` + (state.advise_interval && state.mode === 'live' ? ' — round trips are long: try long distance' : '')
    const canPlay = mine?.can_play ?? false
    for (const control of [startButton, recordButton, modeSelect, instrument, bpm]) control.disabled = !canPlay
    replaceChildren(
      players,
      ...state.players.map((p) =>
        h(
          'li.jam-player',
          { dataset: { id: p.id, me: String(p.id === jam.me) } },
          h('b', {}, p.name),
          ` ${p.instrument}`,
          h('span.rtt', {}, p.rtt === null ? ' · round trip …' : ` · round trip ${Math.round(p.rtt)} ms · heard ${late} late`),
          p.recording ? h('span.rec', {}, ' ● rec') : null,
          p.can_play ? null : h('span.viewer', {}, ' (listening)'),
          p.id === jam.me ? null : h('span.audio', {}),
        ),
      ),
    )
    for (const p of state.players) if (p.id !== jam.me) showPeer(p.id)
  }

  function buildKeyboard(): void {
    const base = 48 + 12 * octave
    const keys = []
    for (let pitch = base; pitch < base + 24; pitch++) {
      const black = [1, 3, 6, 8, 10].includes(pitch % 12)
      const key = h('button.jam-key', { class: black ? 'black' : 'white', dataset: { pitch: String(pitch) } })
      key.addEventListener('pointerdown', (e) => {
        try {
          key.setPointerCapture(e.pointerId) // the release comes here even off the key
        } catch {
          // not an active pointer (a synthetic event): nothing to capture
        }
        input.noteOn(pitch)
      })
      key.addEventListener('pointerup', () => input.noteOff(pitch))
      key.addEventListener('pointercancel', () => input.noteOff(pitch))
      keys.push(key)
    }
    replaceChildren(keyboard, ...keys)
  }

  for (const pitch of PADS) {
    const pad = h('button.jam-pad', { dataset: { pitch: String(pitch) } }, DRUM_NAMES[pitch] ?? String(pitch))
    pad.addEventListener('pointerdown', () => {
      if (!drums) {
        instrument.value = 'drums'
        setInstrument(0, true)
      }
      input.noteOn(pitch, velocity)
      setTimeout(() => input.noteOff(pitch), 100)
    })
    pads.append(pad)
  }
  buildKeyboard()

  function keyPitch(event: KeyboardEvent): number | null {
    const index = KEYS.indexOf(event.key.toLowerCase())
    return index < 0 ? null : 60 + 12 * octave + index
  }

  function onKeyDown(event: KeyboardEvent): void {
    if (event.repeat || event.ctrlKey || event.metaKey || event.altKey) return
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) return
    if (event.key === 'z' || event.key === 'x') {
      octave = Math.max(-3, Math.min(3, octave + (event.key === 'x' ? 1 : -1)))
      buildKeyboard()
      return
    }
    if (event.key === ' ') {
      event.preventDefault()
      input.sustain(true)
      return
    }
    const pitch = keyPitch(event)
    if (pitch !== null) input.noteOn(pitch)
  }

  function onKeyUp(event: KeyboardEvent): void {
    if (event.key === ' ') input.sustain(false)
    const pitch = keyPitch(event)
    if (pitch !== null) input.noteOff(pitch)
  }

  window.addEventListener('keydown', onKeyDown)
  window.addEventListener('keyup', onKeyUp)

  // The metronome and the position, on the shared clock.
  const ticker = setInterval(() => {
    const state = jam.state
    if (state === null || !jam.synced) return
    const now = jam.serverNow()
    if (!state.transport.playing) {
      position.textContent = 'stopped'
      scheduledUntil = 0
      return
    }
    const where = positionAt(state.transport, now)
    position.textContent = where.bar < 0 ? `count-in ${Math.floor(where.beat) + 1}` : `${where.bar + 1}.${Math.floor(where.beat) + 1}`
    position.dataset.bar = String(where.bar)
    const from = Math.max(now, scheduledUntil)
    const to = now + LOOKAHEAD_MS
    if (metronome && synth !== null) for (const beat of beatsBetween(state.transport, from, to)) synth.click(beat.downbeat, audioTime(beat.at))
    scheduledUntil = to
  }, SCHEDULE_EVERY_MS)

  const velocityInput = h('input.jam-velocity', { type: 'range', min: 1, max: 127, value: '100', title: 'Velocity', oninput: () => (velocity = Number(velocityInput.value)) })
  const bendInput = h('input.jam-bend', { type: 'range', min: -8192, max: 8191, value: '0', title: 'Pitch bend', oninput: () => input.bend(Number(bendInput.value)) })
  bendInput.addEventListener('pointerup', () => {
    bendInput.value = '0'
    input.bend(0)
  })
  const metronomeBox = h('input', { type: 'checkbox', checked: true, onchange: () => (metronome = metronomeBox.checked) })

  const element = h(
    'main.jam-page',
    {},
    h('header.jam-header', {}, h('a', { href: `/p/${encodeURIComponent(projectId)}` }, '← Studio'), h('h1', {}, 'Jam'), h('span.jam-user', {}, user.username), status),
    h(
      'section.jam-transport',
      {},
      startButton,
      bpm,
      meter,
      countIn,
      h('label', {}, metronomeBox, ' Metronome'),
      position,
      modeSelect,
      recordButton,
      advice,
    ),
    h('section.jam-instrument-row', {}, instrument, h('label', {}, 'Velocity ', velocityInput), h('label', {}, 'Bend ', bendInput), audioSource, audioButton),
    h('section.jam-latency-row', {}, h('label', {}, 'Latency offset ', latencyInput, ' ms'), latencyInfo),
    keyboard,
    pads,
    h('section.jam-room', {}, h('h2', {}, 'Players'), players, h('h2', {}, 'Heard'), log),
  )

  const hook = { input, heard, connection: jam, mesh, recorder, toggleAudio, serverNow: () => jam.serverNow(), latency }
  ;(window as unknown as { bandmateJam?: typeof hook }).bandmateJam = hook

  return {
    element,
    destroy: () => {
      clearInterval(ticker)
      window.removeEventListener('keydown', onKeyDown)
      window.removeEventListener('keyup', onKeyUp)
      window.removeEventListener('online', onOnline)
      void recorder.stop() // what was recorded so far is kept and sent
      mesh.close()
      jam.close()
      synth?.silence()
      delete (window as unknown as { bandmateJam?: typeof hook }).bandmateJam
    },
  }
}
