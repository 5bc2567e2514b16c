"""Typed failures: `Rejected` (an input that becomes a `rejects` row) and the stat that marks a failed run."""

from __future__ import annotations

# The Scrapy stat holding why a run failed (a string); the project's `crawl` command prints it and exits 1.
# Components set it with `mark_failed`, so the first reason recorded is the one reported.
FAILURE_STAT = "newsdedup/failure"

# Reasons that say nothing about the input: the same input may well succeed in a later run.
TRANSIENT_REASONS = frozenset({"timeout", "worker_crashed", "internal_error", "lake_unavailable"})
# Failures of the pipeline itself, counted against `INGEST_MAX_ERROR_RATE`.
INTERNAL_REASONS = frozenset({"worker_crashed", "internal_error"})


class Rejected(Exception):
    """An input that cannot become an article; `stage` and `reason` end up in the rejects dataset.

    `reason` is a short stable code (``empty``, ``binary``, ``too_large``, ``no_article``, ...)
    that analysts can group by; `detail` is the human-readable explanation. `retryable` marks a
    failure that may not happen again (a crashed worker, a timeout): a later run that lands the same
    input supersedes the row (see docs/reliability.md). It defaults to whether `reason` is transient.
    """

    def __init__(self, stage: str, reason: str, detail: str = "", retryable: bool | None = None) -> None:
        super().__init__(f"{stage}/{reason}: {detail}" if detail else f"{stage}/{reason}")
        self.stage = stage
        self.reason = reason
        self.detail = detail
        self.retryable = reason in TRANSIENT_REASONS if retryable is None else retryable

    def __reduce__(self):
        # Rebuilt from its fields when it crosses a process boundary (worker pool).
        return (type(self), (self.stage, self.reason, self.detail, self.retryable))


def mark_failed(stats, reason: str) -> None:
    """Record why the run failed in `stats` (a Scrapy stats collector), keeping the first reason given."""
    if not stats.get_value(FAILURE_STAT):
        stats.set_value(FAILURE_STAT, reason)
