"""cme-eval: re-run, extend and stress-test the evaluation of the 2025 Welsh CME database pilot."""

from importlib import metadata as _metadata

try:  # one version, in pyproject.toml
    __version__ = _metadata.version("cme-eval")
except _metadata.PackageNotFoundError:  # a source tree that is not installed
    __version__ = "unknown"


def link(*args, **kwargs):
    """Link two DataFrames; see :func:`cme_eval.api.link` (imported lazily: it loads
    recordlinkage)."""
    from cme_eval.api import link as _link

    return _link(*args, **kwargs)
