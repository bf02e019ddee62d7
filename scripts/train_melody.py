"""Train the bandmate's melody GRU and its Markov baseline; write weights, scores and checks.

Run: ``.venv/bin/python scripts/train_melody.py [--steps 900]`` after ``scripts/melody_data.py``
(14 minutes on a busy shared 2-core machine, one torch thread). Writes
``src/bandmate/assist/weights/melody.pt`` and ``melody.json`` (held-out NLL of both models and
the musical checks), which ``docs/models/melody.md`` quotes.
"""

from __future__ import annotations

from bandmate.assist.melody.evaluate import main as evaluate
from bandmate.assist.melody.train import main as train

if __name__ == "__main__":
    train()
    evaluate()
