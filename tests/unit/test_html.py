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
        '<tbody><tr><th scope="row">&lt;script&gt;alert(1)&lt;/script&gt;</th>'
        '<td class="num">167,000</td></tr><tr><th scope="row">Tom &amp; Jerry</th>'
        '<td class="num">5</td></tr></tbody></table></div>'
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


def test_the_page_is_one_main_landmark(tmp_path):
    """axe-core (tests/browser): all content inside a landmark, and exactly one main."""
    page = render("t", ("Intro.",), _sections(tmp_path))
    body = page.split("<body>", 1)[1]
    assert body.startswith("<main><h1>t</h1>") and body.endswith("</main></body></html>\n")
    assert page.count("<main>") == 1


def test_a_first_column_of_words_heads_its_row_and_numbers_stay_cells():
    words_first = table_html("c", pd.DataFrame({"authority": ["Powys"], "received": [5]}))
    assert '<tr><th scope="row">Powys</th><td class="num">5</td></tr>' in words_first
    numbers_first = table_html("c", pd.DataFrame({"n": [1], "m": [2]}))
    assert "<tbody><tr><td class=\"num\">1</td>" in numbers_first
    assert 'scope="row"' not in table_html("c", pd.DataFrame({"only": ["x"]}))


def test_figures_are_numbered_in_their_captions_not_in_their_alt_text(tmp_path):
    sections = _sections(tmp_path) + [Section("More", figures=(("Second chart", tmp_path
                                                                 / "fig.png"),))]
    page = render("t", (), sections)
    assert "<figcaption>Figure 1: Outcomes by LA</figcaption>" in page
    assert "<figcaption>Figure 2: Second chart</figcaption>" in page
    assert 'alt="Outcomes by LA"' in page and 'alt="Second chart"' in page


def test_keyboard_focus_is_visible():
    """The scrolling table boxes take keyboard focus; the focus must show."""
    page = render("t", (), [])
    assert ":focus-visible{outline:3px solid #fd0" in page


def test_a_figure_may_have_alt_text_longer_than_its_caption(tmp_path):
    (tmp_path / "fig.png").write_bytes(PNG_BYTES)
    page = render("t", (), [Section("S", figures=(("Short caption", tmp_path / "fig.png",
                                                    "Bar chart: A 10%, B 90%."),))])
    assert 'alt="Bar chart: A 10%, B 90%."' in page
    assert "<figcaption>Figure 1: Short caption</figcaption>" in page


def test_figure_alt_texts_say_what_the_charts_show():
    from cme_eval.report.figures import outcomes_alt_text, potential_cme_alt_text

    t51 = pd.DataFrame({
        "authority": ["Powys", "Gwynedd", "All"], "source": ["Total"] * 3,
        "received": [100, 50, 150], "perfect_match": [70, 40, 110],
        "partial_match": [20, 5, 25], "not_matched": [10, 5, 15], "out_of_scope": [0, 0, 0]})
    text = outcomes_alt_text(t51)
    assert "All authorities: 73.3% perfect match, 16.7% partial match, 10.0% not matched, " \
           "0.0% out of scope" in text
    assert "from 70.0% (Powys) to 80.0% (Gwynedd)" in text
    breakdown = pd.DataFrame({"true_status": ["moved_to_england", "missing_unknown"],
                              "potential_cme": [5, 9], "resolved_by_follow_up": [3, 0]})
    text = potential_cme_alt_text(breakdown)
    assert "_" not in text  # words, not machine names
    assert text.index(" 9 (0 resolved)") < text.index(" 5 (3 resolved)")


def test_figure_alt_texts_of_a_protected_table_keep_its_suppression():
    from cme_eval.report.figures import outcomes_alt_text, potential_cme_alt_text

    t51 = pd.DataFrame({"authority": ["Powys", "All"], "source": ["Total"] * 2,
                        "received": ["[c]", "1,005"], "perfect_match": ["[c]", "700"],
                        "partial_match": ["0", "200"], "not_matched": ["[c]", "105"],
                        "out_of_scope": ["0", "0"]})
    assert "All authorities: 69.7% perfect match" in outcomes_alt_text(t51)
    breakdown = pd.DataFrame({"true_status": ["moved_to_england", "missing_unknown"],
                              "potential_cme": ["[c]", "10"],
                              "resolved_by_follow_up": ["[c]", "0"]})
    text = potential_cme_alt_text(breakdown)
    assert "Missing education, unknown to the LA 10 (0 resolved); " in text
    assert "Moved to England [c] ([c] resolved)" in text
