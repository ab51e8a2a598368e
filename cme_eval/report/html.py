"""The self-contained HTML report: tables and figures inline, no external URLs, no code.

Built from the run's tables by the package (not by converting a notebook), so it is
deterministic, carries no code or machine paths, and opens offline.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

CSS = """
body{font-family:Arial,Helvetica,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#0b0c0c;line-height:1.5}
h1{font-size:2rem}h2{font-size:1.5rem;margin-top:2.5rem;border-bottom:2px solid #0b0c0c}
table{border-collapse:collapse;margin:1rem 0;font-size:.95rem}
caption{text-align:left;font-weight:bold;padding:.5rem 0}
th,td{border-bottom:1px solid #b1b4b6;padding:.35rem .7rem;text-align:right}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
thead th{border-bottom:2px solid #0b0c0c}
.note{color:#505a5f;font-size:.9rem}
img{max-width:100%}
"""


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()  # (caption, table)
    figures: tuple[tuple[str, Path], ...] = ()  # (alt text, PNG path)
    notes: tuple[str, ...] = ()


def table_html(caption: str, table: pd.DataFrame) -> str:
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in table.columns)
    body = []
    for row in table.itertuples(index=False):
        cells = []
        for value in row:
            text = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
            cells.append(f"<td>{html.escape(str(text))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def figure_html(alt: str, path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
            f"<figcaption>{html.escape(alt)}</figcaption></figure>")


def render(title: str, intro: tuple[str, ...], sections: list[Section]) -> str:
    parts = [f"<h1>{html.escape(title)}</h1>"]
    parts += [f"<p>{html.escape(p)}</p>" for p in intro]
    for s in sections:
        parts.append(f"<h2>{html.escape(s.title)}</h2>")
        parts += [f"<p>{html.escape(p)}</p>" for p in s.paragraphs]
        parts += [figure_html(alt, path) for alt, path in s.figures]
        parts += [table_html(caption, t) for caption, t in s.tables]
        parts += [f'<p class="note">{html.escape(n)}</p>' for n in s.notes]
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")
