"""Keyed randomness: every random draw comes from a generator derived from the seed and a key.

A generator is keyed by (seed, authority, purpose, ...), so changing one error rate or adding an
LA never reshuffles any other draw, and two runs with the same scenario and seed are identical.
Global random state (``np.random.seed``, ``random.seed``) is never used.
"""

from __future__ import annotations

import hashlib

import numpy as np


def key_to_ints(*key: object) -> list[int]:
    """Stable 32-bit words from a key (Python's ``hash`` is salted per process, so not that)."""
    digest = hashlib.sha256("\x1f".join(map(str, key)).encode("utf-8")).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


def keyed_rng(seed: int, *key: object) -> np.random.Generator:
    """A numpy Generator determined by ``seed`` and ``key`` alone."""
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=key_to_ints(*key)))


def keyed_int(seed: int, *key: object) -> int:
    """A stable integer seed for libraries that take one (e.g. Faker)."""
    return int(keyed_rng(seed, *key).integers(0, 2**31 - 1))


def keyed_uniforms(ids, seed: int, *key: object) -> np.ndarray:
    """One uniform in [0, 1) per id, determined by (seed, key, id) alone.

    A record keeps its draw whichever other records are in the frame, so a what-if that drops
    or adds records (a quarterly extract, fewer returns) leaves every other record's draw alone;
    a positional draw would reshuffle them all. SipHash, keyed by the (seed, key) digest.
    """
    import pandas as pd

    salt = hashlib.sha256(f"{seed}\x1f{key_to_ints(*key)}".encode()).hexdigest()[:16]
    hashed = pd.util.hash_array(np.asarray(ids, dtype=object).astype(str).astype(object),
                                hash_key=salt, categorize=False)
    return (hashed >> np.uint64(11)).astype(np.float64) / float(2**53)
