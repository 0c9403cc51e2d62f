"""The web inbox page in a real headless browser (Debian's chromium, driven by Playwright).

Never downloads a browser: Playwright is pointed at /usr/bin/chromium. Without it the tests
skip and say why; under CI=true they fail instead (``./check`` installs it when root).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.http.conftest import Served

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS = Path(__file__).resolve().parents[2] / "docs"
INJECTED = '<img src=x onerror="document.title=1">'


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def open_page(browser: Any, served: Served, width: int, height: int) -> Any:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{served.base}/?token={served.token}")
    page.wait_for_selector("#ask")
    return page


def contains(page: Any, selector: str, text: str) -> None:
    """Wait until ``selector`` shows ``text`` (the page's CSP forbids evaluated strings)."""
    from playwright.sync_api import expect

    expect(page.locator(selector)).to_contain_text(text, timeout=60_000)


def ask(page: Any, text: str) -> None:
    page.fill("#text", text)
    page.click("form#ask button[type=submit]")


def test_ask_see_it_live_approve_cancel_and_read_memory(browser: Any, served: Served) -> None:
    page = open_page(browser, served, 1280, 900)
    ask(page, "pay the electricity bill of 84.20")
    page.wait_for_selector("#waiting li.item", timeout=60_000)
    page.wait_for_selector("#lines li.inbox", timeout=60_000)  # arrived live, no reload
    page.click("#waiting button[data-action=approve]")
    contains(page, "#lines", "from pay_bill")
    assert "Nothing." in page.inner_text("#waiting")

    ask(page, "turn the lights off at 23:59")
    page.wait_for_selector("#timers button[data-action=cancel]", timeout=60_000)
    page.click("#timers button[data-action=cancel]")
    contains(page, "#timers", "None pending")
    assert served.http().get("/api/timers").json()[0]["state"] == "cancelled"

    ask(page, "my steps were 4000 6000 8000")
    contains(page, "#domains details[data-domain=health]", "1 notes")
    page.click("#domains details[data-domain=health] summary")
    assert "Steps: mean 6000" in page.inner_text("#domains details[data-domain=health]")
    page.close()


def test_injected_html_in_a_reply_is_shown_as_text(browser: Any, served: Served) -> None:
    page = open_page(browser, served, 1280, 900)
    title = page.title()
    ask(page, f"remind me to take {INJECTED} at 08:00")
    contains(page, "#lines", "<img src=x")
    page.reload()
    page.wait_for_selector("#digest li")
    assert page.locator("main img").count() == 0
    assert page.title() == title
    assert "<img src=x" in page.inner_text("#digest")
    page.close()


def test_screenshots_at_phone_and_desktop_widths(
    browser: Any, served: Served, tmp_path: Path
) -> None:
    # Written to a scratch folder; PREFRONTAL_REFRESH_SCREENSHOTS=1 refreshes the README's.
    folder = DOCS if os.environ.get("PREFRONTAL_REFRESH_SCREENSHOTS") == "1" else tmp_path
    http = served.http()
    for text in ("pay the electricity bill of 84.20", "turn the lights off at 23:59",
                 "my steps were 4000 6000 8000", "what's for lunch?"):  # fmt: skip
        http.post("/api/ask", json={"text": text})
    served.until(lambda: len(http.get("/api/inbox").json()) >= 4, "four inbox items")
    folder.mkdir(exist_ok=True)
    for name, (width, height) in {"phone": (390, 844), "desktop": (1280, 860)}.items():
        page = open_page(browser, served, width, height)
        page.click("#domains details[data-domain=health] summary")
        target = folder / f"web-inbox-{name}.png"
        page.screenshot(path=str(target), full_page=name == "phone")
        assert target.stat().st_size > 10_000
        page.close()
