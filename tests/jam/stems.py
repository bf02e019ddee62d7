"""Real recordings for the stem tests: Opus in WebM and Ogg (encoded by PyAV), PCM WAV."""

from __future__ import annotations

import io

import av
import numpy as np
import soundfile as sf

RATE = 48_000


def tone(seconds: float, hz: float = 440.0) -> np.ndarray:
    """A stereo sine at half scale: shape ``(2, n)``, float32."""
    t = np.arange(int(seconds * RATE)) / RATE
    mono = (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return np.stack([mono, mono])


def opus_file(seconds: float, *, container: str = "webm") -> bytes:
    """``seconds`` of a tone as Opus in WebM (what Chrome's MediaRecorder makes) or Ogg."""
    samples = tone(seconds)
    out = io.BytesIO()
    with av.open(out, "w", format=container) as muxer:
        stream = muxer.add_stream("libopus", rate=RATE, layout="stereo")
        for start in range(0, samples.shape[1], 960):
            chunk = np.ascontiguousarray(samples[:, start : start + 960])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = RATE
            frame.pts = start
            for packet in stream.encode(frame):
                muxer.mux(packet)
        for packet in stream.encode(None):
            muxer.mux(packet)
    return out.getvalue()


def wav_file(seconds: float) -> bytes:
    out = io.BytesIO()
    sf.write(out, tone(seconds).T, RATE, format="WAV", subtype="PCM_16")
    return out.getvalue()
