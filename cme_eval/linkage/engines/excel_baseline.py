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

from cme_eval.inputs.schema import NOT_MATCHED, OUT_OF_SCOPE, OUTCOME_COLUMNS, PARTIAL, PERFECT
from cme_eval.linkage.blocking import BlockingPlan, candidates
from cme_eval.linkage.engines import Engine
from cme_eval.schooling import in_scope_mask

THRESHOLD = 0.80
FIELDS = ("forename_std", "surname_std", "dob_std", "postcode_std")
CHUNK = 250_000


def _text(frame: pd.DataFrame) -> pd.Series:
    parts = [frame[f].astype(str) for f in FIELDS]
    return parts[0].str.cat(parts[1:], sep=" ").str.replace(" ", "_")


def jaccard(left: pd.DataFrame, right: pd.DataFrame, pairs: pd.MultiIndex) -> np.ndarray:
    """Jaccard similarity of character 3-gram sets of the concatenated fields, per pair."""
    if len(pairs) == 0:
        return np.zeros(0)
    from sklearn.feature_extraction.text import CountVectorizer  # ~1 s to import: on first use

    vectoriser = CountVectorizer(analyzer="char", ngram_range=(3, 3), binary=True,
                                 lowercase=True, dtype=np.int32)
    grams = vectoriser.fit_transform(pd.concat([_text(left), _text(right)]))  # once for both
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

    n = len(left)
    known = left["dob_parsed"].notna().to_numpy()
    in_scope = (in_scope_mask(left["dob_parsed"], reference_date).to_numpy() | ~known
                if plan.spec.school_age_only else np.ones(n, dtype=bool))
    outcome = np.where(in_scope, NOT_MATCHED, OUT_OF_SCOPE).astype(object)
    matched_id = np.full(n, "", dtype=object)
    matched_ds = np.full(n, "", dtype=object)
    score = np.full(n, np.nan)
    pos = best.index.to_numpy(dtype=int)
    pos = pos[in_scope[pos]]
    rpos = best.loc[pos, "right"].to_numpy(dtype=int)
    sims = best.loc[pos, "sim"].to_numpy()
    outcome[pos] = np.where(sims >= 1.0 - 1e-12, PERFECT, PARTIAL)
    matched_id[pos] = right["record_id"].to_numpy()[rpos]
    matched_ds[pos] = right["dataset"].to_numpy()[rpos]
    score[pos] = sims
    reason = np.where(outcome == OUT_OF_SCOPE, "outside compulsory school age",
                      np.where(outcome == NOT_MATCHED,
                               f"no candidate with similarity >= {THRESHOLD:.2f}",
                               "best candidate by Jaccard similarity"))
    return pd.DataFrame({"record_id": left["record_id"].to_numpy(),
                         "source": left["source"].to_numpy(), "outcome": outcome,
                         "matched_record_id": matched_id, "matched_dataset": matched_ds,
                         "score": np.round(score, 4), "reason": reason},
                        columns=list(OUTCOME_COLUMNS))


class ExcelBaseline(Engine):
    name = "excel_baseline"
    label = "Excel fuzzy lookup (the pilot's method)"
    used_in_pilot = True
    description = "what the pilot's LAs did: Excel Fuzzy Lookup (3-gram Jaccard >= 0.80)"
    scores_pairs = False

    def link(self, left, right, plan, *, reference_date):
        return link(left, right, plan, reference_date=reference_date)


ENGINE = ExcelBaseline()
