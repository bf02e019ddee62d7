"""Train the bandmate's chord model and its n-gram baseline; write weights and scores.

Run: ``.venv/bin/python scripts/train_chords.py [--steps 4000] [--out DIR]`` (a few minutes on
two cores). Writes ``src/bandmate/assist/weights/chords.pt`` and ``chords.json`` (held-out
scores of both models), which ``docs/models/chords.md`` quotes.
"""

from __future__ import annotations

from bandmate.assist.chords.train import main

if __name__ == "__main__":
    main()
