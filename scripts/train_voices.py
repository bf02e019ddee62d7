"""Train the bandmate's harmony-voices GRU and its Markov baseline; write weights and scores.

Run: ``.venv/bin/python scripts/train_voices.py [--steps 1500]`` after
``scripts/voices_data.py`` (a few minutes on two cores). Writes
``src/bandmate/assist/weights/voices.pt`` and ``voices.json`` (held-out scores of both
models and the musical checks), which ``docs/models/voices.md`` quotes.
"""

from __future__ import annotations

from bandmate.assist.voices.train import main

if __name__ == "__main__":
    main()
