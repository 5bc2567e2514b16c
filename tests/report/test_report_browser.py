"""The HTML report opened in headless Chromium: loads with no console error, shows the seeds' story group.

Screenshots are saved as `report.png` in each test's temporary folder (pytest prints it with -rA; see
docs/report.md for how to look at one).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipeline.report.drift import DriftConfig
from pipeline.report.html import write_report
from tests.report.conftest import CHROMIUM_FLAGS

GOLD = json.loads((Path(__file__).resolve().parents[1] / "resources" / "seeds_gold.json").read_text(encoding="utf-8"))
STORY = [GOLD["documents"][name]["title"] for name in GOLD["links"]["same_story"][0]]


def open_in_chromium(chromium: str, html: Path, screenshot: Path) -> dict:
    """Load the page from disk, screenshot it, and return what a reader would see and what went wrong."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.goto(html.as_uri(), wait_until="load")
            page.screenshot(path=str(screenshot), full_page=True)
            return {
                "problems": problems,
                "stories": page.locator(".story").all_inner_texts(),
                "alerts": page.locator(".alert").all_inner_texts(),
                "charts": page.locator(".chart svg").count(),
                "runs": page.locator("#runs ~ table").first.locator("tr").count() - 1,
            }
        finally:
            browser.close()


def test_seeds_report_in_chromium(seeds_lake, chromium, tmp_path):
    write_report(str(seeds_lake), tmp_path / "report.html")
    seen = open_in_chromium(chromium, tmp_path / "report.html", tmp_path / "report.png")
    assert seen["problems"] == []
    assert len(seen["stories"]) == 1  # the one story the seeds tell twice, and nothing else
    assert all(title in seen["stories"][0] for title in STORY), seen["stories"]
    assert seen["charts"] >= 2 and seen["alerts"] == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
    print(f"screenshot: {tmp_path / 'report.png'}")


def test_multi_run_report_in_chromium(drift_lake, chromium, tmp_path):
    lake, runs = drift_lake
    write_report(str(lake), tmp_path / "report.html", DriftConfig(min_trailing_runs=1))  # as drift_lake's crawls
    seen = open_in_chromium(chromium, tmp_path / "report.html", tmp_path / "report.png")
    assert seen["problems"] == []
    assert seen["runs"] == len(runs) == 3
    assert any(all(title in story for title in STORY) for story in seen["stories"]), seen["stories"]
    assert seen["alerts"] and "alert(s)" in seen["alerts"][0]
    print(f"screenshot: {tmp_path / 'report.png'}")


def test_report_is_self_contained(seeds_lake, tmp_path):
    write_report(str(seeds_lake), tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    addresses = set(re.findall(r"(?:https?:)?//[\w.-]+\.\w+/[^\s\"'<>]*", page))
    assert addresses <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}  # SVG namespaces only
    assert "<script" not in page and "<link" not in page and "<img" not in page
