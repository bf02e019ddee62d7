import assert from 'node:assert/strict'
import { test } from 'node:test'
import { audioConstraints, isPolite, OPUS, summarizeStats, tuneOpus } from './rtc.ts'

// An audio section as Chrome writes it (trimmed), then a data section.
const SDP = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=ptime:20',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'a=mid:1',
  '',
].join('\r\n')

test('Opus gets stereo, its bitrate, FEC on, DTX off and 10 ms packets', () => {
  const tuned = tuneOpus(SDP, OPUS.instrument)
  assert.match(tuned, /a=fmtp:111 minptime=10;useinbandfec=1;usedtx=0;stereo=1;sprop-stereo=1;maxaveragebitrate=128000\r\n/)
  assert.match(tuned, /a=fmtp:63 111\/111\r\n/) // RED is left alone
  assert.doesNotMatch(tuned, /a=ptime:20/)
  assert.match(tuned, /a=ptime:10\r\na=maxptime:20\r\nm=application/) // in the audio section
  assert.ok(tuned.endsWith('a=mid:1\r\n'))
  const voice = tuneOpus(SDP, OPUS.voice)
  assert.match(voice, /stereo=0;sprop-stereo=0;maxaveragebitrate=48000/)
  assert.equal(tuneOpus(tuned, OPUS.instrument), tuned) // idempotent
})

test('an Opus payload without fmtp gets one', () => {
  const bare = SDP.replace('a=fmtp:111 minptime=10;useinbandfec=1\r\n', '')
  assert.match(tuneOpus(bare, OPUS.instrument), /a=fmtp:111 minptime=10;useinbandfec=1;usedtx=0;stereo=1/)
  const noOpus = SDP.replace(/a=rtpmap:111 opus\/48000\/2/, 'a=rtpmap:111 ISAC/16000')
  assert.equal(tuneOpus(noOpus, OPUS.instrument), noOpus)
})

test('instruments go unprocessed, voices get echo cancellation, noise suppression and AGC', () => {
  const instrument = audioConstraints('instrument')
  assert.equal(instrument.echoCancellation, false)
  assert.equal(instrument.noiseSuppression, false)
  assert.equal(instrument.autoGainControl, false)
  assert.deepEqual(instrument.channelCount, { ideal: 2 })
  const voice = audioConstraints('voice')
  assert.equal(voice.echoCancellation, true)
  assert.equal(voice.autoGainControl, true)
})

test('the later joiner is polite', () => {
  assert.equal(isPolite('p2', 'p1'), true)
  assert.equal(isPolite('p1', 'p2'), false)
  assert.equal(isPolite('p10', 'p9'), true) // numbers, not strings
})

test('stats: the selected pair round trip, inbound jitter, loss and bytes', () => {
  const stats = summarizeStats(
    [
      { type: 'candidate-pair', state: 'succeeded', nominated: true, currentRoundTripTime: 0.012 },
      { type: 'candidate-pair', state: 'failed', nominated: false, currentRoundTripTime: 9 },
      { type: 'inbound-rtp', kind: 'audio', packetsReceived: 500, packetsLost: 3, bytesReceived: 40_000, jitter: 0.004, jitterBufferDelay: 2400, jitterBufferEmittedCount: 96_000 },
      { type: 'inbound-rtp', kind: 'video', packetsReceived: 99 },
      { type: 'remote-inbound-rtp', kind: 'audio', roundTripTime: 0.5 },
    ],
    'connected',
  )
  assert.equal(stats.rttMs, 12)
  assert.equal(stats.jitterMs, 4)
  assert.equal(stats.packetsReceived, 500)
  assert.equal(stats.packetsLost, 3)
  assert.equal(stats.bytesReceived, 40_000)
  assert.ok(Math.abs((stats.jitterBufferMs ?? 0) - 25) < 1e-9)
  assert.equal(summarizeStats([{ type: 'remote-inbound-rtp', kind: 'audio', roundTripTime: 0.03 }], 'connected').rttMs, 30)
})
