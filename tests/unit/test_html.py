"""cme_eval.report.html: a self-contained report with escaped values and no external URLs."""

from __future__ import annotations

import base64

import pandas as pd

from cme_eval.report.html import Section, figure_html, render, table_html

PNG_BYTES = b"\x89PNG\r\n\x1a\nnot-really-a-png"


def _sections(tmp_path):
    figure = tmp_path / "fig.png"
    figure.write_bytes(PNG_BYTES)
    table = pd.DataFrame({"authority": ["Powys", "All"], "received": [16500, 167000]})
    return [
        Section("Table 5.1", paragraphs=("Records received & matched.",),
                tables=(("Table 5.1: records", table),), figures=(("Outcomes by LA", figure),),
                notes=("Received = perfect + partial + not matched + out of scope.",)),
        Section("Method"),
    ]


def test_render_has_no_external_urls_and_no_script(tmp_path):
    page = render("CME pilot evaluation", ("Synthetic data only.",), _sections(tmp_path))
    assert "http://" not in page
    assert "https://" not in page
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()


def test_render_embeds_figures_and_escapes_text(tmp_path):
    page = render("A <b>title</b>", ("x < y",), _sections(tmp_path))
    assert page.startswith("<!DOCTYPE html>\n")
    assert "<title>A &lt;b&gt;title&lt;/b&gt;</title>" in page
    assert "<h1>A &lt;b&gt;title&lt;/b&gt;</h1>" in page
    assert "<p>x &lt; y</p>" in page
    assert "<p>Records received &amp; matched.</p>" in page
    assert f'src="data:image/png;base64,{base64.b64encode(PNG_BYTES).decode()}"' in page
    assert page.count("<h2>") == 2
    assert '<p class="note">Received = perfect + partial + not matched + out of scope.</p>' in page


def test_table_values_are_escaped_and_whole_numbers_grouped():
    table = pd.DataFrame({"name <x>": ["<script>alert(1)</script>", "Tom & Jerry"],
                          "n": [167000, 5]})
    out = table_html("Caption \"q\"", table)
    assert out == (
        '<div class="table-wrap" role="region" aria-label="Caption &quot;q&quot;" tabindex="0">'
        "<table><caption>Caption &quot;q&quot;</caption><thead><tr>"
        '<th scope="col">name &lt;x&gt;</th><th scope="col" class="num">n</th></tr></thead>'
        '<tbody><tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td><td class="num">167,000</td>'
        '</tr><tr><td>Tom &amp; Jerry</td><td class="num">5</td></tr></tbody></table></div>'
    )
    assert "<script" not in out


def test_a_url_in_a_table_cell_is_text_not_a_link():
    out = table_html("c", pd.DataFrame({"a": ['<a href="x">y</a>']}))
    assert "<a " not in out
    assert "&lt;a href=&quot;x&quot;&gt;y&lt;/a&gt;" in out


def test_figure_alt_text_is_escaped(tmp_path):
    path = tmp_path / "f.png"
    path.write_bytes(b"abc")
    out = figure_html('a "quoted" <alt>', path)
    assert out == ('<figure><img src="data:image/png;base64,YWJj" '
                   'alt="a &quot;quoted&quot; &lt;alt&gt;">'
                   "<figcaption>a &quot;quoted&quot; &lt;alt&gt;</figcaption></figure>")


def test_a_page_fits_small_screens_and_marks_code():
    page = render("t", ("Open `report.html`.",), [])
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<p>Open <code>report.html</code>.</p>" in page


def test_numbers_are_labelled_formatted_and_right_aligned():
    from cme_eval.report.labels import for_reading

    table = pd.DataFrame({"authority": ["All"], "true_status": ["maintained_neighbour_la"],
                          "potential_cme": [1476.0], "precision": [0.99906],
                          "within_tolerance": [True]})
    shown = for_reading(table)
    assert list(shown.columns) == ["Local authority", "True status", "Potential CME",
                                   "Precision", "Within tolerance"]
    assert shown.iloc[0].tolist() == ["All", "Maintained school, neighbouring Welsh LA",
                                      "1,476", "99.91%", "yes"]
    out = table_html("c", shown)
    assert '<td class="num">1,476</td>' in out and '<td class="num">99.91%</td>' in out
    assert "<td>Maintained school, neighbouring Welsh LA</td>" in out
