"""Take the README screenshots from a running demo (make demo), in Debian's chromium.

    .venv/bin/python scripts/screenshot.py [http://127.0.0.1:8000]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
DOCS = Path(__file__).resolve().parents[1] / "docs"

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                args=["--headless", "--no-sandbox", "--disable-gpu"])
    page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="en-GB")
    page.goto(f"{BASE}/login/")
    page.locator("#id_username").fill("gp.uk")
    page.locator("#id_password").fill("careweave-demo")
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/caseload/")
    page.screenshot(path=str(DOCS / "screenshot.png"))
    page.get_by_role("link", name="Penrose, Arthur").click()
    page.wait_for_url("**/people/**")
    page.screenshot(path=str(DOCS / "screenshot-person.png"), full_page=True)
    browser.close()
print(f"wrote {DOCS / 'screenshot.png'} and {DOCS / 'screenshot-person.png'}")
