"""Train the bandmate's harmonizer and its HMM baseline; write weights and scores.

Run: ``.venv/bin/python scripts/train_harmonizer.py [--steps 2000] [--out DIR]`` (a few
minutes on two cores). Writes ``src/bandmate/assist/weights/harmonizer.pt`` and
``harmonizer.json`` (held-out scores of both models), quoted in
``docs/models/harmonizer.md``.
"""

from __future__ import annotations

from bandmate.assist.harmony.train import main

if __name__ == "__main__":
    main()
