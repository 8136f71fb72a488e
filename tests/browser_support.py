"""A real browser for tests: Playwright driving the system's Chromium (Debian's ``chromium``).

Playwright's own browser download needs a CDN this project does not rely on; ``.ci/run`` installs
Debian's chromium and Playwright drives it. Where either is missing, browser tests skip with a
message that says what to install.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM = os.environ.get("CRMFLOW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@contextmanager
def browser_page() -> Iterator[tuple[Any, list[str]]]:
    """A fresh page in headless Chromium, and the list its console errors and page errors go to."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - only without the dev requirements
        pytest.skip("playwright is not installed (pip install -r requirements-dev.txt)")
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium) as .ci/run does"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            errors: list[str] = []
            page.on(
                "console", lambda message: errors.append(message.text) if message.type == "error" else None
            )
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page, errors
        finally:
            browser.close()
