/**
 * Audio between the players of a jam room: a mesh of RTCPeerConnections, one per other player,
 * negotiated through the jam socket's `signal` messages (docs/jam.md).
 *
 * Negotiation follows the "perfect negotiation" pattern: of each pair, the player who joined
 * later (the higher id) is *polite* and rolls back its own offer when offers cross; the other
 * ignores the crossing offer. So glare (both sides renegotiating at once, e.g. an ICE restart
 * after a network change) resolves by itself. The first offer comes from the impolite side,
 * which adds the pair's one audio transceiver; the polite side answers on that transceiver, so
 * each pair has one bidirectional audio line, and switching microphones is a `replaceTrack`.
 *
 * Opus is tuned for playing, not for calls: 10 ms packets, in-band FEC, no DTX (silence between
 * notes must not be cut), stereo and 128 kb/s for an instrument, mono 48 kb/s for voice. The
 * preferences go into the *remote* description before it is applied: an SDP's fmtp says what
 * its author wants to receive, so munging the remote side tells our own encoder how to send.
 * The receiver's jitter buffer is asked to stay as short as possible (`jitterBufferTarget`,
 * Chrome's older `playoutDelayHint`).
 */

export type AudioSource = 'instrument' | 'voice'
export type SignalKind = 'offer' | 'answer' | 'ice' | 'bye'

export interface OpusOptions {
  stereo: boolean
  /** kb/s */
  maxAverageBitrate: number
  /** ms of audio per packet */
  ptime: number
}

export const OPUS: Record<AudioSource, OpusOptions> = {
  instrument: { stereo: true, maxAverageBitrate: 128_000, ptime: 10 },
  voice: { stereo: false, maxAverageBitrate: 48_000, ptime: 10 },
}

/**
 * getUserMedia constraints: an instrument goes through untouched (echo cancellation, noise
 * suppression and gain control would pump and cut its notes), a voice gets all three.
 */
export function audioConstraints(source: AudioSource): MediaTrackConstraints {
  const processed = source === 'voice'
  return {
    echoCancellation: processed,
    noiseSuppression: processed,
    autoGainControl: processed,
    channelCount: { ideal: processed ? 1 : 2 },
    sampleRate: { ideal: 48_000 },
    // Not in every lib.dom yet; browsers that know it pick their shortest capture buffer.
    ...({ latency: { ideal: 0 } } as MediaTrackConstraints),
  }
}

/**
 * `sdp` with every Opus payload type's fmtp set to `options` (stereo, bitrate, FEC on, DTX off,
 * `minptime`) and each audio section's `a=ptime`/`a=maxptime` set to `options.ptime`.
 * Other codecs and sections are left as they are.
 */
export function tuneOpus(sdp: string, options: OpusOptions): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n'
  const lines = sdp.split(eol)
  const opus = new Set<string>()
  for (const line of lines) {
    const match = /^a=rtpmap:(\d+) opus\/48000/i.exec(line)
    if (match !== null) opus.add(match[1]!)
  }
  if (opus.size === 0) return sdp
  const wanted: Record<string, string> = {
    minptime: String(options.ptime),
    useinbandfec: '1',
    usedtx: '0',
    stereo: options.stereo ? '1' : '0',
    'sprop-stereo': options.stereo ? '1' : '0',
    maxaveragebitrate: String(options.maxAverageBitrate),
  }
  const out: string[] = []
  let section = ''
  let sectionPts: string[] = []
  const hasFmtp = new Set<string>()
  const flush = (): void => {
    if (section !== 'audio') return
    for (const pt of sectionPts) {
      if (opus.has(pt) && !hasFmtp.has(pt)) out.push(`a=fmtp:${pt} ${formatFmtp({}, wanted)}`)
    }
    out.push(`a=ptime:${options.ptime}`, `a=maxptime:${Math.max(options.ptime, 20)}`)
  }
  for (const line of lines) {
    if (line.startsWith('m=')) {
      flush()
      section = line.slice(2).split(' ')[0] ?? ''
      sectionPts = line.split(' ').slice(3)
      hasFmtp.clear()
      out.push(line)
      continue
    }
    if (section === 'audio' && (line.startsWith('a=ptime:') || line.startsWith('a=maxptime:'))) continue
    const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(line)
    if (section === 'audio' && fmtp !== null && opus.has(fmtp[1]!)) {
      hasFmtp.add(fmtp[1]!)
      out.push(`a=fmtp:${fmtp[1]} ${formatFmtp(parseFmtp(fmtp[2]!), wanted)}`)
      continue
    }
    if (line === '' && out.length > 0 && section !== '') {
      flush()
      section = ''
    }
    out.push(line)
  }
  flush()
  return out.join(eol)
}

function parseFmtp(text: string): Record<string, string> {
  const params: Record<string, string> = {}
  for (const part of text.split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key) params[key] = value.join('=')
  }
  return params
}

function formatFmtp(current: Record<string, string>, wanted: Record<string, string>): string {
  return Object.entries({ ...current, ...wanted })
    .map(([k, v]) => `${k}=${v}`)
    .join(';')
}

/** What the players list shows of one peer's audio. */
export interface PeerStats {
  /** The peer connection's state (`connecting`, `connected`, `failed`, ...). */
  state: string
  /** Round trip of the selected candidate pair (ms), or from RTCP when that is missing. */
  rttMs: number | null
  /** Interarrival jitter of the audio received from this peer (ms). */
  jitterMs: number | null
  packetsReceived: number
  packetsLost: number
  bytesReceived: number
  /** Average time a received sample waited in the jitter buffer (ms). */
  jitterBufferMs: number | null
}

/** Summarize a `getStats()` report (its values) into {@link PeerStats}. */
export function summarizeStats(reports: Iterable<Record<string, unknown>>, state: string): PeerStats {
  const result: PeerStats = { state, rttMs: null, jitterMs: null, packetsReceived: 0, packetsLost: 0, bytesReceived: 0, jitterBufferMs: null }
  let rtcpRtt: number | null = null
  for (const report of reports) {
    const num = (key: string): number | null => (typeof report[key] === 'number' ? (report[key] as number) : null)
    if (report.type === 'candidate-pair' && (report.nominated === true || report.selected === true) && report.state === 'succeeded') {
      const rtt = num('currentRoundTripTime')
      if (rtt !== null) result.rttMs = rtt * 1000
    } else if (report.type === 'remote-inbound-rtp' && report.kind === 'audio') {
      const rtt = num('roundTripTime')
      if (rtt !== null) rtcpRtt = rtt * 1000
    } else if (report.type === 'inbound-rtp' && report.kind === 'audio') {
      result.packetsReceived += num('packetsReceived') ?? 0
      result.packetsLost += num('packetsLost') ?? 0
      result.bytesReceived += num('bytesReceived') ?? 0
      const jitter = num('jitter')
      if (jitter !== null) result.jitterMs = jitter * 1000
      const delay = num('jitterBufferDelay')
      const emitted = num('jitterBufferEmittedCount')
      if (delay !== null && emitted !== null && emitted > 0) result.jitterBufferMs = (delay / emitted) * 1000
    }
  }
  result.rttMs ??= rtcpRtt
  return result
}

/** Whether this side is polite towards `other`: player ids are `p<n>`, the later joiner yields. */
export function isPolite(me: string, other: string): boolean {
  const a = Number(me.slice(1))
  const b = Number(other.slice(1))
  return Number.isFinite(a) && Number.isFinite(b) && a !== b ? a > b : me > other
}

export type Signal = (to: string, kind: SignalKind, data: Record<string, unknown>) => void

export interface MeshHandlers {
  /** A peer's audio arrived (play it). */
  track?: (peer: string, stream: MediaStream) => void
  /** A peer's connection changed state, or new stats came in. */
  changed?: (peer: string) => void
}

interface Peer {
  id: string
  pc: RTCPeerConnection
  polite: boolean
  makingOffer: boolean
  ignoreOffer: boolean
  audio: HTMLAudioElement | null
  stats: PeerStats
  /** ICE candidates that came before the remote description. */
  pending: RTCIceCandidateInit[]
  /** ICE restarts since the connection last worked. */
  restarts: number
  /** The source whose Opus preferences the last applied remote description carries. */
  tunedFor: AudioSource | null
}

const STATS_EVERY_MS = 1000
const MAX_ICE_RESTARTS = 3

/** The mesh of one player: one RTCPeerConnection per other player in the room. */
export class AudioMesh {
  readonly peers = new Map<string, Peer>()
  source: AudioSource = 'instrument'
  stream: MediaStream | null = null
  private iceServers: RTCIceServer[] = []
  private me = ''
  private readonly timer: ReturnType<typeof setInterval>
  private closed = false

  constructor(
    private readonly signal: Signal,
    private readonly handlers: MeshHandlers = {},
  ) {
    this.timer = setInterval(() => void this.pollStats(), STATS_EVERY_MS)
  }

  /** The STUN/TURN servers the server handed this member (used for new connections). */
  setIceServers(servers: RTCIceServer[]): void {
    this.iceServers = servers
    for (const peer of this.peers.values()) peer.pc.setConfiguration({ ...peer.pc.getConfiguration(), iceServers: servers })
  }

  /** Capture the microphone/line input as `source` and send it to every peer. */
  async startAudio(source: AudioSource): Promise<MediaStream> {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: audioConstraints(source), video: false })
    this.stopAudio()
    this.source = source
    this.stream = stream
    const track = stream.getAudioTracks()[0] ?? null
    if (track !== null) track.contentHint = source === 'voice' ? 'speech' : 'music'
    for (const peer of this.peers.values()) {
      await this.attach(peer)
      // Negotiated for the other source (stereo or not, its bitrate): negotiate again, so the
      // answer we apply carries this source's Opus preferences to our encoder.
      if (peer.tunedFor !== null && peer.tunedFor !== source && peer.pc.signalingState === 'stable') void this.offer(peer)
    }
    return stream
  }

  /** Stop sending audio (peers keep receiving theirs). */
  stopAudio(): void {
    if (this.stream === null) return
    for (const track of this.stream.getTracks()) track.stop()
    this.stream = null
    for (const peer of this.peers.values()) void this.attach(peer)
  }

  /** Follow the room: a connection for each other player, none for those who left. */
  setPlayers(me: string, ids: string[]): void {
    if (this.closed) return
    this.me = me
    const wanted = new Set(ids.filter((id) => id !== me))
    for (const id of [...this.peers.keys()]) if (!wanted.has(id)) this.drop(id)
    for (const id of wanted) this.peer(id)
  }

  /** A `signal` message from player `from`. */
  async receive(from: string, kind: SignalKind, data: Record<string, unknown>): Promise<void> {
    if (this.closed || from === this.me || this.me === '') return
    if (kind === 'bye') {
      this.drop(from)
      return
    }
    const peer = this.peer(from)
    const { pc } = peer
    if (kind === 'ice') {
      const candidate = data as RTCIceCandidateInit
      if (pc.remoteDescription === null) {
        peer.pending.push(candidate)
        return
      }
      try {
        await pc.addIceCandidate(candidate)
      } catch (error) {
        if (!peer.ignoreOffer) console.warn('ICE candidate refused', error)
      }
      return
    }
    const type = kind === 'offer' ? 'offer' : 'answer'
    if (typeof data.sdp !== 'string') return
    const description: RTCSessionDescriptionInit = { type, sdp: tuneOpus(data.sdp, OPUS[this.source]) }
    const collision = type === 'offer' && (peer.makingOffer || pc.signalingState !== 'stable')
    peer.ignoreOffer = !peer.polite && collision
    if (peer.ignoreOffer) return
    if (type === 'answer' && pc.signalingState !== 'have-local-offer') return // a stale answer
    await pc.setRemoteDescription(description) // a polite peer rolls its own offer back here
    peer.tunedFor = this.source
    for (const candidate of peer.pending.splice(0)) await pc.addIceCandidate(candidate).catch(() => undefined)
    if (type === 'offer') {
      await this.attach(peer) // answer on the offerer's transceiver, sending our audio on it
      await pc.setLocalDescription()
      const local = pc.localDescription
      if (local !== null) this.signal(from, 'answer', { type: local.type, sdp: local.sdp })
    }
  }

  /** Last stats of each peer. */
  stats(): Map<string, PeerStats> {
    return new Map([...this.peers].map(([id, peer]) => [id, peer.stats]))
  }

  close(): void {
    this.closed = true
    clearInterval(this.timer)
    for (const id of [...this.peers.keys()]) {
      this.signal(id, 'bye', {})
      this.drop(id)
    }
    this.stopAudio()
  }

  private peer(id: string): Peer {
    const existing = this.peers.get(id)
    if (existing !== undefined) return existing
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' })
    const peer: Peer = {
      id,
      pc,
      polite: isPolite(this.me, id),
      makingOffer: false,
      ignoreOffer: false,
      audio: null,
      stats: summarizeStats([], pc.connectionState),
      pending: [],
      restarts: 0,
      tunedFor: null,
    }
    this.peers.set(id, peer)
    pc.onnegotiationneeded = () => void this.offer(peer)
    pc.onsignalingstatechange = () => {
      // The source changed while a negotiation was under way (startAudio could not offer
      // then): once it settles, negotiate again so this source's Opus preferences apply.
      if (pc.signalingState === 'stable' && this.stream !== null && peer.tunedFor !== null && peer.tunedFor !== this.source) {
        void this.offer(peer)
      }
    }
    pc.onicecandidate = ({ candidate }) => {
      if (candidate !== null) this.signal(id, 'ice', candidate.toJSON() as Record<string, unknown>)
    }
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed') peer.restarts = 0
      // A network change: restart ICE (it renegotiates; glare is handled), a few times, backing
      // off, so two players who cannot reach each other at all do not retry forever.
      if (pc.iceConnectionState === 'failed' && peer.restarts < MAX_ICE_RESTARTS) {
        const wait = 1000 * 2 ** peer.restarts
        peer.restarts += 1
        setTimeout(() => {
          if (this.peers.get(id) === peer && pc.iceConnectionState === 'failed') pc.restartIce()
        }, wait)
      }
    }
    pc.onconnectionstatechange = () => {
      peer.stats = { ...peer.stats, state: pc.connectionState }
      this.handlers.changed?.(id)
    }
    pc.ontrack = (event) => {
      lowLatency(event.receiver)
      const stream = event.streams[0] ?? new MediaStream([event.track])
      if (peer.audio === null) {
        peer.audio = new Audio()
        peer.audio.autoplay = true
      }
      peer.audio.srcObject = stream
      void peer.audio.play().catch(() => undefined) // autoplay may wait for a gesture
      this.handlers.track?.(id, stream)
    }
    if (!peer.polite) {
      // The pair's one audio line; negotiationneeded fires and the first offer goes out.
      const track = this.stream?.getAudioTracks()[0]
      const init: RTCRtpTransceiverInit = { direction: 'sendrecv', streams: this.stream ? [this.stream] : [] }
      const transceiver = pc.addTransceiver(track ?? 'audio', init)
      lowLatency(transceiver.receiver)
      void tuneSender(transceiver.sender, OPUS[this.source])
    }
    return peer
  }

  /** Send a fresh offer to `peer` (perfect negotiation resolves a crossing one). */
  private async offer(peer: Peer): Promise<void> {
    const { pc } = peer
    try {
      peer.makingOffer = true
      await pc.setLocalDescription()
      const local = pc.localDescription
      if (local !== null) this.signal(peer.id, 'offer', { type: local.type, sdp: local.sdp })
    } catch (error) {
      console.warn('offer failed', error)
    } finally {
      peer.makingOffer = false
    }
  }

  /** Put our audio (or nothing) on the pair's transceiver. */
  private async attach(peer: Peer): Promise<void> {
    const transceiver = peer.pc.getTransceivers().find((t) => t.receiver.track.kind === 'audio' && t.currentDirection !== 'stopped')
    if (transceiver === undefined) return
    const track = this.stream?.getAudioTracks()[0] ?? null
    if (transceiver.direction !== 'sendrecv') transceiver.direction = 'sendrecv'
    if (this.stream !== null) transceiver.sender.setStreams(this.stream)
    await transceiver.sender.replaceTrack(track)
    lowLatency(transceiver.receiver)
    await tuneSender(transceiver.sender, OPUS[this.source])
  }

  private drop(id: string): void {
    const peer = this.peers.get(id)
    if (peer === undefined) return
    this.peers.delete(id)
    peer.pc.close()
    if (peer.audio !== null) peer.audio.srcObject = null
    this.handlers.changed?.(id)
  }

  private async pollStats(): Promise<void> {
    for (const peer of [...this.peers.values()]) {
      if (peer.pc.connectionState === 'closed') continue
      try {
        const report = await peer.pc.getStats()
        peer.stats = summarizeStats(report.values() as Iterable<Record<string, unknown>>, peer.pc.connectionState)
        this.handlers.changed?.(peer.id)
      } catch {
        // closed while asking: the next poll skips it
      }
    }
  }
}

/** Ask the receiver for the shortest jitter buffer it can run with. */
function lowLatency(receiver: RTCRtpReceiver): void {
  const r = receiver as unknown as { jitterBufferTarget?: number | null; playoutDelayHint?: number | null }
  try {
    if ('jitterBufferTarget' in receiver) r.jitterBufferTarget = 0
    else r.playoutDelayHint = 0
  } catch {
    // an older browser without either: its adaptive buffer stays
  }
}

/** Bitrate cap and priority on the sender (what SDP cannot say). */
async function tuneSender(sender: RTCRtpSender, options: OpusOptions): Promise<void> {
  const params = sender.getParameters()
  if (params.encodings === undefined || params.encodings.length === 0) return
  for (const encoding of params.encodings) {
    encoding.maxBitrate = options.maxAverageBitrate
    encoding.priority = 'high'
    encoding.networkPriority = 'high'
  }
  try {
    await sender.setParameters(params)
  } catch {
    // not negotiated yet: set again once the transceiver carries our audio
  }
}
