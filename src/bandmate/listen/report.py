"""The analysis as pictures: PNG charts and one self-contained HTML page.

Charts are drawn with matplotlib's Agg canvas on ``Figure`` objects (no pyplot, no global
state, no display), as the mastering report does. The page embeds them as base64
``data:`` URIs with its own CSS, so it opens offline from disk with nothing fetched.

- waveform: the signal's min/max envelope with beats (grey) and downbeats (red);
- chroma: the beat-synchronous chromagram with the chord timeline above it;
- loudness: short-term loudness (3 s windows) with the integrated loudness;
- mood: the valence/arousal point on Russell's plane;
- tags: the tagger's best tags as a bar chart, coloured by kind (style, mood, era, voice),
  when the tagger heard anything.
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from bandmate.listen.result import AudioAnalysis
from bandmate.listen.tonal import PITCH_NAMES
from bandmate.master.plots import figure_png

_ACCENT = "#d9480f"
_INK = "#495057"


def waveform_chart(analysis: AudioAnalysis, mono: NDArray[np.floating], rate: float) -> bytes:
    """The waveform's envelope with beats and downbeats (PNG bytes).

    Args:
        analysis: The analysis.
        mono: The mono signal [shape=(n,)].
        rate: Its sample rate, Hz.
    """
    figure = Figure(figsize=(9.0, 2.6))
    axes = figure.add_subplot()
    columns = 2000
    if len(mono):
        usable = len(mono) - len(mono) % columns if len(mono) >= columns else len(mono)
        shaped = np.asarray(mono[:usable]).reshape(min(columns, usable), -1)
        times = np.arange(len(shaped)) * shaped.shape[1] / rate
        axes.fill_between(times, shaped.min(axis=1), shaped.max(axis=1), color=_INK, lw=0)
    for t in analysis.beats:
        axes.axvline(t, color="#adb5bd", lw=0.5)
    for t in analysis.downbeats:
        axes.axvline(t, color=_ACCENT, lw=1.0)
    axes.set_xlim(0.0, max(analysis.seconds, 1e-3))
    axes.set_xlabel("time (s); beats grey, downbeats red")
    axes.set_ylabel("amplitude")
    figure.tight_layout()
    return figure_png(figure)


def chroma_chart(analysis: AudioAnalysis) -> bytes:
    """Beat-synchronous chromagram with the chord timeline (PNG bytes)."""
    figure = Figure(figsize=(9.0, 3.4))
    axes = figure.add_subplot()
    edges = np.array([0.0, *analysis.beats, analysis.seconds])
    edges = edges[np.concatenate([[True], np.diff(edges) > 1e-3])]
    chroma = np.array(analysis.beat_chroma, dtype=np.float64).reshape(-1, 12)
    if len(chroma) and len(edges) == len(chroma) + 1:
        axes.pcolormesh(edges, np.arange(13) - 0.5, chroma.T, cmap="magma", shading="flat")
    axes.set_yticks(range(12), PITCH_NAMES)
    axes.set_xlim(0.0, max(analysis.seconds, 1e-3))
    axes.set_ylim(-0.5, 13.5)
    for span in analysis.chords:
        if span.label == "N":
            continue
        axes.axvline(span.start, color="white", lw=0.6, alpha=0.6)
        axes.text(
            (span.start + span.end) / 2, 12.8, span.symbol, ha="center", va="center", fontsize=7
        )
    axes.set_xlabel("time (s)")
    axes.set_title("chroma by beat, with the chords", fontsize=9)
    figure.tight_layout()
    return figure_png(figure)


def loudness_chart(analysis: AudioAnalysis) -> bytes:
    """Short-term loudness over time with the integrated loudness (PNG bytes)."""
    figure = Figure(figsize=(9.0, 2.6))
    axes = figure.add_subplot()
    loud = analysis.loudness
    values = np.array([np.nan if v is None else v for v in loud.short_term_lufs], dtype=float)
    times = np.arange(len(values)) * loud.hop_seconds + 3.0
    axes.plot(times, values, color=_ACCENT, lw=1.4, label="short-term (3 s)")
    if loud.integrated_lufs is not None:
        axes.axhline(loud.integrated_lufs, color="black", ls="--", lw=1.0, label="integrated")
    axes.set_ylim(-60.0, 0.0)
    axes.set_xlabel("time (s, end of each 3 s window)")
    axes.set_ylabel("LUFS")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    return figure_png(figure)


def mood_chart(analysis: AudioAnalysis) -> bytes:
    """The mood as a point on the valence/arousal plane (PNG bytes)."""
    figure = Figure(figsize=(3.6, 3.6))
    axes = figure.add_subplot()
    axes.axhline(0.0, color="#ced4da", lw=1.0)
    axes.axvline(0.0, color="#ced4da", lw=1.0)
    for x, y, name in ((0.5, 0.5, "happy"), (-0.5, 0.5, "tense"), (-0.5, -0.5, "sad"),
                       (0.5, -0.5, "calm")):  # fmt: skip
        axes.text(x, y, name, ha="center", va="center", color="#adb5bd", fontsize=10)
    axes.scatter([analysis.mood.valence], [analysis.mood.arousal], s=80, color=_ACCENT, zorder=3)
    axes.set_xlim(-1.0, 1.0)
    axes.set_ylim(-1.0, 1.0)
    axes.set_xlabel("valence")
    axes.set_ylabel("arousal")
    figure.tight_layout()
    return figure_png(figure)


_KIND_COLOURS = {
    "genre": _ACCENT,
    "mood": "#1c7ed6",
    "era": "#868e96",
    "voice": "#37b24d",
    "instrument": "#f59f00",
}


def tags_chart(analysis: AudioAnalysis) -> bytes:
    """The tagger's tags as horizontal bars, best on top (PNG bytes)."""
    tags = analysis.tags
    figure = Figure(figsize=(6.0, 0.8 + 0.28 * max(len(tags), 1)))
    axes = figure.add_subplot()
    rows = np.arange(len(tags))[::-1]
    colours = [_KIND_COLOURS.get(t.kind, _INK) for t in tags]
    axes.barh(rows, [t.score for t in tags], color=colours, height=0.7)
    axes.set_yticks(rows, [f"{t.name} ({t.kind})" for t in tags], fontsize=8)
    # Tag scores are calibrated to tag frequencies: 0.3 is already strong, so the axis
    # follows the best score instead of running to 1.
    axes.set_xlim(0.0, max(0.1, 1.15 * max((t.score for t in tags), default=0.0)))
    axes.set_xlabel("score (musicnn, mean over the patches heard)")
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return figure_png(figure)


def render_charts(
    analysis: AudioAnalysis, mono: NDArray[np.floating], rate: float
) -> dict[str, bytes]:
    """Every chart of the report as PNG bytes, by file name."""
    charts = {
        "waveform.png": waveform_chart(analysis, mono, rate),
        "chroma.png": chroma_chart(analysis),
        "loudness.png": loudness_chart(analysis),
        "mood.png": mood_chart(analysis),
    }
    if analysis.tags:
        charts["tags.png"] = tags_chart(analysis)
    return charts


def _value(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value:.1f} {unit}"


def report_html(analysis: AudioAnalysis, charts: dict[str, bytes], *, title: str) -> str:
    """The analysis as one self-contained HTML page."""
    loud = analysis.loudness
    rows = (
        ("Key", f"{analysis.key.name} (confidence {analysis.key.confidence:.2f}; "
                f"runner-up {analysis.key.runner_up})"),
        ("Tempo", f"{analysis.bpm:.1f} bpm, {analysis.beats_per_bar} beats to the bar"),
        ("Beats", f"{len(analysis.beats)} beats, {len(analysis.downbeats)} bars"),
        ("Loudness", f"{_value(loud.integrated_lufs, 'LUFS')} integrated, range "
                     f"{loud.loudness_range_lu:.1f} LU, true peak "
                     f"{_value(loud.true_peak_dbtp, 'dBTP')}"),
        ("Energy", f"{analysis.energy:.2f}"),
        ("Rhythm strength", f"{analysis.rhythm_strength:.2f}"),
        ("Brightness", f"{analysis.brightness_hz:.0f} Hz spectral centroid"),
        ("Mood", f"{analysis.mood.label} (valence {analysis.mood.valence:+.2f}, arousal "
                 f"{analysis.mood.arousal:+.2f}; a heuristic"
                 f"{', nudged by the mood tags' if analysis.tags else ''})"),
        ("Style", ", ".join(f"{t.name} {t.score:.2f}" for t in analysis.genres()) or "—"),
        ("Mood tags", ", ".join(f"{t.name} {t.score:.2f}" for t in analysis.moods()) or "—"),
        ("Tagger", analysis.tagger or "—"),
        ("Length", f"{analysis.seconds:.1f} s, {analysis.sample_rate} Hz, "
                   f"{analysis.channels} channel(s)"),
    )  # fmt: skip
    table = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    chords = " ".join(html.escape(c.symbol) for c in analysis.chords if c.label != "N")
    images = "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(data).decode("ascii")}"></figure>'
        for name, data in charts.items()
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Analysis: {html.escape(title)}</title>
<style>
body {{ font-family: "DejaVu Sans", Verdana, sans-serif; margin: 2em auto; max-width: 62em;
  color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td {{ border-bottom: 1px solid #ddd; padding: 0.3em 1em; }}
img {{ max-width: 100%; }} figure {{ margin: 1em 0; }}
.chords {{ font-family: monospace; }}
</style></head><body>
<h1>Analysis: {html.escape(title)}</h1>
<table>{table}</table>
<p>Chords: <span class="chords">{chords or "none found"}</span></p>
{images}
</body></html>
"""


def write_report(
    analysis: AudioAnalysis,
    path: str | os.PathLike[str],
    *,
    mono: NDArray[np.floating],
    rate: float,
    title: str,
) -> Path:
    """Write the HTML report.

    Args:
        analysis: The analysis.
        path: The HTML file to write.
        mono: The mono signal for the waveform [shape=(n,)].
        rate: Its rate, Hz.
        title: The page's title (the file name).

    Returns:
        The path written.
    """
    target = Path(path)
    page = report_html(analysis, render_charts(analysis, mono, rate), title=title)
    target.write_text(page, encoding="utf-8")
    return target
