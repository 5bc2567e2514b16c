"""User mistakes at start (#12 items 8, 9, 14): each is one line saying what is wrong, a non-zero exit, no traceback.

Before the fix a mistyped LAKE_URI wrote into a folder named `s4:` and exited 0, misspelt `-s` names were
silently ignored, and a missing `-a path` exited after 50-68 lines with two tracebacks ending in
`RuntimeError: Crawler.stats is not set yet`.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.reliability.harness import REPO, SEEDS, TRACEBACK, read

FILES = ("files", "-a", f"path={SEEDS}")
MISTAKES = {
    "unknown LAKE_URI scheme s4://": (FILES, {"LAKE_URI": "s4://news/lake"}, "unsupported scheme 's4'"),
    "upper-case S3://": (FILES, {"LAKE_URI": "S3://news/lake"}, "schemes are lower-case"),
    "s3:/ with one slash": (FILES, {"LAKE_URI": "s3:/news/lake"}, "not a valid s3 URI"),
    "gs:// (not supported)": (FILES, {"LAKE_URI": "gs://news/lake"}, "unsupported scheme 'gs'"),
    "empty LAKE_URI": (FILES, {"LAKE_URI": ""}, "LAKE_URI is empty"),
    "misspelt -s name, strict": (FILES, {"LAKE_UIR": "/tmp/x", "STRICT_SETTINGS": "True"}, "did you mean LAKE_URI?"),
    "number that is not one": (FILES, {"EXTRACT_WORKERS": "two"}, "EXTRACT_WORKERS must be an integer"),
    "threshold out of range": (FILES, {"INGEST_MAX_ERROR_RATE": "5"}, "share between 0 and 1"),
    "redis backend without a URL": (FILES, {"DEDUP_BACKEND": "redis"}, "needs REDIS_URL"),
    "dedup key out of range": (FILES, {"DEDUP_NEAR_THRESHOLD": "2"}, "near_threshold must be in (0, 1]"),
    "missing -a path": (("files", "-a", "path=/nonexistent/dumps"), {}, "path does not exist: /nonexistent/dumps"),
    "misspelt -a argument": (("files", "-a", f"pth={SEEDS}"), {}, "unknown argument(s) pth"),
    "mistyped -a source file": (("news", "-a", "source=configs/sources/no-such-source.yaml"), {}, "no-such-source.yaml"),
    "unknown spider": (("filez",), {}, "no spider named 'filez'"),
    "an input folder with nothing in it": (("files", "-a", "path={empty}"), {}, "nothing to ingest under"),
}


def crawl(arguments: tuple[str, ...], settings: dict, lake) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "scrapy", "crawl", *arguments]
    for name, value in {"LAKE_URI": str(lake), "EXTRACT_WORKERS": "1", **settings}.items():
        command += ["-s", f"{name}={value}"]
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "NEWSDEDUP_LAKE_URI")}
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_every_mistake_is_one_line_and_a_non_zero_exit(tmp_path, fault_record):
    (tmp_path / "empty").mkdir()
    escaped = 0
    wrong = []
    for number, (name, (arguments, settings, expected)) in enumerate(MISTAKES.items()):
        arguments = tuple(argument.format(empty=tmp_path / "empty") for argument in arguments)
        result = crawl(arguments, settings, tmp_path / f"lake{number}")
        last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
        fine = (
            result.returncode != 0
            and last.startswith("newsdedup: ")
            and expected in last
            and TRACEBACK not in result.stderr
            and not read(tmp_path / f"lake{number}", "articles")
        )
        if not fine:
            escaped += 1
            wrong.append(f"{name}: exit {result.returncode}, last line {last!r}")
    assert not wrong, "\n".join(wrong)
    fault_record("configuration and argument mistakes", trials=len(MISTAKES), lost=0, duplicated=0, escaped=escaped,
                 note="each: exit 1 (2 for usage), one line")


def test_misspelt_settings_are_warnings_naming_the_closest_ones(tmp_path):
    result = crawl(FILES, {"DEDUP_BACKED": "redis", "lake_uri": "x", "LOG_LEVEL": "WARNING"}, tmp_path / "lake")
    assert result.returncode == 0, result.stderr[-3000:]
    for name, suggestion in (("DEDUP_BACKED", "DEDUP_BACKEND"), ("lake_uri", "LAKE_URI")):
        assert f"newsdedup: warning: unknown setting {name} (did you mean {suggestion}?)" in result.stderr
