"""Features of every line (block) of a text dump for the learned block classifier.

A line's own statistics (length, stopword density, punctuation, digits, list marker), vocabulary cues
(read-also links, consent/newsletter notices, comment threads, share buttons) in the languages we meet,
its neighbours' statistics, its position on the page and in the page's text mass, and its repetition
(inside the dump and across the site's other pages via site templates). `FEATURE_NAMES` is stored with
the model: a model trained on other features is refused at load time.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from pipeline.extract.blocks import Block

logger = logging.getLogger(__name__)

_OWN = ("log_chars", "words", "stop_density", "punct_per_word", "ends_sentence", "full_stop", "digit_ratio",
        "bullet", "link_cue", "notice", "comment", "share", "repeated", "template", "upper_ratio",
        "mean_word_chars", "separators", "year", "first_upper_or_digit")
_NEIGHBOURS = (-2, -1, 1, 2)
_NEIGHBOUR_OWN = ("log_chars", "stop_density", "ends_sentence", "link_cue", "notice")
FEATURE_NAMES = (
    _OWN
    + tuple(f"{name}@{offset:+d}" for offset in _NEIGHBOURS for name in _NEIGHBOUR_OWN)
    + ("position", "log_index", "log_from_end", "chars_to_max", "mass_before", "mass_after",
       "window_stop_density", "window_log_chars", "window_text_lines", "text_distance", "log_lines",
       "page_stop_density", "notice_window", "comment_window", "headline_offset", "in_first_line",
       "window_text_lines_wide", "window_stop_density_wide")
)
_TEXT_LINE_CHARS = 80  # a line this long ending like a sentence counts as running text for the context features


def _own_columns(blocks: list[Block], template_keys: frozenset[str]) -> np.ndarray:
    """The `_OWN` columns, one row per block."""
    n = len(blocks)

    def column(values) -> np.ndarray:
        return np.fromiter(values, dtype=np.float64, count=n)

    chars = column(b.chars for b in blocks)
    words = column(len(b.tokens) for b in blocks)
    return np.column_stack([
        np.log1p(chars),
        np.minimum(words, 200),
        column(b.stop_density for b in blocks),
        column(b.punct for b in blocks) / np.maximum(words, 1),
        column(b.ends_sentence for b in blocks),
        column(b.full_stop for b in blocks),
        column(b.digit_ratio for b in blocks),
        column(b.bullet for b in blocks),
        column(b.link_cue for b in blocks),
        column(b.notice for b in blocks),
        column(b.comment for b in blocks),
        column(b.share for b in blocks),
        np.minimum(column(b.repeated for b in blocks), 5),
        column(b.key in template_keys for b in blocks),
        column(b.upper_ratio for b in blocks),
        chars / np.maximum(words, 1),
        column(b.separators for b in blocks),
        column(b.year for b in blocks),
        column(b.capital_first for b in blocks),
    ])


def _window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean of `values` over the window of +-`radius` lines around each line (clipped at the page edges)."""
    padded = np.concatenate([[0.0], np.cumsum(values)])
    n = len(values)
    lo = np.clip(np.arange(n) - radius, 0, n)
    hi = np.clip(np.arange(n) + radius + 1, 0, n)
    return (padded[hi] - padded[lo]) / np.maximum(hi - lo, 1)


def block_features(blocks: list[Block], template_keys: frozenset[str] = frozenset()) -> np.ndarray:
    """The feature matrix (one row per block, columns as `FEATURE_NAMES`), float64."""
    n = len(blocks)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)))
    own = _own_columns(blocks, template_keys)
    columns = {name: own[:, i] for i, name in enumerate(_OWN)}
    parts = [own]
    for offset in _NEIGHBOURS:
        shifted = np.zeros((n, len(_NEIGHBOUR_OWN)))
        src = np.arange(n) + offset
        valid = (src >= 0) & (src < n)
        for j, name in enumerate(_NEIGHBOUR_OWN):
            shifted[valid, j] = columns[name][src[valid]]
            if name == "log_chars":
                shifted[~valid, j] = -1.0  # beyond the page edge
        parts.append(shifted)
    chars = np.array([b.chars for b in blocks], dtype=np.float64)
    text_line = ((chars >= _TEXT_LINE_CHARS) & (columns["ends_sentence"] > 0)).astype(np.float64)
    mass = np.cumsum(chars)
    total = mass[-1]
    index = np.arange(n, dtype=np.float64)
    text_positions = np.flatnonzero(text_line)
    if len(text_positions):
        nearest = np.abs(index[:, None] - text_positions[None, :]).min(axis=1)
    else:
        nearest = np.full(n, 50.0)
    context = np.column_stack([
        index / max(n - 1, 1),
        np.log1p(index),
        np.log1p(n - 1 - index),
        chars / chars.max(),
        (mass - chars) / total,
        (total - mass) / total,
        _window_mean(columns["stop_density"], 3),
        _window_mean(columns["log_chars"], 3),
        _window_mean(text_line, 5),
        np.minimum(nearest, 50.0),
        np.full(n, math.log1p(n)),
        np.full(n, float(np.average(columns["stop_density"], weights=chars))),
        _window_mean(np.minimum(columns["notice"], 1.0), 2),
        _window_mean(np.minimum(columns["comment"], 1.0), 2),
        _headline_offset(blocks),
        _in_first_line(blocks),
        _window_mean(text_line, 12),
        _window_mean(columns["stop_density"], 10),
    ])
    return np.hstack(parts + [context])


def _in_first_line(blocks: list[Block]) -> np.ndarray:
    """1 for lines (of 12+ characters) that the first line contains: html-text prints the page <title>
    first, and the headline is that title minus the site name."""
    first = blocks[0].key
    return np.array([float(i > 0 and len(b.key) >= 12 and b.key in first) for i, b in enumerate(blocks)])


def _headline_offset(blocks: list[Block]) -> np.ndarray:
    """Lines from the first line after the top that repeats part of the <title> line (the headline), clipped
    to [-30, 30]; 31 when there is none. The article usually starts just below its headline."""
    inside = _in_first_line(blocks)
    anchors = np.flatnonzero(inside)
    if not len(anchors):
        return np.full(len(blocks), 31.0)
    return np.clip(np.arange(len(blocks)) - anchors[0], -30, 30).astype(np.float64)

