"""The one base of every error cme-eval raises on purpose.

Each error says in one line what is wrong and where (file, sheet, row, column, setting, flag),
never a record's value. The command line prints any of them as ``cme-eval: error: ...`` with
exit code 2; anything else is a bug and keeps its traceback. Each subclass also keeps the
built-in base it always had (``ValueError``, ``ImportError`` ...), so code that caught that
still does. This module imports only the standard library, so any module can import it.

It is also the one place that turns cells into words for a message (``shape``, ``columns_text``)
and gives every message its final form (``one_line``): the command line, the ingest report and
warnings pass through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


class CmeEvalError(Exception):
    """An error cme-eval raises on purpose, with a one-line message fit to show a user."""


# --- the words a message may use about data -------------------------------------------------
# A message about an input names where (file, sheet, row, column) and describes values by their
# *shape* only. These helpers are the one place that turns cells into words, so no message
# needs a cell's text to say what it found.

_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_POSTCODE = re.compile(r"[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}")
_NUMBER = re.compile(r"[-+]?\d[\d\s,]*(?:\.\d+)?")
DATA_SHAPES = ("date", "postcode", "number")  # shapes a column name never has


def shape(value: object) -> str:
    """What a cell looks like, in one word: empty, date, postcode, number or text."""
    text = "" if value is None else str(value).strip()
    if not text or text.lower() == "nan":
        return "empty"
    if _DATE.fullmatch(text):
        return "date"
    if _POSTCODE.fullmatch(text):
        return "postcode"
    if _NUMBER.fullmatch(text):
        return "number"
    return "text"


def shapes(values: Iterable[object]) -> str:
    """The shapes of a row of cells, in order ("text, text, date, text, postcode")."""
    return ", ".join(shape(v) for v in values)


def columns_text(columns: list[object], names_shown: bool) -> str:
    """A table's columns for a message: their names only when they are header strings
    (``names_shown``, decided by the caller from the whole row), otherwise their count and
    shapes, since a row taken for a header may be a record."""
    if names_shown:
        return ", ".join(str(c) for c in columns)
    return (f"{len(columns)} columns shaped {shapes(columns) or 'nothing'} (names not shown: "
            "they may be a record)")


def one_line(message: str, limit: int = 600) -> str:
    """The form every message takes before it reaches a console, a file or a notebook: one line,
    at most ``limit`` characters (a message that grew by accident cannot carry a table)."""
    flat = " ".join(str(message).split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "\u2026"
