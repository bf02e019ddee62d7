"""A scripted WebRTC audio peer for tests: aiortc speaking the jam room's signalling.

It follows the browser's rules (``web/src/jam/rtc.ts``): of each pair of players, the one
with the lower id adds the pair's audio transceiver and makes the offer; the other answers
on it, sending its own audio back. Offers and answers travel as ``signal`` messages
``{"type", "sdp"}``, ICE candidates as ``RTCIceCandidateInit`` objects (aiortc puts its own
candidates into the SDP, so it sends none of its own but accepts the browser's trickled ones).
"""

from __future__ import annotations

import asyncio
import fractions
import time
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

from .jam_client import TIMEOUT_S, JamClient

RATE = 48_000
FRAME = 960  # 20 ms


class Tone(MediaStreamTrack):
    """A sine of ``hz`` at half scale, paced in real time, as 20 ms mono frames."""

    kind = "audio"

    def __init__(self, hz: float) -> None:
        super().__init__()
        self.hz = hz
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._pts / RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (np.arange(FRAME) + self._pts) / RATE
        samples = (0.5 * 32767 * np.sin(2 * np.pi * self.hz * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME
        return frame


def player_number(player_id: str) -> int:
    return int(player_id[1:])


class RtcPeer:
    """One player's audio: its jam socket, its peer connection to one other player, and
    what it heard from that player (mono float samples at 48 kHz)."""

    def __init__(self, client: JamClient, tone_hz: float) -> None:
        self.client = client
        self.pc = RTCPeerConnection()
        self.tone = Tone(tone_hz)
        self.heard: list[np.ndarray] = []
        self.other = ""
        self._seen = 0
        self._reader: asyncio.Task[None] | None = None
        self._pump: asyncio.Task[None] | None = None

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._reader = asyncio.create_task(self._read(track))

    @property
    def heard_s(self) -> float:
        return sum(len(chunk) for chunk in self.heard) / RATE

    async def _read(self, track: MediaStreamTrack) -> None:
        while True:
            frame = await track.recv()
            assert isinstance(frame, av.AudioFrame)
            data = frame.to_ndarray().astype(np.float64) / 32768.0  # (1, channels * n) packed
            channels = len(frame.layout.channels)
            self.heard.append(data.reshape(-1, channels).mean(axis=1))

    async def connect(self, other: str) -> None:
        """Open the audio connection to player ``other`` (offer or wait for one)."""
        self.other = other
        self._pump = asyncio.create_task(self._signals())
        if player_number(self.client.me) < player_number(other):
            self.pc.addTransceiver(self.tone, direction="sendrecv")
            offer = await self.pc.createOffer()
            await self.pc.setLocalDescription(offer)
            await self._send("offer", self.pc.localDescription)

    async def _send(self, kind: str, description: RTCSessionDescription) -> None:
        data = {"type": description.type, "sdp": description.sdp}
        await self.client.send({"t": "signal", "to": self.other, "kind": kind, "data": data})

    async def _signals(self) -> None:
        while True:
            message = await self.client.next_of("signal", after=self._seen)
            self._seen = self.client.messages.index(message) + 1
            await self._on_signal(message)

    async def _on_signal(self, message: dict[str, Any]) -> None:
        assert message["from"] == self.other, message
        kind, data = message["kind"], message["data"]
        if kind in ("offer", "answer"):
            await self.pc.setRemoteDescription(RTCSessionDescription(data["sdp"], data["type"]))
            if kind == "offer":
                for transceiver in self.pc.getTransceivers():
                    transceiver.sender.replaceTrack(self.tone)
                    transceiver.direction = "sendrecv"
                answer = await self.pc.createAnswer()
                await self.pc.setLocalDescription(answer)
                await self._send("answer", self.pc.localDescription)
        elif kind == "ice" and data.get("candidate"):
            candidate = candidate_from_sdp(data["candidate"].removeprefix("candidate:"))
            candidate.sdpMid = data.get("sdpMid")
            candidate.sdpMLineIndex = data.get("sdpMLineIndex")
            await self.pc.addIceCandidate(candidate)

    async def wait_heard(self, seconds: float, *, timeout: float = TIMEOUT_S) -> np.ndarray:
        """Wait until ``seconds`` of the other's audio arrived; all of it, concatenated."""
        async with asyncio.timeout(timeout):
            while self.heard_s < seconds:
                await asyncio.sleep(0.05)
        return np.concatenate(self.heard)

    async def close(self) -> None:
        for task in (self._reader, self._pump):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self.pc.close()


def peak_hz(samples: np.ndarray) -> float:
    """The strongest frequency in ``samples`` (48 kHz), by a Hann-windowed FFT."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1.0 / RATE)[int(np.argmax(spectrum))])
