"""The self-contained HTML report: tables and figures inline, no external URLs, no code.

Built from the run's tables by the package (not by converting a notebook), so it is
deterministic, carries no code or machine paths, and opens offline.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

CSS = """
body{font-family:Arial,Helvetica,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#0b0c0c;line-height:1.5}
h1{font-size:2rem}h2{font-size:1.5rem;margin-top:2.5rem;border-bottom:2px solid #0b0c0c}
.table-wrap{overflow-x:auto;max-width:100%;margin:1rem 0}
table{border-collapse:collapse;font-size:.95rem}
caption{text-align:left;font-weight:bold;padding:.5rem 0}
th,td{border-bottom:1px solid #b1b4b6;padding:.35rem .7rem;text-align:left;vertical-align:top}
th.num,td.num{text-align:right;white-space:nowrap}
thead th{border-bottom:2px solid #0b0c0c}
tbody th{font-weight:normal}
code{font-family:Consolas,monospace;font-size:.9em;background:#f3f2f1;padding:0 .2em;
overflow-wrap:anywhere}
.note{color:#505a5f;font-size:.9rem}
figure{margin:1.5rem 0}figcaption{font-weight:bold;padding-top:.3rem}
img{max-width:100%;height:auto}
:focus-visible{outline:3px solid #fd0;box-shadow:0 0 0 6px #0b0c0c}
"""


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()  # (caption, table)
    # (caption, PNG path) or (caption, PNG path, alt text): the caption is the alt text unless
    # a longer one says in words what the chart shows
    figures: tuple[tuple[str, Path] | tuple[str, Path, str], ...] = ()
    notes: tuple[str, ...] = ()


_FILE = re.compile(r"^[^<>]*\.(?:csv|tsv|txt|xlsx|xlsm|xls|ods|json|yaml)(?::.*)?$", re.I)
_NUMERIC = re.compile(r"^(?:[+-]?[\d,]+(?:\.\d+)?%?(?: points)?|\[c\])$")


def _numeric(values) -> bool:
    texts = [str(v) for v in values if str(v) != ""]
    return bool(texts) and all(_NUMERIC.match(t) for t in texts)


def table_html(caption: str, table: pd.DataFrame) -> str:
    """A table in its own scrolling box (a wide table never widens the page), named by its
    caption and reachable by keyboard; columns of numbers right-aligned; whole numbers grouped
    by thousands. A first column of words heads its row (`<th scope="row">`), so a screen
    reader names the row (the LA, the measure) with each number."""
    table = table.map(lambda v: f"{v:,}" if isinstance(v, int) and not isinstance(v, bool)
                      else v)
    cls = [' class="num"' if _numeric(table[c]) else "" for c in table.columns]
    head = "".join(f'<th scope="col"{k}>{html.escape(str(c))}</th>'
                   for c, k in zip(table.columns, cls, strict=True))
    row_header = len(table.columns) > 1 and not cls[0]
    body = ["<tr>" + "".join(
        f'<th scope="row">{_cell(v)}</th>' if row_header and i == 0 else f"<td{k}>{_cell(v)}</td>"
        for i, (v, k) in enumerate(zip(row, cls, strict=True))) + "</tr>"
        for row in table.itertuples(index=False)]
    label = html.escape(caption)
    return (f'<div class="table-wrap" role="region" aria-label="{label}" tabindex="0">'
            f"<table><caption>{label}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _cell(value: object) -> str:
    """A cell's text, escaped; a file name shown as code."""
    text = html.escape(str(value))
    return f"<code>{text}</code>" if _FILE.match(str(value)) else text


def _text(paragraph: str) -> str:
    """Escaped text, with `backticks` as code (file names and flags, not words)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(paragraph))


def figure_html(alt: str, path: Path, number: int | None = None,
                caption: str | None = None) -> str:
    """A figure inline, its alt text saying what the chart shows; the caption (the alt text
    unless given) numbers it."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    caption = alt if caption is None else caption
    label = f"Figure {number}: {caption}" if number else caption
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
            f"<figcaption>{html.escape(label)}</figcaption></figure>")


def render(title: str, intro: tuple[str, ...], sections: list[Section]) -> str:
    """The page: everything inside one `<main>` landmark, figures numbered in order."""
    parts = [f"<h1>{html.escape(title)}</h1>"]
    figure_number = 0
    parts += [f"<p>{_text(p)}</p>" for p in intro]
    for s in sections:
        parts.append(f"<h2>{html.escape(s.title)}</h2>")
        parts += [f"<p>{_text(p)}</p>" for p in s.paragraphs]
        for caption, path, *alt in s.figures:
            figure_number += 1
            parts.append(figure_html(alt[0] if alt else caption, path, figure_number, caption))
        parts += [table_html(caption, t) for caption, t in s.tables]
        parts += [f'<p class="note">{_text(n)}</p>' for n in s.notes]
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body><main>"
            + "\n".join(parts) + "</main></body></html>\n")
