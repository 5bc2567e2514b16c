"""robots.txt rules end to end: a probe spider sends concurrent requests to a loopback site whose
robots.txt is fine, missing, broken, or redirected where the guards refuse to follow."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRIVATE = [f"/private/memo-{k}.html" for k in range(8)]
PUBLIC = ["/", "/about.html", "/world/", "/tech/"]


def probe(site, tmp_path: Path, middleware: str, *settings: str) -> tuple[dict[str, int], str]:
    """Run the probe over 8 disallowed and 4 allowed pages (16 requests at once); its stats and log."""
    urls = ",".join(f"{site.base}{path}?n={k}" for k, path in enumerate(PRIVATE + PUBLIC + PRIVATE[:4]))
    command = [str(ROOT / ".venv" / "bin" / "scrapy"), "runspider", str(Path(__file__).parent / "robots_probe.py"),
               "-s", f"PROBE_MIDDLEWARE={middleware}", "-s", f"PROBE_URLS={urls}", "-s", "LOG_LEVEL=INFO"]
    for setting in ("ALLOW_PRIVATE_ADDRESSES=true", *settings):
        command += ["-s", setting]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    stats = {key: int(value) for key, value in re.findall(r"'([a-z_/0-9]+)': (\d+)", done.stderr)}
    return stats, done.stderr


@pytest.fixture
def site_with(tmp_path, make_site):
    """A fresh loopback site started with the given robots.txt behaviour; stopped after the test."""
    start_site, stop_site = make_site
    started = []

    def start(*arguments: str):
        log = tmp_path / f"requests-{len(started)}.jsonl"
        log.touch()
        started.append(start_site(log, *arguments))
        return started[-1]

    yield start
    for running in started:
        stop_site(running)


def test_strict_middleware_fixes_the_shared_deferred_bug(site, tmp_path):
    """Scrapy 2.19's middleware lets concurrent waiters through; ours blocks all of them."""
    fetched = {middleware: probe(site, tmp_path, middleware)[0].get("probe/fetched", 0) for middleware in ("stock", "strict")}
    print(f"\nfetched of {len(PRIVATE) + 4} disallowed and {len(PUBLIC)} allowed requests at once: {fetched}")
    import scrapy

    if scrapy.__version__ == "2.19.0":
        assert fetched["stock"] > len(PUBLIC), "the Scrapy bug is gone: StrictRobotsTxtMiddleware may be retired"
    assert fetched["strict"] == len(PUBLIC)


@pytest.mark.parametrize(
    ("case", "server_args", "probe_settings", "reason"),
    [
        ("offsite redirect", ["--robots-redirect", "http://localhost:{{PORT}}/robots.txt"], [], "refused"),
        ("redirect to an address the guard refuses", ["--robots-redirect", "http://127.0.0.2:{{PORT}}/robots.txt"],
         ["PROBE_ALLOWED_DOMAINS=127.0.0.1,127.0.0.2", "ALLOW_PRIVATE_ADDRESSES=127.0.0.1/32"], "refused"),
        ("connection dropped", ["--robots-drop"], [], "unreachable"),
        ("server error", ["--robots-status", "503"], [], "status_503"),
    ],
)
def test_unreadable_robots_txt_disallows_the_whole_site(site_with, tmp_path, case, server_args, probe_settings, reason):
    broken = site_with(*server_args)
    stats, log = probe(broken, tmp_path, "strict", "PROBE_ALLOWED_DOMAINS=127.0.0.1", *probe_settings)
    assert stats.get("probe/fetched", 0) == 0, f"{case}: pages were fetched without rules"
    assert not [r for r in broken.requests() if r["path"] != "/robots.txt"], case
    assert stats.get("robotstxt/disallow_all") == 1 and stats.get(f"robotstxt/disallow_all/{reason}") == 1, stats
    assert len(re.findall(r"robots\.txt of 127\.0\.0\.1:\d+ could not be read", log)) == 1, "logged once per host"


def test_on_site_redirect_is_followed_and_missing_file_allows_all(site_with, tmp_path):
    moved = site_with("--robots-redirect", "/robots-moved.txt")
    stats, _ = probe(moved, tmp_path, "strict", "PROBE_ALLOWED_DOMAINS=127.0.0.1")
    assert stats.get("probe/fetched") == len(PUBLIC) and not stats.get("robotstxt/disallow_all")
    assert {r["path"] for r in moved.requests()} >= {"/robots.txt", "/robots-moved.txt"}
    missing = site_with("--robots-status", "404")
    stats, _ = probe(missing, tmp_path, "strict", "PROBE_ALLOWED_DOMAINS=127.0.0.1")
    assert stats.get("probe/fetched") == len(PRIVATE) + len(PUBLIC) + 4  # RFC 9309: no file, no rules
