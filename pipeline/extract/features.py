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
import re

import numpy as np

from pipeline.extract.blocks import Block

logger = logging.getLogger(__name__)

# Vocabularies, matched on a line's first `_CUE_TOKENS` normalized tokens (casefolded, Arabic letter
# variants unified) by prefix, and on its first characters for phrases: notices and labels say it up front.
_NOTICE_STEMS = (
    "cookie", "consent", "privacy", "gdpr", "datenschutz", "einwillig", "zustimm", "akzeptier", "accept",
    "newsletter", "subscri", "unsubscri", "abonn", "anmeld", "login", "registrier", "inscri", "suscri", "iscriv",
    "privacidad", "confidentialit", "privacidade", "rgpd", "dsgvo", "disclaimer", "haftungsaus",
    "nutzungsbeding", "impressum", "copyright", "الخصوصيه", "اشترك", "الارتباط", "البريديه",
)
_NOTICE_PHRASES = ("sign up", "sign in", "log in", "terms of use", "terms of service", "all rights reserved",
                   "alle rechte", "©", "جميع الحقوق")
_COMMENT_WORDS = frozenset(("reply", "antworten", "responder", "répondre", "rispondi", "comment", "comments",
                            "ago", "response", "responses", "التعليقات", "تعليق"))
_COMMENT_STEMS = ("kommentar", "comentario", "commentaire", "commento")
_COMMENT_PHRASES = ("says:", "sagt:", "dice:", "dit:", "leave a ", "schreibe einen", "deja un", "laisser un")
_COMMENT_AGE = re.compile(r"\b(?:vor \d+ (?:minuten|stunden|tagen)|hace \d+|il y a \d+)")
_SHARE_STEMS = ("facebook", "twitter", "whatsapp", "telegram", "pinterest", "linkedin", "instagram", "youtube",
                "share", "teilen", "compartir", "partager", "condividi", "email", "mail", "print", "drucken",
                "imprimir", "شارك", "مشارك")
_CUE_PREFIXES = frozenset(w[:3] for w in (*_NOTICE_STEMS, *_COMMENT_WORDS, *_COMMENT_STEMS, *_SHARE_STEMS))
_CUE_TOKENS = 60
_CUE_CHARS = 150
_LINK_CUE = re.compile(
    r"^(?:اقرا ايضا|اقرا المزيد|شاهد ايضا|طالع ايضا|مواضيع ذات صله|اخبار ذات صله|read also|read more|see also|"
    r"related|recommended|more from|more stories|most read|most popular|trending|lire aussi|à lire aussi|"
    r"a lire aussi|voir aussi|lesen sie auch|mehr zum thema|das könnte sie|auch interessant|weitere artikel|"
    r"leer más|lea también|te puede interesar|leia também|leia mais|veja também|читайте также|leggi anche)"
)
_SEPARATORS = re.compile(r"[|»›·•>/]")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_UPPER = re.compile(r"[A-ZÀ-ÞА-Я]")
_LETTERS = re.compile(r"[^\W\d_]")

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


def _vocabulary(block: Block) -> tuple[float, float, float]:
    """How many notice, comment and share words open the line."""
    head = block.key[:_CUE_CHARS]
    words = [t for t in block.tokens[:_CUE_TOKENS] if t[:3] in _CUE_PREFIXES]  # most lines have none
    notice = sum(t.startswith(_NOTICE_STEMS) for t in words) + sum(p in head for p in _NOTICE_PHRASES)
    comment = sum(t in _COMMENT_WORDS or t.startswith(_COMMENT_STEMS) for t in words)
    comment += sum(p in head for p in _COMMENT_PHRASES)
    if "vor " in head or "hace " in head or "il y a " in head:
        comment += len(_COMMENT_AGE.findall(head))
    share = sum(t.startswith(_SHARE_STEMS) for t in words)
    return float(notice), float(comment), float(share)


def line_cues(block: Block) -> dict[str, float]:
    """The vocabulary and typography cues of one line (also used by the headline ranker), computed once."""
    if block.cues is None:
        head = block.text[:_CUE_CHARS]
        notice, comment, share = _vocabulary(block)
        letters = _LETTERS.findall(head)
        block.cues = {
            "link_cue": float(bool(_LINK_CUE.match(block.key))),
            "notice": notice,
            "comment": comment,
            "share": share,
            "upper_ratio": len(_UPPER.findall(head)) / len(letters) if letters else 0.0,
            "separators": float(len(_SEPARATORS.findall(head))),
            "year": float(bool(_YEAR.search(head))),
        }
    return block.cues


def _own(block: Block, template: bool) -> list[float]:
    cues = line_cues(block)
    first = block.text[:1]
    return [
        math.log1p(block.chars),
        float(min(block.words, 200)),
        block.stop_density,
        block.punct / max(block.words, 1),
        float(block.ends_sentence),
        float(block.full_stop),
        block.digit_ratio,
        float(block.bullet),
        cues["link_cue"],
        cues["notice"],
        cues["comment"],
        cues["share"],
        float(min(block.repeated, 5)),
        float(template),
        cues["upper_ratio"],
        block.chars / max(block.words, 1),
        cues["separators"],
        cues["year"],
        float(first.isupper() or first.isdigit()),
    ]


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
    own = np.array([_own(b, b.key in template_keys) for b in blocks], dtype=np.float64)
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

