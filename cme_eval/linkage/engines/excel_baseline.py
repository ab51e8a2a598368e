"""What the pilot's LAs did: an emulation of Excel Fuzzy Lookup / Power Query fuzzy merge.

Power Query's fuzzy merge scores a pair by Jaccard similarity (here over character 3-grams of
the concatenated fields, as Fuzzy Lookup tokenises) and keeps the best candidate per record at
or above a threshold of 0.80 (its default). There is no one-to-one rule: two twins can both be
'matched' to one pupil record, as happened in the pilot. A similarity of 1.0 counts as a perfect
match, anything else above the threshold as partial.

To stay tractable, candidates come from the spec's blocking passes (Power Query compares every
pair); the baseline therefore sees the same candidates as the other engines, an upper bound on
what the LAs' tools could find.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy import sparse

from cme_eval.inputs.schema import NOT_MATCHED, OUT_OF_SCOPE
from cme_eval.linkage.blocking import BlockingPlan, candidates
from cme_eval.linkage.classify import outcome_frame, outcomes_of, scope
from cme_eval.linkage.engines import Engine

THRESHOLD = 0.80
FIELDS = ("forename_std", "surname_std", "dob_std", "postcode_std")
CHUNK = 250_000


def _text(frame: pd.DataFrame) -> pd.Series:
    parts = [frame[f].astype(str) for f in FIELDS]
    return parts[0].str.cat(parts[1:], sep=" ").str.replace(" ", "_")


def trigram_sets(texts: pd.Series) -> sparse.csr_matrix:
    """Each text's set of character 3-grams as a binary sparse row (columns: the 3-grams seen),
    as scikit-learn's ``CountVectorizer(analyzer="char", ngram_range=(3, 3), binary=True)``
    makes them (lower case, runs of white space as one space), computed on arrays of code
    points: a 3-gram is its three code points packed into one integer."""
    text = texts.astype(str).str.lower().str.replace(_WHITE_SPACES, " ", regex=True)
    n, width = len(text), int(text.str.len().max()) if len(text) else 0
    if width < 3:
        return sparse.csr_matrix((n, 0), dtype=np.int32)
    points = np.asarray(text.to_numpy(dtype=f"U{width}")).view(np.uint32).reshape(n, width)
    points = points.astype(np.uint64)
    codes = (points[:, :-2] << np.uint64(42)) | (points[:, 1:-1] << np.uint64(21)) | points[:, 2:]
    inside = np.arange(width - 2) < (text.str.len().to_numpy() - 2)[:, None]
    rows = np.broadcast_to(np.arange(n)[:, None], codes.shape)[inside]
    columns, seen = pd.factorize(codes[inside])  # hashing: np.unique sorts, 10x slower here
    grams = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, columns)),
                              shape=(n, len(seen)))  # a 3-gram twice in a text: summed...
    grams.data[:] = 1  # ...and counted once: a set
    return grams


_WHITE_SPACES = r"\s\s+"


def jaccard(left: pd.DataFrame, right: pd.DataFrame, pairs: pd.MultiIndex) -> np.ndarray:
    """Jaccard similarity of character 3-gram sets of the concatenated fields, per pair."""
    if len(pairs) == 0:
        return np.zeros(0)
    grams = trigram_sets(pd.concat([_text(left), _text(right)]))  # once for both
    a, b = grams[:len(left)], grams[len(left):]
    size_a = np.asarray(a.sum(axis=1)).ravel()
    size_b = np.asarray(b.sum(axis=1)).ravel()
    li, ri = pairs.get_level_values(0).to_numpy(), pairs.get_level_values(1).to_numpy()
    out = np.empty(len(pairs))
    for start in range(0, len(pairs), CHUNK):
        sl = slice(start, start + CHUNK)
        inter = np.asarray(a[li[sl]].multiply(b[ri[sl]]).sum(axis=1)).ravel()
        union = size_a[li[sl]] + size_b[ri[sl]] - inter
        out[sl] = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    return out


def link(left: pd.DataFrame, right: pd.DataFrame, plan: BlockingPlan, *,
         reference_date: dt.date) -> pd.DataFrame:
    """One outcome row per left record: best candidate at Jaccard >= 0.80, no one-to-one."""
    pairs = candidates(left, right, plan)
    sim = jaccard(left, right, pairs)
    cand = pd.DataFrame({"left": pairs.get_level_values(0).to_numpy(dtype=int),
                         "right": pairs.get_level_values(1).to_numpy(dtype=int), "sim": sim})
    cand = cand.sort_values(["left", "sim", "right"], ascending=[True, False, True])
    best = cand.drop_duplicates("left")
    best = best[best["sim"] >= THRESHOLD].set_index("left")

    in_scope = scope(left, plan.spec, reference_date)
    pos = best.index.to_numpy(dtype=int)
    pos = pos[in_scope[pos]]
    sims = best.loc[pos, "sim"].to_numpy()
    outcome = outcomes_of(in_scope, pos, sims >= 1.0 - 1e-12)
    score = np.full(len(left), np.nan)
    score[pos] = sims
    reason = np.where(outcome == OUT_OF_SCOPE, "outside compulsory school age",
                      np.where(outcome == NOT_MATCHED,
                               f"no candidate with similarity >= {THRESHOLD:.2f}",
                               "best candidate by Jaccard similarity"))
    return outcome_frame(left, right, outcome, pos, best.loc[pos, "right"].to_numpy(dtype=int),
                         score, reason)


class ExcelBaseline(Engine):
    name = "excel_baseline"
    label = "Excel fuzzy lookup (the pilot's method)"
    used_in_pilot = True
    description = "what the pilot's LAs did: Excel Fuzzy Lookup (3-gram Jaccard >= 0.80)"
    scores_pairs = False

    def link(self, left, right, plan, *, reference_date):
        return link(left, right, plan, reference_date=reference_date)


ENGINE = ExcelBaseline()
