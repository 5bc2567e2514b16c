"""Typed failures that become `rejects` rows: every stage raises `Rejected` with a reason code."""

from __future__ import annotations


class Rejected(Exception):
    """An input that cannot become an article; `stage` and `reason` end up in the rejects dataset.

    `reason` is a short stable code (``empty``, ``binary``, ``too_large``, ``no_article``, ...)
    that analysts can group by; `detail` is the human-readable explanation.
    """

    def __init__(self, stage: str, reason: str, detail: str = "") -> None:
        super().__init__(f"{stage}/{reason}: {detail}" if detail else f"{stage}/{reason}")
        self.stage = stage
        self.reason = reason
        self.detail = detail

    def __reduce__(self):
        # Rebuilt from its fields when it crosses a process boundary (worker pool).
        return (type(self), (self.stage, self.reason, self.detail))
