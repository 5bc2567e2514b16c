"""The file source's readers, without Scrapy: an input root in, `Article`s and `RejectRecord`s out.

Three kinds of input, in a local folder (walked recursively) or in S3 (one object or a prefix):
page files and text dumps (`.html`, `.htm`, `.txt`), web archives (`.warc`, `.warc.gz`: CC-NEWS and
any WARC writer) and article exports (`.jsonl`, `.ndjson`); each optionally gzipped. Every path found
ends as an input or a reject (`listing`); every input as articles and rejects, its other contents
counted in stats.

    options = SourceOptions(max_bytes=10 << 20, config=configured_sources())  # pipeline.options
    for item in items_for("dumps/", options, count=lambda key, n: None):
        ...

`items_of(input, ...)` reads one input: the unit to hand to a process in a backfill of many shards.
Items are produced lazily, in input order (or interleaved, `parallel_inputs` at once); the consumer
sets the pace, so memory does not grow with the size of an input.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.items import Article, RejectRecord
from pipeline.sources.config import SourceOptions, SourcesConfig, sources_config
from pipeline.sources.documents import document_item, text_dumps
from pipeline.sources.inputs import Input, Listing, input_kind
from pipeline.sources.jsonl import JsonlItems
from pipeline.sources.listing import list_local
from pipeline.sources.s3 import InputNotFound, list_s3
from pipeline.sources.streams import interleaved, iterate_in_thread
from pipeline.sources.warc import WarcItems

logger = logging.getLogger(__name__)

__all__ = [
    "Input",
    "InputNotFound",
    "Listing",
    "SourceOptions",
    "SourcesConfig",
    "input_kind",
    "items_for",
    "items_of",
    "iterate_in_thread",
    "list_inputs",
    "sources_config",
    "resolve_root",
]

Count = Callable[[str, int], None]
Observe = Callable[[str, str], None]  # (source, text dump): the template learner


def resolve_root(path: str | Path) -> str | Path:
    """An ``s3://`` URI as given, a local path made absolute; `InputNotFound` for a local path that is not there."""
    if str(path).startswith("s3://"):
        return str(path)
    root = Path(path).expanduser().resolve()
    if not root.exists():
        raise InputNotFound(f"files spider: path does not exist: {root}")
    return root


def list_inputs(root: str | Path, options: SourceOptions) -> Listing:
    """Every path under `root` as an input or a reject (see `pipeline.sources.listing`)."""
    if isinstance(root, str):
        return list_s3(root, options.s3_config)
    return list_local(root, options.follow_symlinks)


def items_of(source: Input, options: SourceOptions, count: Count) -> Iterator[Article | RejectRecord]:
    """The articles and rejects of one input. A failure that stops the reading is a reject of the input."""
    if source.kind in ("html", "text"):
        yield document_item(source, options.max_bytes)
        return
    reader = WarcItems if source.kind == "warc" else JsonlItems
    read = 0
    try:
        for item in reader(source, options, count):
            read += 1
            yield item
    except Exception as exc:  # noqa: BLE001 - a file that cannot be opened, S3 gone, a library's error: the run goes on
        if not isinstance(exc, OSError):
            logger.exception("reading %s stopped after %d item(s)", source.uri, read)
        reason = "permission_denied" if isinstance(exc, PermissionError) else "unreadable"
        detail = f"reading stopped after {read} item(s): {type(exc).__name__}: {exc}; a rerun reads it again"
        yield RejectRecord(source.uri, "read", reason, detail)


def _locked(count: Count) -> Count:
    """`count` callable from the reader threads (a stats collector's increment is not atomic)."""
    lock = threading.Lock()

    def locked(key: str, n: int = 1) -> None:
        with lock:
            count(key, n)

    return locked


def items_for(
    root: str | Path, options: SourceOptions, count: Count, observe_text: Observe | None = None
) -> Iterator[Article | RejectRecord]:
    """Every article and reject under `root`: first the paths that cannot be read, then each input's items.

    `observe_text(source, dump)` sees every local text dump before the first item is produced (the
    run's site templates must know them before extraction starts).
    """
    count = _locked(count)
    listing = list_inputs(root, options)
    count("files/total", len(listing.inputs) + len(listing.rejects))
    for source in listing.inputs:
        count(f"files/inputs/{source.kind}", 1)
    for what, n in listing.skipped.items():
        count(f"files/skipped/{what}", n)
    logger.info(
        "files: %d input(s) and %d path(s) that cannot be read under %s", len(listing.inputs), len(listing.rejects), root
    )
    if observe_text is not None:
        for dump in text_dumps(listing.inputs, options.max_bytes):
            observe_text("file", dump)
    yield from listing.rejects
    # A local page file is only named here (the worker reads it); everything else is read here, maybe in parallel.
    named, read_here = [], []
    for source in listing.inputs:
        (named if source.path is not None and source.kind in ("html", "text") else read_here).append(source)
    for source in named:
        yield from items_of(source, options, count)
    if options.parallel_inputs == 1 or len(read_here) <= 1:
        for source in read_here:
            yield from items_of(source, options, count)
    else:
        readers = (items_of(source, options, count) for source in read_here)
        yield from interleaved(readers, min(options.parallel_inputs, len(read_here)))
