"""The linker's knowledge is independent of the generator (issue 11, point 3).

The generator injects name variants from its own table; a linker reading that table would
recognise every one by construction. So no module under cme_eval/linkage (engines included)
may import cme_eval.synth, and the linker's name variants come from cme_eval.linkage.names.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from cme_eval.linkage.names import are_variants, knowledge_summary, variant_keys

LINKAGE = Path(__file__).resolve().parents[2] / "cme_eval" / "linkage"
FORBIDDEN = "cme_eval.synth"


def _forbidden(module: str) -> bool:
    return module == FORBIDDEN or module.startswith(FORBIDDEN + ".")


def synth_imports(source: str, module: str) -> list[str]:
    """Every import of cme_eval.synth in ``source`` (the text of ``module``, a dotted name):
    absolute, relative (resolved against the module's package) or by importlib/__import__."""
    package = module.split(".")[:-1]  # where relative imports start (x.__init__ -> x)
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if _forbidden(a.name)]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found += [f"{target}.{a.name}" for a in node.names
                      if _forbidden(target) or _forbidden(f"{target}.{a.name}")]
        elif isinstance(node, ast.Call) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) \
                    and _forbidden(first.value):
                found.append(first.value)  # import_module("cme_eval.synth...") and the like
    return found


def _module_name(path: Path) -> str:
    parts = path.relative_to(LINKAGE.parents[1]).with_suffix("").parts
    return ".".join(parts)  # cme_eval.linkage.engines.splink, cme_eval.linkage.__init__


@pytest.mark.parametrize("text, module", [
    ("import cme_eval.synth.reference", "cme_eval.linkage.x"),
    ("from cme_eval.synth.reference import name_variants", "cme_eval.linkage.x"),
    ("from cme_eval import synth", "cme_eval.linkage.x"),
    ("from ..synth import reference", "cme_eval.linkage.x"),
    ("from .. import synth", "cme_eval.linkage.x"),
    ("from ...synth.errors import REGISTRY", "cme_eval.linkage.engines.splink"),
    ("from ... import synth", "cme_eval.linkage.engines.__init__"),
    ("def f():\n    import cme_eval.synth as s", "cme_eval.linkage.x"),
    ("importlib.import_module('cme_eval.synth.reference')", "cme_eval.linkage.x"),
])
def test_the_scanner_finds_every_form_of_import(text, module):
    assert synth_imports(text, module)


@pytest.mark.parametrize("text, module", [
    ("from cme_eval.inputs.standardise import fold", "cme_eval.linkage.x"),
    ("from .names import are_variants", "cme_eval.linkage.x"),
    ("from ..synthesis import x", "cme_eval.linkage.x"),  # another name, not the generator
    ("from . import synth", "cme_eval.linkage.x"),  # cme_eval.linkage.synth: not the generator
    ("import cme_eval.synthetic_report", "cme_eval.linkage.x"),
])
def test_the_scanner_passes_other_imports(text, module):
    assert not synth_imports(text, module)


def test_nothing_under_cme_eval_linkage_imports_the_generator():
    files = sorted(LINKAGE.rglob("*.py"))
    assert LINKAGE / "names.py" in files
    bad = {str(p.relative_to(LINKAGE)): found for p in files
           if (found := synth_imports(p.read_text(encoding="utf-8"), _module_name(p)))}
    assert not bad, f"cme_eval.linkage must not import cme_eval.synth: {bad}"


# -- the linker's own name knowledge -----------------------------------------------------------


def _variants(pairs):
    a, b = zip(*pairs, strict=True)
    return are_variants(np.array(a, dtype=object), np.array(b, dtype=object))


def test_nicknames_and_welsh_english_forms_are_variants_both_ways():
    pairs = [("william", "bill"), ("bill", "william"), ("will", "bill"), ("dafydd", "david"),
             ("david", "dafydd"), ("dewi", "david"), ("gwilym", "william"), ("sian", "jane"),
             ("sion", "john"), ("elizabeth", "beth"), ("robert", "bob"), ("huw", "hugh")]
    assert _variants(pairs).all()


def test_unrelated_names_are_not_variants():
    pairs = [("bill", "ronald"), ("william", "robert"), ("dafydd", "dewi"), ("zoe", "chloe"),
             ("dafydd", "dave")]
    assert not _variants(pairs).any()


def test_nickname_chains_are_not_closed_transitively():
    # The data: aaron has_nickname ron, ronald has_nickname ron. Ron is a variant of each;
    # Aaron and Ronald are not variants of each other. Likewise bill stands for robert and for
    # william, which stay apart.
    keys = variant_keys()
    assert "en:aaron" in keys["ron"] and "en:ronald" in keys["ron"]
    assert _variants([("aaron", "ron"), ("ron", "ronald"), ("bill", "robert")]).all()
    assert not _variants([("aaron", "ronald"), ("robert", "william")]).any()


def test_an_empty_or_unknown_name_is_never_a_variant():
    assert not _variants([("", ""), ("", "david"), ("david", ""), ("zzzz", "zzzz")]).any()
    assert_array_equal(are_variants(np.array([None, "tom"], dtype=object),
                                   np.array(["tom", "thomas"], dtype=object)), [False, True])


def test_are_variants_is_symmetric_and_elementwise():
    names = np.array(sorted(variant_keys())[:400], dtype=object)
    a = np.repeat(names, len(names))
    b = np.tile(names, len(names))
    forward, backward = are_variants(a, b), are_variants(b, a)
    assert_array_equal(forward, backward)
    assert forward.dtype == bool and forward.shape == a.shape
    assert are_variants(names, names).all()  # a known name shares its keys with itself
    keys = variant_keys()
    expected = [bool(set(keys[x]) & set(keys[y])) for x, y in zip(a[:5000], b[:5000],
                                                                   strict=True)]
    assert_array_equal(forward[:5000], expected)


def test_variant_keys_are_folded_and_sorted():
    keys = variant_keys()
    assert "sian" in keys and "Siân" not in keys
    assert all(name and name == name.lower() for name in keys)
    assert all(list(v) == sorted(v) and v for v in keys.values())


def test_knowledge_summary_counts_each_source():
    summary = knowledge_summary().set_index("source")
    assert list(summary.columns) == ["names", "groups"]
    welsh = summary.loc["cme_eval/linkage/data/welsh_english_names.csv"]
    assert welsh["groups"] >= 40  # one group per pair
    nick = summary.filter(like="nicknames", axis=0).iloc[0]
    assert nick["names"] > 1000
    assert summary.loc["all", "names"] == len(variant_keys())
