"""Run `scrapy crawl` in this process after arranging for it to die (or wait) at a named point of its run.

    python -m tests.lake.kill_at POINT crawl files -a path=... -s LAKE_URI=...

The process SIGKILLs its process group (its own: it makes one at start), workers included, as a power cut
or the OOM killer would: no handler, no finalizer runs. POINT is one of

    land:N    when the N-th article is spooled: mid-crawl, nothing decided yet
    upload    in its close, before its first data file goes into the lake (final files and state.json written)
    commit    in its close, after its files are in the lake, before the dedup commit
    manifest  in its close, after the dedup commit, before the manifest
    cleanup   in its close, after the manifest, before the spool folder is removed
    rename    in its close, between writing a data file's temporary copy in a local lake and renaming it
    pause:P   at point P, instead of dying, create the file $LAKE_PAUSE_FILE.reached and wait until
              $LAKE_PAUSE_FILE exists (a test then does something while the run holds the lake)

Points are seams between stages (the run's close, the store's copy, the dedup commit, the manifest
write), wrapped from outside: the same test runs against the code before a fix. Points in the close
fire only once the run's own close began, never while it recovers an earlier run at start.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import time
from pathlib import Path

from pipeline.dedup.links import Deduplicator
from pipeline.lake import writer as lake_writer
from pipeline.lake.s3 import S3Store
from pipeline.lake.store import LocalStore

DATASETS = ("articles/", "links/", "rejects/")


class Trigger:
    def __init__(self, spec: str) -> None:
        self.pause = spec.startswith("pause:")
        self.point = spec.removeprefix("pause:")
        self.closing = False
        self.landed = 0

    def fire(self, point: str) -> None:
        if point != self.point:
            return
        if not self.pause:
            os.killpg(os.getpgid(0), signal.SIGKILL)
        flag = Path(os.environ["LAKE_PAUSE_FILE"])
        Path(f"{flag}.reached").touch()
        while not flag.exists():
            time.sleep(0.05)


def wrap(owner, name: str, before=None, after=None) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        if before is not None:
            before(*args, **kwargs)
        result = original(*args, **kwargs)
        if after is not None:
            after(*args, **kwargs)
        return result

    setattr(owner, name, wrapper)


def install(trigger: Trigger) -> None:
    lake = os.path.realpath(next(a.split("=", 1)[1] for a in sys.argv if a.startswith("LAKE_URI=")))

    def started_close(*_, **__) -> None:
        trigger.closing = True

    def landed(*_, **__) -> None:
        trigger.landed += 1
        trigger.fire(f"land:{trigger.landed}")

    def in_close(point: str):
        return lambda *_, **__: trigger.fire(point) if trigger.closing else None

    def uploading(_store, _path, key, **__) -> None:
        if trigger.closing and key.startswith(DATASETS):
            trigger.fire("upload")

    replace = os.replace

    def renaming(src, dst, *args, **kwargs):
        if trigger.closing and str(dst).endswith(".parquet") and os.path.realpath(dst).startswith(lake + os.sep):
            trigger.fire("rename")
        return replace(src, dst, *args, **kwargs)

    wrap(lake_writer.LakeWriter, "close", before=started_close)
    wrap(lake_writer.LakeWriter, "add_article", before=landed)
    for store in (LocalStore, S3Store):
        wrap(store, "put_file", before=uploading)
    wrap(Deduplicator, "commit", before=in_close("commit"), after=in_close("manifest"))
    wrap(lake_writer, "write_manifest", after=in_close("cleanup"))
    os.replace = renaming


def main() -> None:
    if os.getpgid(0) != os.getpid():
        os.setpgid(0, 0)  # a group of its own, so the kill takes its workers and nothing else
    spec = sys.argv[1]
    sys.argv = ["scrapy", *sys.argv[2:]]
    install(Trigger(spec))
    from scrapy.cmdline import execute

    execute()


if __name__ == "__main__":
    main()
