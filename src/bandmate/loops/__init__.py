"""Loops and samples: Bandmate's own starter library, MIDI first, and audio on demand.

- :mod:`bandmate.loops.catalog`: what a loop is (:class:`LoopSpec`), the shipped manifest,
  search;
- :mod:`bandmate.loops.generate`: a loop's notes from its spec, in any key and tempo;
- :mod:`bandmate.loops.build`: the library's grid (``scripts/build_loops.py`` writes it);
- :mod:`bandmate.loops.audio`: rendering a loop seamlessly, transforming an upload;
- :mod:`bandmate.loops.stretch`: phase-vocoder time-stretch and pitch-shift;
- :mod:`bandmate.loops.taste`: recommendations from plays, likes and uses.

See ``docs/loops.md``.
"""

from __future__ import annotations

from bandmate.loops.catalog import LoopQuery, LoopSpec, get_loop, library, search
from bandmate.loops.errors import LoopError
from bandmate.loops.generate import loop_song

__all__ = ["LoopError", "LoopQuery", "LoopSpec", "get_loop", "library", "loop_song", "search"]
