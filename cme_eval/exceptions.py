"""The one base of every error cme-eval raises on purpose.

Each error says in one line what is wrong and where (file, sheet, row, column, setting, flag),
never a record's value. The command line prints any of them as ``cme-eval: error: ...`` with
exit code 2; anything else is a bug and keeps its traceback. Each subclass also keeps the
built-in base it always had (``ValueError``, ``ImportError`` ...), so code that caught that
still does. This module imports nothing, so any module can import it.
"""

from __future__ import annotations


class CmeEvalError(Exception):
    """An error cme-eval raises on purpose, with a one-line message fit to show a user."""
