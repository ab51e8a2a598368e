"""cme-eval: re-run, extend and stress-test the evaluation of the 2025 Welsh CME database pilot."""

__version__ = "0.1.0"


def link(*args, **kwargs):
    """Link two DataFrames; see :func:`cme_eval.api.link` (imported lazily: it loads
    recordlinkage)."""
    from cme_eval.api import link as _link

    return _link(*args, **kwargs)
