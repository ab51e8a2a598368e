"""The linker's knowledge of name variants (nicknames, Welsh and English forms of a forename).

Why a source of its own: the synthetic generator injects preferred names and Welsh/English
forms drawn from its table (``cme_eval/data/name_variants.csv``). A linker that reads the same
table recognises every injected variant by construction, so its measured accuracy on those
records says nothing about how it would do on real returns, where children arrive under forms
no table lists. So the linker knows only what a real linker could: English nicknames from the
``nicknames`` package (PyPI, Apache-2.0; hand-curated by C. Northern and N. Crews) and the
toolkit's own Welsh/English forename pairs (``cme_eval/linkage/data/welsh_english_names.csv``,
written for the linker). Nothing under ``cme_eval.linkage`` imports ``cme_eval.synth``
(tests/unit/test_linkage_independence.py), and ``synthetic_profile.csv`` and
``linkage_quality.csv`` report how many injected variants this knowledge misses and how the
linkage does on them.

Names are compared folded (``standardise.fold``: Siân -> sian). Each name has *group keys*;
two names are variants when they share a key. Groups are not merged transitively, because
nickname data chain (Aaron -> Ron <- Ronald: Aaron and Ronald are not the same name):

- nicknames: a group per formal name, {formal name} and its nicknames. The data also list
  nicknames with the names they may stand for (``bill has_nickname robert, william``); a name
  the data give as the nickname of a longer name is read as a nickname, so each of its own
  entries is a single pair (Bill ~ Robert, Bill ~ William, never Robert ~ William);
- Welsh/English: a group per pair (Dafydd ~ David, Dewi ~ David, not Dafydd ~ Dewi).
"""

from __future__ import annotations

import io
from collections import defaultdict
from functools import lru_cache
from importlib import metadata, resources

import numpy as np
import pandas as pd

from cme_eval.inputs.standardise import fold

WELSH_TABLE = "welsh_english_names.csv"


@lru_cache(maxsize=1)
def welsh_english_pairs() -> pd.DataFrame:
    """The Welsh/English forename pairs as written (columns welsh, english, note)."""
    text = resources.files("cme_eval.linkage").joinpath("data", WELSH_TABLE).read_text("utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def _nickname_keys() -> dict[str, set[str]]:
    """Folded name -> keys of its nickname groups (``en:<formal name>``)."""
    from nicknames import name_triplets

    folded = {(fold(a), fold(b)) for a, relation, b in name_triplets()
              if relation == "has_nickname"}
    edges = sorted((a, b) for a, b in folded if a and b and a != b)
    # A name given as the nickname of a longer name is itself a nickname (bill, ron, tom): its
    # own entries are read as pairs keyed by the other name, so they join no group of theirs.
    informal = {b for a, b in edges if len(a) > len(b)}
    keys: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        key = "en:" + (b if a in informal else a)
        keys[a].add(key)
        keys[b].add(key)
    return keys


def _welsh_keys() -> dict[str, set[str]]:
    """Folded name -> keys of its Welsh/English pairs (``cy:<welsh>=<english>``)."""
    keys: dict[str, set[str]] = defaultdict(set)
    for welsh, english in welsh_english_pairs()[["welsh", "english"]].itertuples(index=False):
        a, b = fold(welsh), fold(english)
        if a and b and a != b:
            keys[a].add(f"cy:{a}={b}")
            keys[b].add(f"cy:{a}={b}")
    return keys


@lru_cache(maxsize=1)
def variant_keys() -> dict[str, tuple[str, ...]]:
    """Each folded name with known variants -> the sorted keys of the groups it is in.

    Two names are variants when their keys share at least one (``are_variants``).
    """
    merged: dict[str, set[str]] = defaultdict(set)
    for source in (_nickname_keys(), _welsh_keys()):
        for name, keys in source.items():
            merged[name] |= keys
    return {name: tuple(sorted(keys)) for name, keys in sorted(merged.items())}


@lru_cache(maxsize=1)
def _pair_index() -> tuple[pd.Index, np.ndarray]:
    """The vocabulary of names, and every (name, name) sharing a key as a sorted int64 code
    ``i * len(vocabulary) + j``: one membership test per pair, however many pairs."""
    keys = variant_keys()
    names = pd.Index(list(keys))
    member = pd.DataFrame([(i, k) for i, name in enumerate(names) for k in keys[name]],
                          columns=["name", "key"])
    both = member.merge(member, on="key")
    codes = both["name_x"].to_numpy(np.int64) * len(names) + both["name_y"].to_numpy(np.int64)
    return names, np.unique(codes)


def are_variants(a, b) -> np.ndarray:
    """Element-wise over two aligned arrays of folded names: True where the two share a group
    key (a known name is a variant of itself); an empty or unknown name never is."""
    names, codes = _pair_index()
    ia = names.get_indexer(pd.Index(np.asarray(a, dtype=object)))
    ib = names.get_indexer(pd.Index(np.asarray(b, dtype=object)))
    if ia.shape != ib.shape:
        raise ValueError(f"are_variants: {ia.shape[0]} names against {ib.shape[0]}")
    code = ia.astype(np.int64) * len(names) + ib
    at = np.minimum(np.searchsorted(codes, code), len(codes) - 1)
    return (ia >= 0) & (ib >= 0) & (codes[at] == code)


def knowledge_summary() -> pd.DataFrame:
    """What the linker knows, per source: distinct folded names and groups (for the docs)."""
    version = metadata.version("nicknames")
    rows = []
    for source, keys in ((f"nicknames {version} (PyPI, Apache-2.0)", _nickname_keys()),
                         (f"cme_eval/linkage/data/{WELSH_TABLE}", _welsh_keys()),
                         ("all", variant_keys())):
        groups = {k for ks in keys.values() for k in ks}
        rows.append({"source": source, "names": len(keys), "groups": len(groups)})
    return pd.DataFrame(rows, columns=["source", "names", "groups"])
