"""Vocabulary cues of text-dump lines in the languages we meet: consent and newsletter notices, comment
threads, share buttons and "read also / related" openers.

Notices, labels and buttons say what they are up front, so only a line's opening (`VOCABULARY_CHARS` of
its matching key: normalized, casefolded, Arabic letter variants unified; about 60 words) is searched, and
the openings of all lines of a page are searched in one regex scan.
"""

from __future__ import annotations

import logging
import re

import numpy as np

logger = logging.getLogger(__name__)

CUE_CHARS = 150  # the opening whose typography (capitals, separators, a year) describes a line
VOCABULARY_CHARS = 400  # a newsletter pitch may name subscribers only in its second sentence

_NOTICE_STEMS = (
    "cookie", "consent", "privacy", "gdpr", "datenschutz", "einwillig", "zustimm", "akzeptier", "accept",
    "newsletter", "subscri", "unsubscri", "abonn", "anmeld", "login", "registrier", "inscri", "suscri", "iscriv",
    "privacidad", "confidentialit", "privacidade", "rgpd", "dsgvo", "disclaimer", "haftungsaus",
    "nutzungsbeding", "impressum", "copyright", "الخصوصيه", "اشترك", "الارتباط", "البريديه",
)
_NOTICE_PHRASES = ("sign up", "sign in", "log in", "terms of use", "terms of service", "all rights reserved",
                   "alle rechte", "©", "جميع الحقوق")
_COMMENT_WORDS = ("reply", "antworten", "responder", "répondre", "rispondi", "comment", "comments", "ago",
                  "response", "responses", "التعليقات", "تعليق")
_COMMENT_STEMS = ("kommentar", "comentario", "commentaire", "commento")
_COMMENT_PHRASES = ("says:", "sagt:", "dice:", "dit:", "leave a ", "schreibe einen", "deja un", "laisser un")
_SHARE_STEMS = ("facebook", "twitter", "whatsapp", "telegram", "pinterest", "linkedin", "instagram", "youtube",
                "share", "teilen", "compartir", "partager", "condividi", "email", "mail", "print", "drucken",
                "imprimir", "شارك", "مشارك")
_LINK_OPENERS = (
    "اقرا ايضا", "اقرا المزيد", "شاهد ايضا", "طالع ايضا", "مواضيع ذات صله", "اخبار ذات صله", "read also",
    "read more", "see also", "related", "recommended", "more from", "more stories", "most read", "most popular",
    "trending", "lire aussi", "à lire aussi", "a lire aussi", "voir aussi", "lesen sie auch", "mehr zum thema",
    "das könnte sie", "auch interessant", "weitere artikel", "leer más", "lea también", "te puede interesar",
    "leia também", "leia mais", "veja também", "читайте также", "leggi anche",
)


def _trie(words: tuple[str, ...]) -> str:
    """An alternation of `words` shaped as a trie (shared prefixes factored out): Python's `re` tries every
    branch of a flat alternation at every position, which made this scan ~7x slower."""
    tree: dict = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        if "" in node:
            branches.append("")
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return emit(tree)


# kind of each vocabulary entry, and whether it must be a whole word (else a word's start is enough)
_VOCABULARY = {
    **{w: ("notice", False) for w in (*_NOTICE_STEMS, *_NOTICE_PHRASES)},
    **{w: ("comment", False) for w in (*_COMMENT_STEMS, *_COMMENT_PHRASES)},
    **{w: ("comment", True) for w in _COMMENT_WORDS},
    **{w: ("share", False) for w in _SHARE_STEMS},
}
# Every entry starts where a word starts; the longest entry at a position wins.
_CUES = re.compile(rf"(?<!\w){_trie(tuple(_VOCABULARY))}")
_COMMENT_AGE = re.compile(r"(?<!\w)(?:vor \d+ (?:minuten|stunden|tagen)|hace \d+|il y a \d+)")
_LINK_CUE = re.compile(rf"^{_trie(_LINK_OPENERS)}", re.M)
_KINDS = ("notice", "comment", "share")


def line_cues(keys: list[str]) -> dict[str, np.ndarray]:
    """Per line (given by its matching key): notice, comment and share words in its opening (counts), and
    whether it opens with a "read also / related / more from" cue."""
    heads = [key[:VOCABULARY_CHARS] for key in keys]
    lengths = np.fromiter(map(len, heads), dtype=np.int64, count=len(heads))
    starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
    text = "\n".join(heads)
    counts = np.zeros((len(_KINDS), len(keys)), dtype=np.int64)
    found = []
    for match in _CUES.finditer(text):
        kind, whole_word = _VOCABULARY[match.group()]
        if not (whole_word and match.end() < len(text) and text[match.end()].isalnum()):
            found.append((match.start(), _KINDS.index(kind)))
    found += [(match.start(), 1) for match in _COMMENT_AGE.finditer(text)]
    if found:
        positions, kinds = zip(*found)
        np.add.at(counts, (np.array(kinds), _lines_of(positions, starts)), 1)
    link_cue = np.zeros(len(keys), dtype=bool)
    openers = [m.start() for m in _LINK_CUE.finditer(text)]
    if openers:
        link_cue[_lines_of(openers, starts)] = True
    return {**dict(zip(_KINDS, counts)), "link_cue": link_cue}


def _lines_of(positions, starts: np.ndarray) -> np.ndarray:
    """The line each position of the joined openings falls in."""
    return np.searchsorted(starts, np.fromiter(positions, dtype=np.int64), side="right") - 1
