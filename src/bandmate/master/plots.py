"""The before/after mastering report as pictures: PNG charts and one self-contained HTML page.

Charts are drawn with matplotlib's Agg canvas on ``Figure`` objects (no pyplot, so no
global state and no display), in DejaVu Sans, the font matplotlib ships. The HTML page
embeds them as base64 ``data:`` URIs and carries its own CSS: it opens offline, from disk,
with nothing fetched.
"""

from __future__ import annotations

import base64
import html
import io
import os
import warnings
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bandmate.master.report import Curve, LevelSummary, MasterReport

_BEFORE = "#8a8f98"
_AFTER = "#d9480f"
_REFERENCE = "#1c7ed6"
_DPI = 110


def _values(series: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in series], dtype=np.float64)


def figure_png(figure: Figure) -> bytes:
    """A matplotlib figure as PNG bytes, on a white background (the report's charts)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    with warnings.catch_warnings():
        # matplotlib may warn about glyphs or font caches; a chart is still drawn.
        warnings.simplefilter("ignore")
        figure.savefig(buffer, format="png", dpi=_DPI, facecolor="white")
    return buffer.getvalue()


def loudness_chart(report: MasterReport) -> bytes:
    """Short-term loudness over time, before and after, with the target line (PNG bytes)."""
    figure = Figure(figsize=(8.0, 3.2))
    axes = figure.add_subplot()
    hop = report.short_term_hop_seconds
    for series, color, label in (
        (report.short_term_before, _BEFORE, "before"),
        (report.short_term_after, _AFTER, "after"),
    ):
        values = _values(series)
        axes.plot(np.arange(len(values)) * hop + 3.0, values, color=color, label=label, lw=1.4)
    axes.axhline(report.target_lufs, color="black", ls="--", lw=1.0, label="target")
    axes.set_xlabel("time (s, end of each 3 s window)")
    axes.set_ylabel("short-term loudness (LUFS)")
    axes.set_ylim(max(-70.0, report.target_lufs - 40.0), 0.0)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=8)
    if not report.short_term_after:
        axes.text(0.5, 0.5, "shorter than one 3 s window", ha="center", transform=axes.transAxes)
    figure.tight_layout()
    return figure_png(figure)


def spectrum_chart(report: MasterReport) -> bytes:
    """Long-term spectra before, after and of the reference, with the EQ (PNG bytes)."""
    figure = Figure(figsize=(8.0, 3.6))
    axes = figure.add_subplot()
    curves: list[tuple[Curve | None, str, str]] = [
        (report.spectrum_before, _BEFORE, "before"),
        (report.spectrum_after, _AFTER, "after"),
        (report.spectrum_reference, _REFERENCE, "reference"),
    ]
    for curve, color, label in curves:
        if curve is not None:
            axes.semilogx(curve.frequencies_hz, _values(curve.level_db), color=color, label=label)
    axes.set_xlabel("frequency (Hz)")
    axes.set_ylabel("level (dB, 1/3 octave)")
    axes.set_xlim(20.0, 20_000.0)
    axes.grid(alpha=0.3, which="both")
    eq_axes = axes.twinx()
    eq_axes.semilogx(
        report.eq.frequencies_hz, _values(report.eq.level_db), color="black", ls=":", label="EQ"
    )
    eq_axes.set_ylim(-12.0, 12.0)
    eq_axes.set_ylabel("EQ (dB)")
    handles = axes.get_legend_handles_labels()[0] + eq_axes.get_legend_handles_labels()[0]
    axes.legend(handles=handles, loc="lower left", fontsize=8)
    figure.tight_layout()
    return figure_png(figure)


def levels_chart(report: MasterReport) -> bytes:
    """Integrated loudness, true peak, range and crest factor before and after (PNG bytes)."""
    names = ("integrated (LUFS)", "true peak (dBTP)", "range (LU)", "crest (dB)")

    def row(summary: LevelSummary) -> list[float]:
        values = (
            summary.integrated_lufs,
            summary.true_peak_dbtp,
            summary.loudness_range_lu,
            summary.crest_factor_db,
        )
        return [np.nan if v is None else v for v in values]

    figure = Figure(figsize=(8.0, 3.0))
    axes = figure.add_subplot()
    x = np.arange(len(names))
    axes.bar(x - 0.2, row(report.before), width=0.4, color=_BEFORE, label="before")
    axes.bar(x + 0.2, row(report.after), width=0.4, color=_AFTER, label="after")
    axes.axhline(0.0, color="black", lw=0.8)
    axes.set_xticks(x, names)
    axes.grid(alpha=0.3, axis="y")
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure_png(figure)


def render_charts(report: MasterReport) -> dict[str, bytes]:
    """Return every chart of the report as PNG bytes, by file name."""
    return {
        "loudness.png": loudness_chart(report),
        "spectrum.png": spectrum_chart(report),
        "levels.png": levels_chart(report),
    }


def _cell(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value:.2f} {unit}"


def report_html(report: MasterReport, charts: dict[str, bytes] | None = None) -> str:
    """Return the report as one self-contained HTML page (charts embedded as data URIs)."""
    charts = charts if charts is not None else render_charts(report)
    columns = [("before", report.before), ("after", report.after)]
    if report.reference is not None:
        columns.append(("reference", report.reference))
    fields = (
        ("Integrated loudness", "integrated_lufs", "LUFS"),
        ("Loudness range", "loudness_range_lu", "LU"),
        ("True peak", "true_peak_dbtp", "dBTP"),
        ("Sample peak", "sample_peak_dbfs", "dBFS"),
        ("Crest factor", "crest_factor_db", "dB"),
        ("Peak to loudness (PLR)", "plr_db", "dB"),
        ("Loudest 3 s", "max_short_term_lufs", "LUFS"),
    )
    head = "".join(f"<th>{name}</th>" for name, _ in columns)
    rows = "".join(
        f"<tr><td>{label}</td>"
        + "".join(f"<td>{_cell(getattr(s, field), unit)}</td>" for _, s in columns)
        + "</tr>"
        for label, field, unit in fields
    )
    images = "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(data).decode("ascii")}"></figure>'
        for name, data in charts.items()
    )
    verdict = "meets" if report.meets_target else "does not meet"
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in report.notes)
    chain = (
        f"make-up gain {report.gain_db:+.2f} dB, compression up to {report.compression_db:.1f}"
        f" dB, limiting up to {report.limiting_db:.1f} dB, width {report.width:.2f}"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Mastering report: {html.escape(report.target_label)}</title>
<style>
body {{ font-family: "DejaVu Sans", Verdana, sans-serif; margin: 2em auto; max-width: 60em;
  color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.3em 1em; text-align: right; }}
td:first-child {{ text-align: left; }}
img {{ max-width: 100%; }} figure {{ margin: 1em 0; }}
.verdict {{ font-weight: bold; }}
</style></head><body>
<h1>Mastering report</h1>
<p class="verdict">Target: {html.escape(report.target_label)}. The master {verdict} it:
{_cell(report.after.integrated_lufs, "LUFS")} ({report.loudness_error_lu:+.2f} LU),
true peak {_cell(report.after.true_peak_dbtp, "dBTP")}
(ceiling {report.ceiling_dbtp:.1f} dBTP).</p>
<p>Chain: {chain}. Length {report.seconds:.1f} s at {report.sample_rate:g} Hz.</p>
<table><tr><th></th>{head}</tr>{rows}</table>
{f"<ul>{notes}</ul>" if notes else ""}
{images}
</body></html>
"""


def write_report(report: MasterReport, path: str | os.PathLike[str]) -> Path:
    """Write the HTML report, and the same numbers as JSON beside it (``.json``).

    Args:
        report: The report.
        path: The HTML file to write.

    Returns:
        The HTML file's path.
    """
    target = Path(path)
    target.write_text(report_html(report), encoding="utf-8")
    target.with_suffix(".json").write_text(report.to_json(), encoding="utf-8")
    return target
