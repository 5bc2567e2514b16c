"""Per-document signatures: content hash, near-duplicate MinHash, same-story shingle set and publish day.

`compute_signature` is pure and its result is small and picklable, so it runs in worker processes;
the MinHash uses datasketch's `affine32` permutations, so a signature converts to `datasketch.LeanMinHash`.
The title is shingled with the body (a copy whose extractor took the lead for the title, or kept it in the
body, has the same shingles), but the content hash is the body's alone: identity does not change with it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from pipeline.dedup.config import DedupConfig
from pipeline.dedup.shingles import shingle
from pipeline.text.language import detect_language
from pipeline.text.tokens import Tokens
from pipeline.errors import Rejected
from pipeline.text.normalize import normalize_for_matching

logger = logging.getLogger(__name__)

SCHEME = "affine32"
NO_DAY = -1  # publish day unknown
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Soft hyphen, zero-width space, word joiner, BOM: some outlets' CMSs put them inside words (hyphenation hints),
# where they would split one word into two tokens and leave the copy with different shingles. NFKC keeps them.
_INVISIBLE_CHARS = "\u00ad\u200b\u2060\ufeff"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")


def _has_invisible(text: str) -> bool:
    # one memchr-speed find per character (instant when the string's width cannot hold it), not a regex scan
    return not text.isascii() and any(char in text for char in _INVISIBLE_CHARS)


def _collapse(normalized: str) -> str:
    return " ".join(normalized.split())


def content_hash(text: str) -> str:
    """sha1 hex of the matching-normalized body with whitespace collapsed: equal hashes are `exact` duplicates."""
    return hashlib.sha1(_collapse(normalize_for_matching(text)).encode("utf-8")).hexdigest()


def make_doc_id(url: str, content_hash: str) -> str:
    """First 20 hex chars of sha1(url + newline + content_hash): one version of one URL's content."""
    return hashlib.sha1(f"{url}\n{content_hash}".encode("utf-8")).hexdigest()[:20]


@functools.lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a, b) for `num_perm` and `seed`.

    Drawn the way `datasketch.MinHash._init_permutations` draws them (odd `a`, any `b`, from one
    `RandomState(seed)`) rather than by building a MinHash: importing datasketch loads its async storage
    backends, ~0.4 s of every worker's start. `tests/dedup/test_signatures.py` checks the two agree.
    """
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def minhash(values: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """MinHash hashvalues of uint32 shingle hashes, equal to datasketch `MinHash(scheme="affine32").update_batch`."""
    from pipeline.dedup.kernels import minhash_affine32

    a, b = permutations(num_perm, seed)
    out = np.full(num_perm, np.uint32(0xFFFFFFFF), dtype=np.uint32)
    if len(values):
        # one compiled pass (~5 us for 900 shingles; the numpy outer product took ~75 us)
        minhash_affine32(np.ascontiguousarray(values, dtype=np.uint32), a, b, out)
    return out


@dataclass(frozen=True)
class DocSignature:
    """What dedup needs to know about one body; arrays are kept as bytes so the record is hashable and compact."""

    content_hash: str
    near: bytes  # MinHash hashvalues, uint32 x num_perm
    story: bytes  # sorted distinct uint32 stemmed-shingle hashes (background-common shingles dropped)
    n_tokens: int
    language: str | None
    seed: int
    published_day: int = NO_DAY  # days since 1970-01-01 (UTC) of the publish date, NO_DAY when unknown
    near_size: int = 0  # distinct near-duplicate shingles: with the MinHash Jaccard, it estimates containment

    @property
    def near_values(self) -> np.ndarray:
        return np.frombuffer(self.near, dtype=np.uint32)

    @property
    def story_values(self) -> np.ndarray:
        return np.frombuffer(self.story, dtype=np.uint32)

    def to_lean_minhash(self):
        """The near-duplicate MinHash as a `datasketch.LeanMinHash` (same seed and scheme as `permutations`)."""
        from datasketch import LeanMinHash

        return LeanMinHash(seed=self.seed, hashvalues=self.near_values, scheme=SCHEME)


def publish_day(published_at: datetime | None) -> int:
    """Days since 1970-01-01 of a publish time (naive times are taken as UTC); NO_DAY for None."""
    if published_at is None:
        return NO_DAY
    if published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=UTC)
    return (published_at - _EPOCH).days


def compute_signature(
    text: str, language: str | None, config: DedupConfig, *, title: str | None = None, published_at: datetime | None = None
) -> DocSignature:
    """Normalize, shingle and sketch one article (title and body); raises `Rejected("dedup", "no_tokens")` for
    a body without words."""
    from pipeline.dedup.kernels import distinct_count

    title_normalized = normalize_for_matching(title) if title else ""
    body_normalized = normalize_for_matching(text or "")
    invisible = _has_invisible(body_normalized)
    if invisible:
        body_normalized = _INVISIBLE.sub("", body_normalized)
    head = " ".join(_INVISIBLE.sub("", title_normalized).split())
    # title and body scanned in one pass; the body's whitespace-collapsed UTF-8 (the content hash's input) is
    # the tail of the whole's, and whitespace never changes tokens
    normalized = f"{head}\n{body_normalized}"
    tokens = Tokens(normalized, collapse=True)
    collapsed = tokens.collapsed_utf8
    if collapsed is None:  # a lone surrogate: let str.encode raise its usual error
        collapsed = _collapse(normalized).encode("utf-8")
    body = collapsed[len(head.encode("utf-8")) + 1 :] if head else collapsed
    if language is None and body:
        language = detect_language(body.decode("utf-8"), sample_chars=3000)
    body_tokens = len(tokens) - int(np.searchsorted(tokens.starts, len(head), "right"))
    if body_tokens == 0:
        raise Rejected("dedup", "no_tokens", "the body has no word to compare")
    shingled = shingle(normalized, language, config, tokens)
    return DocSignature(
        # identity stays the content hash of the text as stored, invisible characters included
        content_hash=content_hash(text or "") if invisible else hashlib.sha1(body).hexdigest(),
        near=minhash(shingled.near, config.num_perm, config.seed).tobytes(),
        story=shingled.story.tobytes(),
        n_tokens=body_tokens,
        language=language,
        seed=config.seed,
        published_day=publish_day(published_at),
        near_size=distinct_count(shingled.near),
    )


def sketch_jaccard(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Bottom-k estimate of Jaccard(A, B) from sorted bottom-k sketches; exact when both sets have <= k elements."""
    union = np.union1d(a, b)
    if len(union) == 0:
        return 0.0
    union = union[:k]
    cutoff = union[-1]
    # only elements below both sketches' coverage can be judged; for full sets this is the whole union
    both = np.intersect1d(a[a <= cutoff], b[b <= cutoff], assume_unique=True)
    return len(both) / len(union)
