"""What every score component reads: the case and locality arrays plus sparse per-pair inputs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.scoring.arrays import CaseArrays, LocalityArrays, Vocab

#: Up to this many possible (case, locality) keys, a lookup of many keys goes through a dense position table
#: (8 bytes a possible key, built for that lookup).
DENSE_LOOKUP_MAX = 32_000_000
#: ... when it looks up at least this many keys per possible key.
DENSE_LOOKUP_MIN_SHARE = 0.25


def case_span(ci: np.ndarray) -> tuple[int, int]:
    """The block of cases that pairs of cases ``ci`` span: the first, and one past the last."""
    return (int(ci.min()), int(ci.max()) + 1) if len(ci) else (0, 0)


def _keys(ci: np.ndarray, li: np.ndarray, n_loc: int) -> np.ndarray:
    """``ci * n_loc + li`` as int64, in one new array (at national size each temporary is 6 M long)."""
    keys = np.multiply(ci, n_loc, dtype=np.int64)
    keys += li
    return keys


@dataclass(frozen=True)
class SparsePairs:
    """Values given for some (case, locality) pairs, looked up by a sorted key ``case * L + locality``."""

    keys: np.ndarray  # int64, sorted
    values: np.ndarray

    @staticmethod
    def build(case_idx: np.ndarray, loc_idx: np.ndarray, values: np.ndarray, n_loc: int,
              copy: bool = True) -> SparsePairs:
        """The pairs (case_idx[k], loc_idx[k]) with values[k]: a copy of `values`, or `values` themselves where
        they are floats and not `copy`."""
        keys = _keys(case_idx, loc_idx, n_loc)
        values = np.array(values, dtype=float) if copy else np.asarray(values, dtype=float)
        if len(keys) < 2 or bool((keys[1:] >= keys[:-1]).all()):
            return SparsePairs(keys, values)  # pairs from np.nonzero come sorted: no sort needed (national size)
        order = np.argsort(keys, kind="stable")
        return SparsePairs(keys[order], values[order])

    def lookup(self, ci: np.ndarray, li: np.ndarray, n_loc: int, default: float = np.nan) -> np.ndarray:
        keys = _keys(ci, li, n_loc)
        if len(self.keys) == 0:
            return np.full(len(keys), default, dtype=float)
        span = int(self.keys[-1]) + 1
        if self.keys[0] >= 0 and span <= DENSE_LOOKUP_MAX and len(keys) >= DENSE_LOOKUP_MIN_SHARE * span:
            # Many keys at once (national size): a position table for this lookup, a gather instead of a binary
            # search per key. Equal keys give the first, as the binary search does.
            # (int32 positions where they fit, and no masks where every key is distinct, inside or found: at
            # national size each of those would be a fresh array of 6 M.)
            index = np.int32 if len(self.keys) < np.iinfo(np.int32).max else np.int64
            dense = np.full(span, -1, dtype=index)
            if bool((self.keys[1:] > self.keys[:-1]).all()):
                dense[self.keys] = np.arange(len(self.keys), dtype=index)
            else:
                first = np.ones(len(self.keys), dtype=bool)
                first[1:] = self.keys[1:] != self.keys[:-1]
                dense[self.keys[first]] = np.flatnonzero(first)
            pos: np.ndarray
            if len(keys) and keys.min() >= 0 and keys.max() < span:
                pos = dense[keys]
            else:
                pos = np.full(len(keys), -1, dtype=index)
                inside = (keys >= 0) & (keys < span)
                pos[inside] = dense[keys[inside]]
            del dense
            hit = np.greater_equal(pos, 0)
            if hit.all():
                return self.values[pos]
            out = np.full(len(keys), default, dtype=float)
            out[hit] = self.values[pos[hit]]
            return out
        out = np.full(len(keys), default, dtype=float)
        pos = np.searchsorted(self.keys, keys)
        pos_c = np.minimum(pos, len(self.keys) - 1)
        hit = self.keys[pos_c] == keys
        out[hit] = self.values[pos_c[hit]]
        return out


@dataclass(frozen=True)
class ScoringContext:
    cases: CaseArrays
    localities: LocalityArrays
    vocab: Vocab
    preference_rank: SparsePairs  # rank 0 = first choice
    preference_count: np.ndarray  # per case, how many localities it ranked
    outcome: SparsePairs  # external predicted outcome in [0, 1]
