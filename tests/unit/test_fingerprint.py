"""Resuming an evaluation by content: an LA's inputs folder is fingerprinted by its files' bytes
(issue 22, point 8), not by their sizes and modification times."""

from __future__ import annotations

import os

from cme_eval.run.stages import inputs_fingerprint


def _folder(root, name: str, content: bytes, mtime_ns: int = 1_700_000_000_000_000_000):
    folder = root / name
    (folder / "independent_returns").mkdir(parents=True)
    path = folder / "nhs_extract.csv"
    path.write_bytes(content)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return folder


def test_same_size_and_time_but_other_content_is_another_input(tmp_path):
    one = _folder(tmp_path, "one", b"record_id,forename\n1,Ann\n")
    two = _folder(tmp_path, "two", b"record_id,forename\n1,Bob\n")
    stat_one, stat_two = (f / "nhs_extract.csv" for f in (one, two))
    assert stat_one.stat().st_size == stat_two.stat().st_size
    assert stat_one.stat().st_mtime_ns == stat_two.stat().st_mtime_ns
    assert inputs_fingerprint(one) != inputs_fingerprint(two)


def test_the_same_content_is_the_same_input_whatever_its_time(tmp_path):
    one = _folder(tmp_path, "one", b"record_id,forename\n1,Ann\n")
    two = _folder(tmp_path, "two", b"record_id,forename\n1,Ann\n", mtime_ns=1_000)
    assert inputs_fingerprint(one) == inputs_fingerprint(two)


def test_a_renamed_file_is_another_input(tmp_path):
    one = _folder(tmp_path, "one", b"x")
    two = _folder(tmp_path, "two", b"x")
    (two / "nhs_extract.csv").rename(two / "plasc.csv")
    assert inputs_fingerprint(one) != inputs_fingerprint(two)


def test_a_file_larger_than_a_chunk_is_read_whole(tmp_path):
    big = b"a" * (3 << 20)
    one = _folder(tmp_path, "one", big + b"b")
    two = _folder(tmp_path, "two", big + b"c")
    assert inputs_fingerprint(one) != inputs_fingerprint(two)
