"""cme-eval: re-run, extend and stress-test the evaluation of the 2025 Welsh CME database pilot."""

__version__ = "0.1.0"
