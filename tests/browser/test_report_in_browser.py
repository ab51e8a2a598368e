"""The HTML report in a real browser (issue 13): Debian's headless Chromium at 1,024 px wide,
driven by selenium through Debian's chromedriver, with axe-core from npm injected into the page.

Nothing may make the page scroll sideways or stick out past the right edge of the viewport,
unless it sits in a box that scrolls on its own (a wide table's `.table-wrap`), and axe-core
may find no violation of impact "serious" or "critical".

`make test` installs Chromium, chromedriver (apt) and axe-core (npm, into .venv/node). Without
them the tests skip, naming `make test`; under CI (the variable CI set) they fail instead, so a
missing install step can never pass silently.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from cme_eval.run.cli import main

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE_RELATIVE = Path("node/node_modules/axe-core/axe.min.js")
WIDTH, HEIGHT = 1024, 768
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")


def axe_script() -> Path | None:
    """axe.min.js as `make test` installs it: in the venv running the tests, or the repo's."""
    for venv in (Path(sys.prefix), REPO / ".venv"):
        if (venv / AXE_RELATIVE).is_file():
            return venv / AXE_RELATIVE
    return None


def _missing_tools() -> list[str]:
    missing = [f"{p} (Debian package {pkg})" for p, pkg in
               ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")) if not p.is_file()]
    if axe_script() is None:
        missing.append(f"axe-core ({AXE_RELATIVE} in the venv, from npm)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (the dev extra)")
    return missing


def _unavailable(reason: str) -> None:
    message = f"{reason}; `make test` installs them"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {message}")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    missing = _missing_tools()
    if missing:
        _unavailable("missing " + ", ".join(missing))
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={WIDTH},{HEIGHT}")
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    # the driver is given, so selenium-manager never looks for (or downloads) one
    service = Service(str(CHROMEDRIVER), log_output=str(tmp_path_factory.mktemp("chromedriver")
                                                        / "chromedriver.log"))
    try:
        driver = webdriver.Chrome(options=options, service=service)
    except Exception as error:  # a browser that is installed but will not start is a failure
        pytest.fail(f"headless Chromium did not start: {error}")
    # the viewport itself 1,024 CSS px wide, whatever the window's decorations
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
    driver.set_script_timeout(120)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def one_la_evaluation(tmp_path_factory) -> Path:
    """The other kind of report: one LA's own extracts (`cme-eval evaluate`, no truth)."""
    root = tmp_path_factory.mktemp("browser-evaluate")
    assert main(["generate", "smoke", "-q", "--authority", "Powys",
                 "--out", str(root / "generated")]) == 0
    assert main(["evaluate", str(root / "generated" / "inputs"), "-q", "--authority", "Powys",
                 "--out", str(root / "evaluation")]) == 0
    return root / "evaluation"


@pytest.fixture(params=["smoke run (seven LAs)", "one LA's own extracts"])
def report(request) -> Path:
    run = request.getfixturevalue("smoke_run" if request.param.startswith("smoke")
                                  else "one_la_evaluation")
    path = run / "report.html"
    assert path.is_file(), f"no report in {run}"
    return path


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _open(browser, path: Path) -> None:
    browser.get(path.resolve().as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.execute_script("return window.innerWidth") == WIDTH


OVERFLOW = """
const viewport = document.documentElement.clientWidth;
const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
const describe = el => {
  const cls = el.getAttribute('class');
  const text = (el.innerText || el.getAttribute('alt') || '').trim().replace(/\\s+/g, ' ');
  return el.tagName.toLowerCase() + (cls ? '.' + cls.split(/\\s+/).join('.') : '')
    + ' "' + text.slice(0, 60) + '"';
};
const offenders = [];
for (const el of document.body.querySelectorAll('*')) {
  const box = el.getBoundingClientRect();
  if ((box.width === 0 && box.height === 0) || box.right <= viewport + 0.5) continue;
  let inside = false;
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (scrolls(p)) { inside = true; break; }
  }
  if (!inside) offenders.push(describe(el) + ' right edge at ' + Math.round(box.right) + ' px');
}
return {viewport: viewport,
        scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
        offenders: offenders};
"""


def test_nothing_overflows_a_1024_px_page(browser, report):
    _open(browser, report)
    found = browser.execute_script(OVERFLOW)
    print(f"{_name(report)}: {found['scrollWidth']} px wide in a {found['viewport']} px viewport")
    assert found["viewport"] <= WIDTH
    assert not found["offenders"], (
        f"{len(found['offenders'])} element(s) of {_name(report)} stick out past the right edge "
        f"of a {found['viewport']} px viewport:\n  " + "\n  ".join(found["offenders"][:30]))
    assert found["scrollWidth"] <= found["viewport"], (
        f"the page scrolls sideways: {found['scrollWidth']} px wide in a "
        f"{found['viewport']} px viewport")


def test_wide_tables_scroll_in_their_own_box(browser, smoke_run):
    """The check above is not vacuous: the report's tables sit in boxes that scroll sideways,
    each reachable by keyboard and named for screen readers."""
    _open(browser, smoke_run / "report.html")
    boxes = browser.execute_script("""
        return [...document.querySelectorAll('table')].map(t => {
          const box = t.parentElement;
          return {scrolls: getComputedStyle(box).overflowX, tabindex: box.getAttribute('tabindex'),
                  label: box.getAttribute('aria-label'),
                  fits: box.getBoundingClientRect().right <= document.documentElement.clientWidth};
        });""")
    assert boxes, "the report has no tables"
    for box in boxes:
        assert box["scrolls"] == "auto" and box["tabindex"] == "0" and box["label"], box
        assert box["fits"], box


SERIOUS = ("serious", "critical")
AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}))))
  .catch(e => done({error: String(e)}));
"""


def axe_violations(browser, page: Path) -> list[dict]:
    _open(browser, page)
    browser.execute_script(axe_script().read_text(encoding="utf-8"))
    assert browser.execute_script("return typeof axe === 'object' && axe.version")
    violations = browser.execute_async_script(AXE_RUN)
    assert not isinstance(violations, dict), violations.get("error")
    return violations


def test_axe_finds_no_serious_violation(browser, report):
    violations = axe_violations(browser, report)
    print(f"{_name(report)}: axe-core found {len(violations)} violation(s) of any impact")
    for v in violations:  # shown with -rA or on failure; moderate and minor ones too
        print(f"axe {v['impact']}: {v['id']} ({len(v['nodes'])} nodes): {v['help']}")
    serious = [v for v in violations if v["impact"] in SERIOUS]
    assert not serious, f"axe-core found in {_name(report)}:\n" + "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']}\n    "
        + "\n    ".join(f"{n['target']}: {n['summary']}" for n in v["nodes"][:10])
        for v in serious) + "\n" + json.dumps([v["id"] for v in violations])


def test_the_checks_catch_a_page_that_fails_them(browser, tmp_path):
    """Neither check passes by not looking: a wide table outside a scrolling box and an image
    without alt text on a page without lang are found."""
    wide = "".join(f"<td>cell{i:03d}-with-a-long-unbreakable-value</td>" for i in range(40))
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><head><title>broken</title></head><body><main>"
                    f'<table class="bare"><tr><th>h</th>{wide}</tr></table>'
                    '<div style="overflow-x:auto"><table><tr>' + wide + "</tr></table></div>"
                    '<img src="data:image/png;base64,iVBORw0KGgo=">'
                    "</main></body></html>", encoding="utf-8")
    _open(browser, page)
    found = browser.execute_script(OVERFLOW)
    assert found["scrollWidth"] > found["viewport"]
    assert any(o.startswith("table.bare") for o in found["offenders"]), found["offenders"][:5]
    assert not any("overflow" in o for o in found["offenders"])
    assert len([o for o in found["offenders"] if o.startswith("table")]) == 1  # boxed one is fine
    ids = {v["id"] for v in axe_violations(browser, page) if v["impact"] in SERIOUS}
    assert {"image-alt", "html-has-lang"} <= ids, ids


def test_without_the_tools_it_skips_naming_make_test_but_fails_under_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="`make test` installs them"):
        _unavailable("missing /usr/bin/chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        _unavailable("missing /usr/bin/chromium")
