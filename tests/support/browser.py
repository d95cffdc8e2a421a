"""A real headless browser for tests: Debian's Chromium driven through its chromedriver
(Selenium), offline (no driver or browser download is ever attempted)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="chromium and chromium-driver (Debian) are not installed",
)


@contextmanager
def chromium(width: int = 1366, height: int = 768, *, language: str = "vi") -> Iterator:
    """A headless Chromium window of `width`×`height` CSS pixels (a webdriver)."""
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look for downloads
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or "chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",  # tests run as root in CI
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        f"--lang={language}",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER or "chromedriver"))
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()
