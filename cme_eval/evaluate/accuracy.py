"""Linkage accuracy against the synthetic truth: small pure functions over outcomes and truth.

A predicted link (perfect or partial) is correct when it points to a record of the same person.
precision = correct links / predicted links; recall = correct links / in-scope records that had
a true partner among the datasets they were matched against; F1 from both. Out-of-scope
records are left out of both (they are not matched by design). A true partner is *lost at
blocking* when no blocking pass brings the record and any record of its person together, so
no engine could have found it.

Injected name variants (a preferred name, the Welsh or English form) are judged twice more:
for records whose variant the linker's own name knowledge (``cme_eval.linkage.names``, which
never reads the generator's table) recognises, and for those whose variant it does not. Only
the second shows how a linker does on variants that no table of its own lists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cme_eval.inputs.schema import MATCHED_AGAINST, NOT_MATCHED, OUT_OF_SCOPE, PARTIAL, PERFECT
from cme_eval.inputs.standardise import names as folded_names
from cme_eval.linkage.names import are_variants

QUALITY_COLUMNS = ["authority", "source", "engine", "mechanism", "records", "with_true_partner",
                   "predicted_links", "correct_links", "lost_at_blocking", "twins_merged",
                   "twins_merged_alike", "precision", "recall", "f1"]
# Error types that put a name variant in the forename, judged apart by what the linker knows.
NAME_VARIANT_ERRORS = ("preferred_forename", "welsh_english_variant")
KNOWN_TO_LINKER, UNKNOWN_TO_LINKER = "known to linker", "unknown to linker"
# Links to the child's own twin (``judge(twin_of=)``), and those of them the data do not tell
# apart (``twins_alike``: the twins share a forename, surname and date of birth in some record),
# so no linker could have known; the rest are the linker's to answer for.
TWIN_FLAGS = {"twins_merged": "twin_merged", "twins_merged_alike": "twin_merged_alike"}


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else float("nan")


def f1_score(precision: float, recall: float) -> float:
    if np.isnan(precision) or np.isnan(recall) or precision + recall == 0:
        return float("nan")
    return 2 * precision * recall / (precision + recall)


def judge(outcomes: pd.DataFrame, truth_records: pd.DataFrame,
          targets: dict[str, tuple[str, ...]], twin_of: pd.Series | None = None
          ) -> pd.DataFrame:
    """Outcomes with truth columns: person_id, has_partner, linked, correct, errors.

    ``targets`` maps each received source to the datasets it was matched against.
    ``twin_of``: each person's twin (``truth_people.twin_person_id`` by ``person_id``, '' for
    none). With it, ``twin_merged`` marks a link to a record of the child's own twin: the
    error the twin guard exists to prevent, counted apart from other wrong links.
    """
    person = truth_records.set_index("record_id")["person_id"]
    errors = truth_records.set_index("record_id")["errors"]
    out = outcomes.copy()
    out["person_id"] = out["record_id"].map(person)
    out["errors"] = out["record_id"].map(errors).fillna("")
    out["linked"] = out["outcome"].isin([PERFECT, PARTIAL])
    matched_person = out["matched_record_id"].map(person)
    out["correct"] = out["linked"] & (matched_person == out["person_id"])
    if twin_of is not None:
        twin = out["person_id"].map(twin_of).fillna("")
        out["twin_merged"] = out["linked"] & (twin != "") & (matched_person == twin)
    has_partner = np.zeros(len(out), dtype=bool)
    for source, datasets in targets.items():
        partners = set(truth_records.loc[truth_records["source"].isin(datasets), "person_id"])
        rows = (out["source"] == source).to_numpy()
        has_partner[rows] = out.loc[rows, "person_id"].isin(partners).to_numpy()
    out["has_partner"] = has_partner & (out["outcome"] != OUT_OF_SCOPE).to_numpy()
    return out


def twins_alike(judged: pd.DataFrame, identity: pd.Series, person_of: pd.Series) -> pd.Series:
    """Per judged row: a link to the child's twin (``twin_merged``) where the data do not tell
    the twins apart: the child's record has the identity (``identity``: forename, surname and
    date of birth, standardised, by ``record_id``) of one of its twin's records, or the twin's
    record matched has that of one of the child's. Then the records were interchangeable (two
    NHS records of one name, a pupil record under the twin's name) and which twin got which was
    chance; any other merge is the linker's to answer for.

    ``person_of``: each record's person (``record_id`` -> ``person_id``), ``judged`` as from
    ``judge(twin_of=)``."""
    merged = judged[judged["twin_merged"]]
    out = pd.Series(False, index=judged.index)
    if merged.empty:
        return out
    held = pd.DataFrame({"person": person_of, "identity": identity.reindex(person_of.index)})
    held = set(held.dropna().itertuples(index=False, name=None))  # (person, identity) in data
    twin = merged["matched_record_id"].map(person_of)
    mine = merged["record_id"].map(identity)
    theirs = merged["matched_record_id"].map(identity)
    out[merged.index] = [(q, a) in held or (p, b) in held for p, q, a, b in
                         zip(merged["person_id"], twin, mine, theirs, strict=True)]
    return out


REACH_KINDS = ("alike another child", "this error alone", "with other errors")


def reach(judged: pd.DataFrame, identity: pd.Series, person_of: pd.Series,
          mechanism: str) -> pd.DataFrame:
    """How far recall on one error ``mechanism`` can go: its records with a true partner (in
    scope), by kind, with how many were linked to their own child (``linked_to_own``).

    Kinds (``REACH_KINDS``), each record in the first that applies:
    - *alike another child*: the error made the record's ``identity`` (by ``record_id``; the
      fields the link reads, standardised) that of a record of another child (``person_of``):
      a twin's forename entered on its twin. Nothing the link reads tells them apart;
    - *this error alone*: no other error on the record;
    - *with other errors*: an error besides (an old address, a typo), so that two of the few
      fields the pilot's records hold disagree.
    A target for the mechanism's recall above the share of the last two kinds asks a linker to
    place records nothing tells apart; one well above the share of the second asks it to link
    records with two fields wrong, which a careful analyst holds for review."""
    rows = judged[judged["has_partner"] & _has_error(judged["errors"], mechanism)]
    held = pd.DataFrame({"person": person_of, "identity": identity.reindex(person_of.index)})
    children = held.dropna().drop_duplicates().groupby("identity")["person"].nunique()
    alike = rows["record_id"].map(identity).map(children).fillna(0).to_numpy() > 1
    alone = (rows["errors"] == mechanism).to_numpy()
    kind = np.where(alike, REACH_KINDS[0], np.where(alone, REACH_KINDS[1], REACH_KINDS[2]))
    table = (rows.assign(kind=kind).groupby("kind")["correct"]
             .agg(records="size", linked_to_own="sum")
             .reindex(list(REACH_KINDS), fill_value=0).astype(int))
    table.loc["all"] = table.sum()
    return with_reach_recall(table).rename_axis("kind").reset_index()


def with_reach_recall(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (``records``, ``linked_to_own``) with ``recall``: unknown where no record."""
    return table.assign(recall=table["linked_to_own"]
                        / table["records"].where(table["records"] > 0))


def summarise(judged: pd.DataFrame) -> dict[str, float]:
    """Counts and rates over a set of judged outcomes (in-scope records only)."""
    scoped = judged[judged["outcome"] != OUT_OF_SCOPE]
    predicted = int(scoped["linked"].sum())
    correct = int(scoped["correct"].sum())
    partners = int(scoped["has_partner"].sum())
    lost = int(scoped.get("lost_at_blocking", pd.Series(False, index=scoped.index)).sum())
    precision, recall = _ratio(correct, predicted), _ratio(correct, partners)
    # twins: counted when the truth says who is whose twin (``judge(twin_of=)``), else unknown
    twins = {count: int(scoped[flag].sum()) if flag in scoped else np.nan
             for count, flag in TWIN_FLAGS.items()}
    return {"records": len(scoped), "with_true_partner": partners, "predicted_links": predicted,
            "correct_links": correct, "lost_at_blocking": lost, **twins,
            "precision": precision, "recall": recall, "f1": f1_score(precision, recall)}


def quality_table(judged: pd.DataFrame, authority: str, engine: str,
                  source_labels: dict[str, str]) -> pd.DataFrame:
    """Per source (and all sources), overall and per error mechanism.

    With a ``name_variant`` column (``name_variant_known``), each name-variant mechanism is
    also split into '<mechanism> (known to linker)' and '<mechanism> (unknown to linker)' rows,
    both always written so that every table has the same rows.
    """
    rows = []
    split = "name_variant" in judged
    groups = [(source_labels.get(s, s), g) for s, g in judged.groupby("source", sort=False)]
    groups.append(("Total", judged))
    mechanisms = sorted({e for v in judged["errors"] for e in v.split(";") if e})
    for label, group in groups:
        rows.append({"authority": authority, "source": label, "engine": engine,
                     "mechanism": "all", **summarise(group)})
        has = group["errors"].str.split(";")
        rows.append({"authority": authority, "source": label, "engine": engine,
                     "mechanism": "none", **summarise(group[group["errors"] == ""])})
        for mechanism in mechanisms:
            subset = group[has.map(lambda e, m=mechanism: m in e)]
            if len(subset):
                rows.append({"authority": authority, "source": label, "engine": engine,
                             "mechanism": mechanism, **summarise(subset)})
            if len(subset) and mechanism in NAME_VARIANT_ERRORS and split:
                for known in (KNOWN_TO_LINKER, UNKNOWN_TO_LINKER):
                    part = subset[subset["name_variant"] == known]
                    rows.append({"authority": authority, "source": label, "engine": engine,
                                 "mechanism": f"{mechanism} ({known})", **summarise(part)})
    out = pd.DataFrame(rows, columns=QUALITY_COLUMNS)
    return out.round({"precision": 6, "recall": 6, "f1": 6})


def _has_error(errors: pd.Series, *names: str) -> np.ndarray:
    """Where a ';'-joined error list holds any of ``names``."""
    pattern = "(?:^|;)(?:" + "|".join(names) + ")(?:;|$)"
    return errors.fillna("").astype(str).str.contains(pattern).to_numpy(dtype=bool)


def true_forenames(truth_records: pd.DataFrame, records: pd.DataFrame,
                   people: pd.DataFrame | None = None) -> pd.Series:
    """person_id -> the person's true forename: from ``people`` (the truth) when given, else
    from any of the person's ``records`` that carries no injected error at all."""
    if people is not None:
        return people.drop_duplicates("person_id").set_index("person_id")["forename"]
    sent = records.drop_duplicates("record_id").set_index("record_id")["forename"]
    clean = truth_records[truth_records["errors"].fillna("").eq("")]
    return clean["record_id"].map(sent).groupby(clean["person_id"].to_numpy()).first()


def name_variant_known(truth_records: pd.DataFrame, records: pd.DataFrame,
                       true_forename: pd.Series) -> pd.Series:
    """record_id -> 'known to linker' or 'unknown to linker' for each record with an injected
    name variant ('' where its person's true forename is not known).

    The variant is judged as the source sent it (the surname, if the names were also swapped),
    folded, against the true forename: known when the linker's name knowledge makes them
    variants, or they are equal once folded (Siân -> Sian needs no knowledge). A variant a
    later error overwrote (a blanked or a sibling's forename) is unknown: the linker cannot see
    it either.
    """
    truth = truth_records[_has_error(truth_records["errors"], *NAME_VARIANT_ERRORS)]
    sent = records.drop_duplicates("record_id").set_index("record_id").reindex(
        truth["record_id"])
    swapped = _has_error(truth["errors"], "forename_surname_swap")
    value = folded_names(pd.Series(np.where(swapped, sent["surname"], sent["forename"])))
    true = folded_names(truth["person_id"].map(true_forename).reset_index(drop=True))
    known = (value == true).to_numpy() | are_variants(value.to_numpy(), true.to_numpy())
    label = np.where(true.eq("").to_numpy(), "",
                     np.where(known, KNOWN_TO_LINKER, UNKNOWN_TO_LINKER))
    return pd.Series(label, index=truth["record_id"].to_numpy(), dtype=object)


def lost_at_blocking(left_std: pd.DataFrame, right_std: pd.DataFrame, person_of: pd.Series,
                     blocking: tuple[tuple[str, ...], ...]) -> pd.Series:
    """For each left record with a true partner on the right: True when no blocking pass
    joins it to any record of its person (indexed like ``left_std``)."""
    left = left_std.assign(person_id=left_std["record_id"].map(person_of))
    right = right_std.assign(person_id=right_std["record_id"].map(person_of))
    pairs = left[["record_id", "person_id", *_block_cols(blocking)]].merge(
        right[["person_id", *_block_cols(blocking)]], on="person_id", suffixes=("", "_r"))
    found = np.zeros(len(pairs), dtype=bool)
    for columns in blocking:
        agree = np.ones(len(pairs), dtype=bool)
        for c in columns:
            a, b = pairs[c].astype(str).to_numpy(), pairs[f"{c}_r"].astype(str).to_numpy()
            agree &= (a == b) & (a != "")
        found |= agree
    reached = set(pairs.loc[found, "record_id"])
    has_partner = left["record_id"].isin(set(pairs["record_id"]))
    return has_partner & ~left["record_id"].isin(reached)


def _block_cols(blocking) -> list[str]:
    return sorted({c for columns in blocking for c in columns})


COUNT_COLUMNS = ["records", "with_true_partner", "predicted_links", "correct_links",
                 "lost_at_blocking", *TWIN_FLAGS]


def with_pooled(per_la: pd.DataFrame) -> pd.DataFrame:
    """Append 'All' rows: counts summed over authorities, rates recomputed from the counts."""
    keys = ["source", "engine", "mechanism"]
    per_la = per_la.copy()
    for column in ("precision", "recall", "f1"):
        per_la[column] = pd.to_numeric(per_la[column], errors="coerce")
    # min_count: a count unknown in every LA (twins without the truth's twins) stays unknown
    pooled = per_la.groupby(keys, sort=False, as_index=False)[COUNT_COLUMNS].sum(min_count=1)
    pooled.insert(0, "authority", "All")
    pooled["precision"] = [_ratio(c, p) for c, p in zip(pooled.correct_links,
                                                       pooled.predicted_links, strict=True)]
    pooled["recall"] = [_ratio(c, p) for c, p in zip(pooled.correct_links,
                                                    pooled.with_true_partner, strict=True)]
    pooled["f1"] = [f1_score(p, r) for p, r in zip(pooled.precision, pooled.recall, strict=True)]
    out = pd.concat([per_la, pooled[QUALITY_COLUMNS]], ignore_index=True)
    return out.round({"precision": 6, "recall": 6, "f1": 6})


METHOD_COLUMNS = ["authority", "engine", "records_in_scope", "not_matched",
                  "not_matched_but_known", "not_matched_truly_unaccounted", "false_links"]


def unmatched_by_engine(by_engine: dict[str, pd.DataFrame], truth_records: pd.DataFrame,
                        authority: str) -> pd.DataFrame:
    """Per engine: how many received records it leaves unmatched, how many of those the LA
    actually held (a missed match: a child chased for nothing), how many are truly unaccounted
    for, and how many links it made to the wrong child."""

    rows = []
    for engine, outcomes in by_engine.items():
        judged = judge(outcomes, truth_records, MATCHED_AGAINST)
        scoped = judged[judged["outcome"] != OUT_OF_SCOPE]
        unmatched = scoped[scoped["outcome"] == NOT_MATCHED]
        rows.append({"authority": authority, "engine": engine, "records_in_scope": len(scoped),
                     "not_matched": len(unmatched),
                     "not_matched_but_known": int(unmatched["has_partner"].sum()),
                     "not_matched_truly_unaccounted": int((~unmatched["has_partner"]).sum()),
                     "false_links": int((scoped["linked"] & ~scoped["correct"]).sum())})
    return pd.DataFrame(rows, columns=METHOD_COLUMNS)
