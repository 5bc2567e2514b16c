"""`DedupConfig`: every parameter of the dedup engine (YAML and settings are merged by `pipeline.options`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pipeline.config import ConfigError

logger = logging.getLogger(__name__)

BACKENDS = ("lake", "redis")


@dataclass(frozen=True)
class DedupConfig:
    """Thresholds, shingle sizes, sketch sizes and the index backend (see docs/dedup.md)."""

    # index backend: "lake" keeps state under `<lake>/<state_prefix>/`; "redis" shares it between processes
    backend: str = "lake"
    redis_url: str | None = None  # setting (or env) REDIS_URL overrides
    redis_prefix: str = "newsdedup:dedup"
    state_prefix: str = "_state/dedup"
    # a doc_id claimed by a process that died is free again after this long; at most 2/3 of the leases on the work
    # (FRONTIER_LEASE_SECONDS, FILES_QUEUE_LEASE_SECONDS), so a page handed to another process is free by then
    claim_ttl_seconds: float = 15.0

    # near-duplicate tier: MinHash (datasketch affine32 scheme) over word shingles of the normalized title and body
    seed: int = 1
    num_perm: int = 128
    near_bands: int = 32  # LSH bands of num_perm / near_bands rows; 32 x 4 finds J=0.8 pairs with p > 0.999
    near_threshold: float = 0.8
    # ... or the smaller document (almost) inside the larger one, measured on the story sketches
    near_containment: float = 0.85
    near_containment_min: int = 30  # sketch values of the smaller document the containment is measured on
    # ... or contained by the MinHash: Jaccard and both shingle counts give the shared count (other sites' pairs)
    near_minhash_containment: float = 0.7
    near_minhash_floor: float = 0.2  # below this Jaccard the estimate is too noisy to scale up by a size ratio
    near_containment_min_agreed: int = 20  # a smaller document, down to this, is contained when both estimates say so
    near_shingle_words: int = 2  # 2-grams: a 3 % word edit keeps J near 0.9 (3-grams: ~0.83)
    near_shingle_chars: int = 5  # CJK/Thai: character n-grams instead of words

    # same-story tier: stemmed word bigrams, common ones dropped, bottom-k sketch, exact Jaccard check
    story_shingle_words: int = 2
    story_shingle_chars: int = 3
    story_common_zipf: float = 5.0  # a bigram of two words at least this frequent (wordfreq zipf) is dropped
    story_max_df: float = 0.005  # learned: drop shingles found in more than this share of indexed docs ...
    story_min_df_docs: int = 50  # ... and in at least this many docs (keeps small corpora stable)
    story_sketch_size: int = 256  # k smallest shingle hashes kept per document (exact Jaccard up to k)
    story_index_size: int = 48  # the smallest m of them are looked up to find candidates
    story_min_shingles: int = 20  # shorter documents get no same-story links (too little evidence)
    story_min_shared: int = 2  # candidates must share at least this many indexed sketch entries
    story_threshold: float = 0.035
    story_unanchored_threshold: float = 0.07  # below it a story pair must share event anchors (numbers, quotes)
    story_min_anchors: int = 1
    story_max_days: int = 7  # publish dates further apart than this (both known) need story_far_threshold
    story_far_threshold: float = 0.1

    # a value on this many documents of one site (url host), and on this share of them, is that site's boilerplate
    site_boilerplate_docs: int = 3
    site_boilerplate_share: float = 0.2

    # document-frequency count-min sketch
    df_width: int = 1 << 20
    df_depth: int = 4

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(f"dedup.backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.claim_ttl_seconds <= 0:
            raise ConfigError(f"dedup.claim_ttl_seconds must be > 0, got {self.claim_ttl_seconds}")
        if self.num_perm % self.near_bands:
            raise ConfigError(f"dedup.num_perm ({self.num_perm}) must be a multiple of near_bands ({self.near_bands})")
        for name in ("near_threshold", "near_containment", "near_minhash_containment", "near_minhash_floor", "story_threshold",
                     "story_unanchored_threshold", "story_far_threshold", "story_max_df", "site_boilerplate_share"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ConfigError(f"dedup.{name} must be in (0, 1], got {getattr(self, name)}")
        if not 0 < self.near_containment_min_agreed <= self.near_containment_min:
            raise ConfigError("dedup.near_containment_min_agreed must be in 1..near_containment_min")
        if not 0 < self.story_index_size <= self.story_sketch_size:
            raise ConfigError("dedup.story_index_size must be in 1..story_sketch_size")
        if self.site_boilerplate_docs < 2:
            raise ConfigError(f"dedup.site_boilerplate_docs must be >= 2, got {self.site_boilerplate_docs}")
        if self.df_width & (self.df_width - 1):
            raise ConfigError(f"dedup.df_width must be a power of two, got {self.df_width}")
        if min(self.near_shingle_words, self.near_shingle_chars, self.story_shingle_words, self.story_shingle_chars) < 1:
            raise ConfigError("dedup shingle sizes must be >= 1")

    def check_claims_within(self, lease_seconds: float, lease_setting: str) -> None:
        """Refuse a claim TTL that could outlive the lease under which work is handed out (`lease_setting`):
        work handed to another process after its holder died would find that holder's pages still claimed,
        and land none of them."""
        if self.backend == "redis" and self.claim_ttl_seconds > lease_seconds * 2 / 3:
            raise ConfigError(
                f"DEDUP_CLAIM_TTL_SECONDS ({self.claim_ttl_seconds:g}) must be at most 2/3 of "
                f"{lease_setting} ({lease_seconds:g})"
            )

    @property
    def near_rows(self) -> int:
        return self.num_perm // self.near_bands

