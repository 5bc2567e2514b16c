"""`WriterLease`: one writer at a time on a lake whose dedup index lives in the lake (`DEDUP_BACKEND=lake`).

Two such writers would both load index state N and both write segment N+1: one run's documents would
vanish from the index and land again later. The lease is one object, ``_state/writer-lease.json``,
naming its holder (run, host, pid, since when). It is created with a conditional write (S3
``If-None-Match: *``; locally an flock'd read-compare-write), renewed by a heartbeat thread every quarter
of its lifetime with ``If-Match`` on the tag last written, and deleted at close. Every conditional write
is read back, so a store that ignores the condition headers, or an answer lost on the way, cannot make
two holders.

A lease is free when it is missing, when it was not renewed for its lifetime (ages come from the store's
clock: hosts whose clocks disagree still agree), or at once when its holder ran on this kernel and has
certainly exited (killed with SIGKILL, say). Before committing, the holder confirms it still holds the
lease; a writer that lost it (cut off from the store longer than the lifetime) fails its run with the
spool kept, and the next run recovers it.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import weakref
from datetime import UTC, datetime

from pipeline.lake.owner import ProcessId, this_process
from pipeline.lake.store import LakeUnavailable, Store, Versioned

logger = logging.getLogger(__name__)

LEASE_KEY = "_state/writer-lease.json"


class LakeBusy(LakeUnavailable):
    """Another live writer holds the lake's writer lease; the message names it."""


def _holder_text(holder: dict, age: float) -> str:
    proc = holder.get("process", {})
    return (
        f"run {holder.get('run_id', '?')} (pid {proc.get('pid', '?')} on {proc.get('host', '?')}) "
        f"since {holder.get('acquired_at', '?')}, last renewed {age:.0f} s ago"
    )


def _holder(current: Versioned | None) -> dict:
    """The lease's content; an unreadable one is free once a default lifetime old."""
    if current is None:
        return {}
    try:
        holder = json.loads(current.data)
    except ValueError:
        return {}
    return holder if isinstance(holder, dict) else {}


def _free_reason(holder: dict, age: float, default_ttl: float) -> str | None:
    """Why a lease held by `holder` (last written `age` seconds ago) may be taken, or None if it may not."""
    ttl = float(holder.get("ttl_seconds") or default_ttl)
    if age > ttl:
        return f"not renewed for {age:.0f} s (its lifetime is {ttl:.0f} s)"
    if ProcessId.from_dict(holder.get("process", {})).is_dead():
        return "its process has exited"
    return None


class WriterLease:
    """The lease of one run; `acquire` it, `confirm` before committing, `release` when done (idempotent)."""

    key = LEASE_KEY

    def __init__(self, store: Store, run_id: str, ttl_seconds: float) -> None:
        self.store = store
        self.run_id = run_id
        self.ttl = ttl_seconds
        self.token = secrets.token_hex(8)
        self.acquired_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.tag: str | None = None
        self.lost: str | None = None  # why the lease was lost, once it is
        self._renewals = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # key, tag and heartbeat thread, shared with the finalizer (which must not hold self)
        self._state: dict = {"key": self.key}
        # released however the process ends short of SIGKILL (interpreter exit runs finalizers)
        self._finalizer = weakref.finalize(self, WriterLease._release_quietly, store, self._stop, self._state)

    def _body(self) -> bytes:
        holder = {
            "run_id": self.run_id,
            "token": self.token,
            "process": this_process().as_dict(),
            "acquired_at": self.acquired_at,
            "ttl_seconds": self.ttl,
            "renewals": self._renewals,
        }
        return json.dumps(holder, indent=1, sort_keys=True).encode("utf-8")

    # ---- acquire ----------------------------------------------------------------------------
    def acquire(self) -> WriterLease:
        """Take the lease or raise `LakeBusy` naming its holder; starts the heartbeat."""
        for _ in range(3):  # a lost race is retried: the winner then shows up as the holder
            current = self.store.read_versioned(self.key)
            if current is None:
                tag = self.store.write_if(self.key, self._body(), tag=None)
            else:
                holder = _holder(current)
                reason = _free_reason(holder, current.age, self.ttl)
                if reason is None:
                    raise LakeBusy(self._busy_message(holder, current.age))
                logger.warning(
                    "taking over the %s of %s from %s: %s",
                    self.key,
                    self.store.uri,
                    _holder_text(holder, current.age),
                    reason,
                )
                tag = self.store.write_if(self.key, self._body(), tag=current.tag)
            if tag is not None:
                self._hold(tag)
                return self
        current = self.store.read_versioned(self.key)
        raise LakeBusy(self._busy_message(_holder(current), current.age if current else 0.0))

    def _busy_message(self, holder: dict, age: float) -> str:
        ttl = float(holder.get("ttl_seconds") or self.ttl)
        return (
            f"the lake {self.store.uri} is being written by {_holder_text(holder, age)}. With DEDUP_BACKEND=lake "
            f"one run writes a lake at a time (two would overwrite each other's index segments): wait for it to "
            f"finish (a lease its holder stopped renewing expires {ttl:.0f} s after "
            "its last renewal), or use DEDUP_BACKEND=redis for concurrent writers"
        )

    def _hold(self, tag: str) -> None:
        self.tag = tag
        self._state["tag"] = tag
        logger.info("writer lease of %s taken by run %s", self.store.uri, self.run_id)
        heartbeat = threading.Thread(target=self._beat, name="lake-lease-heartbeat", daemon=True)
        self._state["heartbeat"] = heartbeat
        heartbeat.start()

    # ---- keep --------------------------------------------------------------------------------
    def _renew(self) -> None:
        """Rewrite the lease if it is still ours (caller holds `_lock`); records `lost` otherwise."""
        if self.lost is not None or self.tag is None:
            return
        self._renewals += 1
        tag = self.store.write_if(self.key, self._body(), tag=self.tag)
        if tag is None:
            current = self.store.read_versioned(self.key)
            held = _holder_text(_holder(current), current.age) if current else None
            self.lost = f"now held by {held}" if held else "the lease object was deleted"
            logger.error("the writer lease of %s was lost: %s", self.store.uri, self.lost)
            return
        self.tag = tag
        self._state["tag"] = tag

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 4):
            with self._lock:
                try:
                    self._renew()
                except LakeUnavailable as exc:
                    logger.warning("could not renew the writer lease of %s (trying again): %s", self.store.uri, exc)
            if self.lost is not None:
                return

    def confirm(self) -> None:
        """Renew now, before committing; raises `LakeUnavailable` when the lease is no longer ours."""
        with self._lock:
            self._renew()
        if self.lost is not None:
            raise LakeUnavailable(
                f"this run lost the writer lease of {self.store.uri} ({self.lost}), so it must not commit the dedup index"
            )

    # ---- release -----------------------------------------------------------------------------
    def release(self) -> None:
        self._finalizer()

    @staticmethod
    def _release_quietly(store: Store, stop: threading.Event, state: dict) -> None:
        stop.set()
        heartbeat = state.pop("heartbeat", None)
        if heartbeat is not None and heartbeat is not threading.current_thread():
            heartbeat.join(30)  # a renewal in flight finishes first, so the tag below is the last one written
        tag = state.pop("tag", None)
        if tag is None:
            return
        try:
            if store.delete_if(state["key"], tag):
                logger.info("writer lease of %s released", store.uri)
        except LakeUnavailable as exc:
            logger.warning("could not release the writer lease of %s (it expires on its own): %s", store.uri, exc)


class CompactionLease(WriterLease):
    """One compaction at a time on a lake: two would both rewrite the same files, and readers count both."""

    key = "_state/compaction-lease.json"

    def _busy_message(self, holder: dict, age: float) -> str:
        ttl = float(holder.get("ttl_seconds") or self.ttl)
        return (
            f"the lake {self.store.uri} is being compacted by {_holder_text(holder, age)}; one compaction runs at a "
            f"time: try again once it finished (a lease its holder stopped renewing expires {ttl:.0f} s after its "
            "last renewal)"
        )
