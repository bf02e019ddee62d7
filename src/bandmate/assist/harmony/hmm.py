"""The harmonizer baseline: a hidden Markov model over chords, decoded with Viterbi.

Hidden states are the numerals; each beat's chord depends on the previous beat's chord
(transition), and emits the beat's main melody pitch class counted from the tonic, or a
rest (12 + 1 symbols). Major and minor keys get separate models. All counts are smoothed
with add-``alpha`` (Laplace / Lidstone), so every state and every symbol keeps some
probability. Forward–backward gives each beat's posterior over chords (scored against
the transformer's per-beat probabilities); Viterbi gives the single best chord sequence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bandmate.assist.errors import AssistError
from bandmate.assist.harmony.features import REST

N_SYMBOLS = REST + 1


class ChordHMM:
    """A first-order HMM per mode: P(c1), P(c_t | c_t-1), P(melody pc | c).

    Args:
        n_states: Number of chord ids (the harmonizer vocabulary); ids without a
            numeral (the specials) are kept at probability ~0.
        alpha: Add-alpha smoothing of every count.
    """

    def __init__(self, n_states: int, *, alpha: float = 0.1) -> None:
        if alpha <= 0:
            raise AssistError(f"alpha={alpha} must be > 0")
        self.n_states = n_states
        self.alpha = alpha
        self._params: dict[bool, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def fit(
        self, sequences: Sequence[tuple[bool, np.ndarray, np.ndarray]], *, first_state: int = 2
    ) -> ChordHMM:
        """Count from ``(minor, melody symbols (T,), chord ids (T,))`` triples.

        Chord id -1 marks an unlabelled beat: it breaks the transition chain and
        emits nothing. Ids below ``first_state`` (``<pad>``, ``<eos>``) are never
        chords; ``<unk>`` (id 2), the rare numerals, is a state like any other.
        """
        for minor in (False, True):
            start = np.zeros(self.n_states)
            trans = np.zeros((self.n_states, self.n_states))
            emit = np.zeros((self.n_states, N_SYMBOLS))
            for is_minor, symbols, chords in sequences:
                if is_minor != minor:
                    continue
                labelled = chords >= 0
                if labelled.any():
                    start[chords[np.argmax(labelled)]] += 1
                for t in range(len(chords)):
                    if chords[t] < 0:
                        continue
                    emit[chords[t], symbols[t]] += 1
                    if t > 0 and chords[t - 1] >= 0:
                        trans[chords[t - 1], chords[t]] += 1
            real = np.zeros(self.n_states)
            real[first_state:] = 1.0
            start = (start + self.alpha) * real
            trans = (trans + self.alpha) * real[None, :]
            emit = emit + self.alpha
            self._params[minor] = (
                _log(start / start.sum()),
                _log(trans / trans.sum(axis=1, keepdims=True)),
                _log(emit / emit.sum(axis=1, keepdims=True)),
            )
        return self

    def _get(self, minor: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if minor not in self._params:
            raise AssistError("the HMM must be fitted before it decodes")
        return self._params[minor]

    def posteriors(self, symbols: np.ndarray, *, minor: bool) -> np.ndarray:
        """Forward–backward: log P(chord at beat t | the whole melody), shape ``(T, S)``."""
        log_start, log_trans, log_emit = self._get(minor)
        n = len(symbols)
        alpha = np.zeros((n, self.n_states))
        beta = np.zeros((n, self.n_states))
        alpha[0] = log_start + log_emit[:, symbols[0]]
        for t in range(1, n):  # (S,) = logsumexp over the previous state
            alpha[t] = _logsumexp(alpha[t - 1][:, None] + log_trans, axis=0)
            alpha[t] += log_emit[:, symbols[t]]
        for t in range(n - 2, -1, -1):
            beta[t] = _logsumexp(log_trans + (log_emit[:, symbols[t + 1]] + beta[t + 1])[None, :])
        joint = alpha + beta  # (T, S)
        out: np.ndarray = joint - _logsumexp(joint, axis=1)[:, None]
        return out

    def viterbi(self, symbols: np.ndarray, *, minor: bool) -> np.ndarray:
        """The most likely chord id on each beat, shape ``(T,)``."""
        log_start, log_trans, log_emit = self._get(minor)
        n = len(symbols)
        score = log_start + log_emit[:, symbols[0]]  # (S,)
        back = np.zeros((n, self.n_states), dtype=np.int64)
        for t in range(1, n):
            cand = score[:, None] + log_trans  # (S_prev, S)
            back[t] = np.argmax(cand, axis=0)
            score = cand[back[t], np.arange(self.n_states)] + log_emit[:, symbols[t]]
        path = np.zeros(n, dtype=np.int64)
        path[-1] = int(np.argmax(score))
        for t in range(n - 1, 0, -1):
            path[t - 1] = back[t, path[t]]
        return path


def _log(p: np.ndarray) -> np.ndarray:
    """log p with impossible events at -690 rather than -inf (no warnings, no NaN)."""
    out: np.ndarray = np.log(np.maximum(p, 1e-300))
    return out


def _logsumexp(x: np.ndarray, axis: int = 1) -> np.ndarray:
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    out: np.ndarray = np.log(np.sum(np.exp(x - peak), axis=axis)) + np.squeeze(peak, axis=axis)
    return out
