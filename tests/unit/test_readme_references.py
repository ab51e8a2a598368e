"""The README refers only to files in the repository: every path it names under a top-level
folder of the repository exists, and none reaches outside it (`../`)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOP = ("cme_eval", "docs", "tests", "scripts", "synthetic", "notebooks", ".ci")
# Paths the README names that are not in the repository by design, each with where it is.
ELSEWHERE = {
    "synthetic/inputs/": "inside a run folder's authorities/SLUG/",
    "synthetic/truth/": "inside a run folder's authorities/SLUG/",
    "synthetic/standardised.pkl": "inside a run folder's authorities/SLUG/",
    "cme_eval/scenarios": "inside the installed wheel (pyproject.toml maps it)",
    "cme_eval/notebooks": "inside the installed wheel (pyproject.toml maps it)",
}


def referenced_paths(text: str) -> list[str]:
    candidates = re.findall(r"(?<![\w./-])((?:\.\./|\.ci/|[a-z_]+/)[\w./*-]+)", text)
    return [c.rstrip(".,:;)") for c in candidates]


def test_every_repository_path_in_the_readme_exists():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    checked, missing = 0, []
    for path in referenced_paths(text):
        if (path.split("/")[0] not in TOP or "*" in path or path in ELSEWHERE
                or re.search(r"[A-Z]{3,}", path)):  # placeholders: SLUG, ENGINE, MEASURE
            continue
        checked += 1
        if not (REPO / path).exists():
            missing.append(path)
    assert missing == []
    assert checked > 10  # the check found the README's paths


def test_the_readme_reaches_nothing_outside_the_repository():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert [p for p in referenced_paths(text) if p.startswith("../")] == []


def test_the_path_finder_finds_what_it_should():
    found = referenced_paths("see `docs/scaling.md`, ../shared/guide/X.md and cme_eval/data/.")
    assert found == ["docs/scaling.md", "../shared/guide/X.md", "cme_eval/data/"]
