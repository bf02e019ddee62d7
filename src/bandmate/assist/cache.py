"""Where fitted baselines are cached between processes: ``$BANDMATE_DATA_DIR/cache/assist``.

Some baselines are refitted from the committed corpus rather than shipped (the order-12
Markov melody model has two million histories: tens of megabytes, and half a minute to
fit). The first process that needs one fits it and saves it here; later ones load it in
about a second. The file name carries a digest of the data it was fitted on and of its
settings, so a retrained model or a changed corpus never reads a stale file, and
``make models`` (``scripts/train_melody.py``) writes a fresh one.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path


def cache_dir() -> Path:
    """The assist cache folder (not created here): under ``BANDMATE_DATA_DIR`` or ``./data``."""
    return Path(os.environ.get("BANDMATE_DATA_DIR") or "data") / "cache" / "assist"


def corpus_digest(names: Iterable[str], *extra: object) -> str:
    """A short digest of committed corpus files (``bandmate/assist/corpus/NAME``) and settings."""
    digest = hashlib.sha256()
    base = resources.files("bandmate.assist") / "corpus"
    for name in names:
        digest.update(name.encode())
        digest.update((base / name).read_bytes())
    for item in extra:
        digest.update(repr(item).encode())
    return digest.hexdigest()[:16]
