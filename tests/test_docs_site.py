"""The documentation site, built as the README says and checked in a real browser (Debian's Chromium).

The site is built with ``python -m ddim_ref docs`` (``mkdocs build --strict``: any warning fails),
served on 127.0.0.1, and opened in headless Chromium through selenium: the home page, one page per
notebook and two API pages. On each: no console error, every ``<img>`` loaded, no raw ``$$`` or
``\\frac`` left in the text, typeset math present (KaTeX) without a KaTeX error, and every internal
link answering 200. A screenshot of each page goes to ``site_checks/`` (git-ignored). Without
Chromium the test fails and says why (``.ci/run`` installs it); it never skips.
"""
import functools
import http.server
import os
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from ddim_ref.cli import docs

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "site_checks"
CHROMIUM, DRIVER = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAGES = ["index.html", *[f"course/{n}.html" for n in NOTEBOOKS], "api/samplers.html", "api/steps.html"]
TYPESET = {"index.html", *[f"course/{n}.html" for n in NOTEBOOKS]}  # pages with formulas


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the site (timed) and serve it on 127.0.0.1; yields (base URL, build seconds)."""
    out = tmp_path_factory.mktemp("site")
    seconds = docs.build(out)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", seconds
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM and DRIVER, ("the docs test needs Debian's chromium and chromium-driver: "
                                 "apt-get install -y chromium chromium-driver (.ci/run installs them)")
    os.environ["SE_AVOID_STATS"] = "true"  # selenium must not call home
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1800"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    yield driver
    driver.quit()


def test_the_build_is_strict_and_fast_enough(site):
    _, seconds = site
    assert seconds < 120, f"the docs build took {seconds:.0f} s (budget 2 min on the 2-core CPU)"


def _internal_links(driver, base):
    hrefs = driver.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    return {h.split("#")[0] for h in hrefs if h.startswith(base)}


@pytest.mark.parametrize("page", PAGES)
def test_a_page_renders_in_a_real_browser(site, browser, page):
    base, _ = site
    browser.get(base + page)
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    images = browser.execute_script("return Array.from(document.images)"
                                    ".map(i => [i.getAttribute('src').slice(0, 60), i.complete && i.naturalWidth])")
    assert all(width for _, width in images), [src for src, width in images if not width]
    text = browser.execute_script("return document.body.innerText")
    assert "$$" not in text and "\\frac" not in text, "raw LaTeX left on the page"
    if page.startswith("course/"):
        assert "import ddim_ref as dr" not in text, "the imports cell (tagged hide-input) should be hidden"
        assert "Open in Jupyter" in text and ".ipynb" in text
    katex, failed = browser.execute_script(
        "return [document.querySelectorAll('.katex').length, document.querySelectorAll('.katex-error').length]")
    assert failed == 0, "KaTeX could not typeset some formulas"
    if page in TYPESET:
        assert katex > 0, "no typeset math on a page with formulas"
    SHOTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(SHOTS / (page.replace("/", "_").removesuffix(".html") + ".png")))
    for link in sorted(_internal_links(browser, base)):
        try:
            with urllib.request.urlopen(link, timeout=10) as response:
                assert response.status == 200, link
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{page} links to {urllib.parse.unquote(link)}: HTTP {e.code}") from None
