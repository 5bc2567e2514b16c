"""Start-up checks of the command line: `-s` names that neither newsdedup nor Scrapy knows.

A misspelt setting (`-s LAKE_UIR=s3://...`, `-s DEDUP_BACKED=redis`) is otherwise silently ignored and
the run goes where the defaults say. Known names: Scrapy's defaults, the project's settings module,
the web spider's defaults, and every name `pipeline.options` reads.
"""

from __future__ import annotations

import difflib
import importlib
import os
from collections.abc import Iterator

from scrapy.settings import SETTINGS_PRIORITIES, default_settings

from pipeline.crawl.settings import WEB_COMPONENTS, WEB_SETTINGS
from pipeline.options import setting_names


def _upper_names(module) -> set[str]:
    return {name for name in dir(module) if name.isupper()}


def known_setting_names() -> set[str]:
    """Every setting name some part of the project or Scrapy reads."""
    names = _upper_names(default_settings) | set(WEB_SETTINGS) | set(WEB_COMPONENTS) | setting_names()
    project = os.environ.get("SCRAPY_SETTINGS_MODULE")
    if project:
        names |= _upper_names(importlib.import_module(project))
    return names


def misspelt_settings(settings) -> Iterator[tuple[str, str | None]]:
    """(name, closest known name or None) for each `-s` setting that nothing reads."""
    known = known_setting_names()
    given = sorted(name for name in settings if settings.getpriority(name) == SETTINGS_PRIORITIES["cmdline"])
    for name in given:
        if name in known:
            continue
        close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.6)
        yield name, close[0] if close else None
