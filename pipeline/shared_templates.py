"""Site templates shared by every run of a lake: `_state/templates.json`, merged rather than overwritten.

Runs on several hosts start from the same stored templates and each learns from its own pages. Writing
the learned state back whole would keep only the last run's pages. So each run logs what it observes
(`<spool>/<run_id>/templates.jsonl.gz`, as it goes: memory stays flat), and stores with a conditional write
(`If-Match` on the version it read): when another run wrote in between, the stored state is read again and
this run's observations are replayed onto it (observing a page twice counts it once). The log stays in the
spool until the run is published, so a killed run's templates are merged by the run that recovers it.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from pathlib import Path

from pipeline.extract import SiteTemplates
from pipeline.lake.store import LakeUnavailable, Store

logger = logging.getLogger(__name__)

TEMPLATES_KEY = "_state/templates.json"
LOG_NAME = "templates.jsonl.gz"
ATTEMPTS = 10  # each conflict means another run stored meanwhile; a few runs closing together settle quickly


class LoggedTemplates(SiteTemplates):
    """The run's templates: as stored when the run opened, plus every page it observes, each one logged."""

    log: Path | None = None
    read_tag: str | None = None  # the stored version these templates started from (None: nothing stored)

    def observe(self, source: str, dump: str) -> None:
        super().observe(source, dump)
        if self.log is not None:
            # one gzip member per page: a process killed mid-write loses that page only
            with gzip.open(self.log, "at", encoding="utf-8", compresslevel=1) as out:
                out.write(json.dumps([source, dump], ensure_ascii=False) + "\n")


def load_templates(store: Store, log: Path) -> LoggedTemplates:
    """The lake's templates as stored now, logging what the run observes into `log`."""
    current = store.read_versioned(TEMPLATES_KEY)
    templates = LoggedTemplates.from_json(current.data.decode("utf-8")) if current else LoggedTemplates()
    templates.log, templates.read_tag = log, current.tag if current else None
    return templates


def observations(log: Path) -> Iterator[tuple[str, str]]:
    """(source, dump) of every page logged in `log`, up to a line a killed process left unfinished."""
    if not log.exists():
        return
    try:
        with gzip.open(log, "rt", encoding="utf-8") as lines:
            for line in lines:
                source, dump = json.loads(line)
                yield source, dump
    except (EOFError, gzip.BadGzipFile, ValueError):
        logger.warning("%s ends with an unfinished page (its process was killed); the pages before it count", log)


def store_templates(store: Store, log: Path, learned: LoggedTemplates | None = None) -> bool:
    """Merge the pages logged in `log` into the stored templates; True when they were replayed onto templates
    another run stored. `learned`: the run's own templates, stored as they are when nobody wrote since they
    were read (a recovered run has none: its log is always replayed)."""
    if not log.exists():
        return False  # the run observed no page: nothing to store
    for _ in range(ATTEMPTS):
        current = store.read_versioned(TEMPLATES_KEY)
        tag = current.tag if current else None
        replay = learned is None or tag != learned.read_tag
        if replay:
            merged = SiteTemplates.from_json(current.data.decode("utf-8")) if current else SiteTemplates()
            for source, dump in observations(log):
                merged.observe(source, dump)
        if store.write_if(TEMPLATES_KEY, (merged if replay else learned).to_json().encode("utf-8"), tag=tag):
            return replay
        logger.info("site templates: another run stored its own meanwhile; merging this run's pages into them")
    raise LakeUnavailable(f"{TEMPLATES_KEY} kept changing under this run ({ATTEMPTS} attempts to merge into it)")
