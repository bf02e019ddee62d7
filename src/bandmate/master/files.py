"""Mastering files: what ``bandmate master IN -o OUT --target ...`` does, as one function.

The command line and background jobs call :func:`master_file`; it reads the input (and the
reference) within bounds, masters, writes the master and, if asked, the report. The master
is written to a temporary file beside the output and renamed into place, so a failure
never leaves half a file, and the input is never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bandmate.errors import MasterError
from bandmate.master.audio_io import BitDepth, read_audio, write_audio
from bandmate.master.chain import MasterResult, master_audio
from bandmate.master.plots import write_report
from bandmate.master.progress import ProgressCallback, Stages
from bandmate.master.report import MasterReport, build_report
from bandmate.master.spectrum import Style
from bandmate.master.targets import Target, parse_target


@dataclass(frozen=True, slots=True, eq=False)
class MasterOutcome:
    """What :func:`master_file` produced.

    Attributes:
        output: The master file.
        report: The before/after numbers.
        report_path: The HTML report, if one was asked for (its JSON twin sits beside it
            with a ``.json`` suffix).
        result: The master in memory, with everything measured.
    """

    output: Path
    report: MasterReport
    report_path: Path | None
    result: MasterResult


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def master_file(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    target: str | Target = "spotify",
    reference: str | os.PathLike[str] | None = None,
    blend: float = 0.5,
    style: Style = "balanced",
    eq_amount: float = 0.5,
    compression: float = 0.5,
    width: float = 1.0,
    report: str | os.PathLike[str] | None = None,
    bit_depth: BitDepth = 24,
    progress: ProgressCallback | None = None,
) -> MasterOutcome:
    """Master an audio file to a target and write the master (and a report).

    Args:
        source: The mix: WAV, FLAC, OGG, AIFF or MP3, mono or stereo, at most 30 minutes.
        output: The master to write; ``.wav`` and ``.flac`` are PCM at ``bit_depth``,
            ``.mp3`` is 320 kbit/s CBR.
        target: A preset name (``"spotify"``, ``"apple"``, ``"youtube"``, ``"tidal"``,
            ``"amazon"``, ``"soundcloud"``, ``"cd"``, ``"club"``, ``"reference"``), a custom
            ``"LUFS"`` or ``"LUFS/CEILING"`` text such as ``"-12/-1"``, or a :class:`Target`.
        reference: A reference track whose tone (and, with ``target="reference"``,
            loudness) to match.
        blend: How far to move toward the reference, 0.0..1.0.
        style: The tonal balance to aim for without a reference.
        eq_amount: How far to move toward the style's balance, 0.0..1.0.
        compression: Bus compression amount, 0.0..1.0.
        width: Stereo side gain without a reference, 0.0..2.0.
        report: Where to write the HTML report (JSON numbers go beside it).
        bit_depth: PCM bits for WAV and FLAC, 16 or 24.
        progress: Called as ``progress(fraction, message)``.

    Returns:
        The output path, the report and the master.

    Raises:
        MasterError: for unreadable, too large or invalid input, an unknown target or
            option, an output that would overwrite the input, or a failed write.
    """
    stages = Stages(progress)
    source_path, output_path = Path(source), Path(output)
    goal = parse_target(target) if isinstance(target, str) else target
    for other in (source_path, Path(reference) if reference is not None else None):
        if other is not None and _same_file(other, output_path):
            raise MasterError(f"output {os.fspath(output_path)!r} would overwrite an input")
    stages.report(0.0, "Reading the mix")
    clip = read_audio(source_path)
    ref_clip = read_audio(reference) if reference is not None else None
    result = master_audio(
        clip.samples,
        clip.sample_rate,
        target=goal,
        reference=ref_clip.samples if ref_clip is not None else None,
        reference_rate=ref_clip.sample_rate if ref_clip is not None else None,
        blend=blend,
        style=style,
        eq_amount=eq_amount,
        compression=compression,
        width=width,
        progress=stages.nested(0.05, 0.85).report,
    )
    stages.report(0.85, "Writing the master")
    _write_atomically(output_path, result, clip.sample_rate, bit_depth)
    numbers = build_report(
        result,
        source=clip.samples,
        reference=ref_clip.samples if ref_clip is not None else None,
    )
    report_path = None
    if report is not None:
        stages.report(0.9, "Drawing the report")
        report_path = write_report(numbers, report)
    stages.report(1.0, "Done")
    return MasterOutcome(output=output_path, report=numbers, report_path=report_path, result=result)


def _write_atomically(path: Path, result: MasterResult, rate: int, bit_depth: BitDepth) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise MasterError(f"output folder {os.fspath(directory)!r} does not exist")
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=path.suffix, prefix=".master-")
    os.close(handle)
    try:
        write_audio(temporary, result.audio, rate, bit_depth=bit_depth)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
