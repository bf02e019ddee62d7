"""Score the harmonizer and the chord models on the corpus' lead sheets (held out).

Run: ``.venv/bin/python scripts/eval_leadsheets.py`` after ``scripts/leadsheets_data.py``
(under a minute). Writes ``src/bandmate/assist/weights/leadsheets.json``, which
``docs/models/harmonizer.md`` and ``docs/models/chords.md`` quote.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from bandmate.assist.leadsheets import evaluate

OUT = Path(__file__).resolve().parents[1] / "src" / "bandmate" / "assist" / "weights"

if __name__ == "__main__":
    torch.set_num_threads(1)
    report = evaluate()
    (OUT / "leadsheets.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=1))
