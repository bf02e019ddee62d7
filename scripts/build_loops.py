"""Build Bandmate's starter loops library: the manifest, and optionally its audio.

The library is MIDI first: every loop is a :class:`~bandmate.loops.catalog.LoopSpec`
(role, style, key, tempo, bars, progression, seed) from which
:func:`bandmate.loops.generate.loop_song` rebuilds its notes exactly, so only the small
manifest is committed (``src/bandmate/loops/manifest.json``); the server renders a loop's
audio on first request and keeps it as a blob.

``--render DIR`` also renders every loop to ``DIR/<id>.wav`` (seamless, exactly its bars
long), and ``--check`` then analyzes each file with :func:`bandmate.listen.analyze_file`
and reports how often the analysis finds the loop's own key and tempo (drums: tempo only).

Run: ``.venv/bin/python scripts/build_loops.py [--seed 1] [--render data/loops] [--check]``
(the manifest takes a few seconds; rendering about a minute; the check about two more).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from bandmate.listen.analyze import analyze_file
from bandmate.loops.audio import render_loop
from bandmate.loops.build import build_specs
from bandmate.loops.catalog import MANIFEST, LoopSpec, specs_to_json
from bandmate.loops.generate import loop_song
from bandmate.music.key import parse_key


def _render(specs: list[LoopSpec], folder: Path, progress: Progress) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    task = progress.add_task("Rendering", total=len(specs))
    paths = []
    for spec in specs:
        path = folder / f"{spec.id}.wav"
        path.write_bytes(render_loop(loop_song(spec), spec.bars))
        paths.append(path)
        progress.advance(task)
    return paths


def _check(specs: list[LoopSpec], paths: list[Path], progress: Progress, console: Console) -> None:
    task = progress.add_task("Analyzing", total=len(specs))
    keys = tempos = pitched = 0
    for spec, path in zip(specs, paths, strict=True):
        analysis = analyze_file(path, cache_dir=path.parent / "analysis")
        bpm = analysis.bpm
        if any(abs(bpm * m - spec.bpm) <= 0.04 * spec.bpm for m in (0.5, 1.0, 2.0)):
            tempos += 1
        if spec.key is not None:
            pitched += 1
            found = parse_key(analysis.key.name)
            own = parse_key(spec.key)
            keys += found == own or found == own.relative()
        progress.advance(task)
    console.print(
        f"tempo found (x1, x2 or x1/2 within 4%): {tempos}/{len(specs)}; "
        f"key found (or its relative): {keys}/{pitched}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="seeds every loop (default 1)")
    parser.add_argument("--manifest", type=Path, default=MANIFEST, help="where to write it")
    parser.add_argument("--render", type=Path, default=None, help="render WAVs into this folder")
    parser.add_argument("--check", action="store_true", help="analyze the rendered WAVs")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    if args.check and args.render is None:
        console.print("--check needs --render DIR")
        return 2
    with Progress(console=console) as progress:
        task = progress.add_task("Measuring moods", total=None)

        def step(done: int, total: int, spec: LoopSpec) -> None:
            progress.update(task, completed=done, total=total)

        specs = build_specs(args.seed, progress=step)
        args.manifest.write_text(specs_to_json(specs), encoding="utf-8")
        console.print(f"{len(specs)} loops -> {args.manifest}")
        if args.render is not None:
            paths = _render(specs, args.render, progress)
            if args.check:
                _check(specs, paths, progress, console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
