"""Debian's headless Chromium driven by Playwright (browser downloads fail here): one launch
shared by the tests of a module or session; skipped where the package is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def launched_chromium() -> Iterator[Any]:
    """Yield a launched headless Chromium; close it afterwards (use as a fixture's body)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()
