"""Signatures: identity definitions, datasketch compatibility, languages, bad input."""

from __future__ import annotations

import hashlib
import pickle

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dedup import DedupConfig, compute_signature, content_hash, make_doc_id
from pipeline.dedup.shingles import ngram_hashes, shingle
from pipeline.dedup.signatures import minhash, permutations, sketch_jaccard
from pipeline.text.tokens import _MIX, _P, Tokens, spaces
from pipeline.errors import Rejected
from pipeline.text.normalize import normalize_for_matching, tokenize


def test_identity_follows_architecture_definitions(seed_bodies):
    text = seed_bodies["000"]
    expected = hashlib.sha1(" ".join(normalize_for_matching(text).split()).encode()).hexdigest()
    assert content_hash(text) == expected
    assert content_hash("  Hello\n\nWORLD ") == content_hash("hello world")
    assert make_doc_id("file:///a.txt", expected) == hashlib.sha1(f"file:///a.txt\n{expected}".encode()).hexdigest()[:20]
    assert compute_signature(text, "ar", DedupConfig()).content_hash == expected


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 42), (256, 0)])
def test_minhash_equals_datasketch_update_batch(num_perm, seed):
    values = np.random.default_rng(7).integers(0, 2**32, size=500, dtype=np.uint64).astype(np.uint32)
    reference = MinHash(num_perm=num_perm, seed=seed, hashfunc=int, scheme="affine32")
    reference.update_batch([int(v) for v in values])
    assert all(np.array_equal(ours, theirs) for ours, theirs in zip(permutations(num_perm, seed), reference.permutations))
    assert np.array_equal(minhash(values, num_perm, seed), reference.hashvalues)


def test_signature_is_compact_picklable_and_converts_to_lean_minhash(seed_bodies, config):
    a = compute_signature(seed_bodies["000"], "ar", config)
    b = compute_signature(seed_bodies["000"] + "\nسطر إضافي في نهاية الخبر", "ar", config)
    assert pickle.loads(pickle.dumps(a)) == a
    assert len(pickle.dumps(a)) < 2000
    lean_a, lean_b = a.to_lean_minhash(), b.to_lean_minhash()
    assert isinstance(lean_a, LeanMinHash)
    assert lean_a.jaccard(lean_b) > 0.8


def test_language_is_detected_when_missing(seed_bodies, config):
    sig = compute_signature(seed_bodies["001"], None, config)
    assert sig.language == "ar"
    assert sig.story == compute_signature(seed_bodies["001"], "ar", config).story


def test_stemming_makes_inflections_share_story_shingles(config):
    a = shingle("the ministers announced new sanctions", "en", config).story
    b = shingle("the minister announces new sanction", "en", config).story
    assert len(np.intersect1d(a, b)) == len(a) == len(b)


def test_cjk_text_uses_character_shingles(config):
    text = "东京电力公司今天宣布将在明年春季重启柏崎刈羽核电站的七号机组。" * 2
    edited = text.replace("明年春季", "今年秋季")
    s1, s2 = shingle(text, "zh", config), shingle(edited, "zh", config)
    assert s1.unspaced and s1.n_tokens == len(text.replace("。", ""))
    # a word-shingle of a space-less sentence would be one shingle and the edit would make them disjoint
    assert sketch_jaccard(np.unique(s1.near), np.unique(s2.near), 10**6) > 0.5


def test_body_without_words_is_rejected(config):
    with pytest.raises(Rejected) as err:
        compute_signature(" ... --- !!! ", "en", config)
    assert (err.value.stage, err.value.reason) == ("dedup", "no_tokens")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab _-.,'1²Ⅷ") + ["ة", "ـ", "\u064b", "東", "京", "の", "ไ", "\u0e31", "\u3000", "😀", "\ud800"]), max_size=40))
def test_numpy_tokens_are_the_regex_tokens(text):
    tokens = Tokens(text)
    assert [text[s:e] for s, e in zip(tokens.starts.tolist(), tokens.ends.tolist())] == tokenize(text)
    by_token = {}
    for s, e, h in zip(tokens.starts.tolist(), tokens.ends.tolist(), tokens.hashes.tolist()):
        assert by_token.setdefault(text[s:e], h) == h  # equal tokens hash equally wherever they stand


def test_numpy_tokens_on_seeds(seed_bodies):
    for body in seed_bodies.values():
        text = normalize_for_matching(body)
        tokens = Tokens(text)
        assert [text[s:e] for s, e in zip(tokens.starts.tolist(), tokens.ends.tolist())] == tokenize(text)
        assert len(set(tokens.hashes.tolist())) == len(set(tokenize(text)))


def _numpy_token_hashes(text: str) -> list[int]:
    """The numpy formulation of the token hash (prefix sums of cp * P**-i), the kernel's reference."""
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    tokens = Tokens(text)
    starts, ends = tokens.starts, tokens.ends
    p = np.array([pow(_P, i, 2**64) for i in range(len(cp) + 1)], dtype=np.uint64)
    inv = np.array([pow(_P, -i, 2**64) for i in range(len(cp) + 1)], dtype=np.uint64)
    with np.errstate(over="ignore"):
        prefix = np.zeros(len(cp) + 1, dtype=np.uint64)
        np.cumsum(cp.astype(np.uint64) * inv[: len(cp)], out=prefix[1:])
        h = (prefix[ends] - prefix[starts]) * p[starts]
        h ^= (ends - starts).astype(np.uint64) * _MIX
        for shift, mult in ((33, 0xFF51AFD7ED558CCD), (33, 0xC4CEB9FE1A85EC53)):
            h ^= h >> np.uint64(shift)
            h *= np.uint64(mult)
        h ^= h >> np.uint64(33)
    return h.tolist()


_ALPHABET = list("ab _-.,'1²Ⅷ\t\n\x1c\xa0") + ["ة", "ـ", "\u064b", "東", "京", "の", "ไ", "\u0e31", "\u3000", "\u2028", "😀", "é"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_ALPHABET), max_size=40))
def test_compiled_scan_matches_numpy_hashes_and_str_split(text):
    assert Tokens(text).hashes.tolist() == _numpy_token_hashes(text)
    assert Tokens(text, collapse=True).collapsed_utf8 == " ".join(text.split()).encode("utf-8")


def test_lone_surrogate_is_not_collapsed_silently():
    assert Tokens("a \ud800 b", collapse=True).collapsed_utf8 is None
    with pytest.raises(UnicodeEncodeError):
        compute_signature("a \ud800 b", "en", DedupConfig())


def test_space_table_is_str_isspace_for_every_code_point():
    expected = [i for i in range(0x110000) if chr(i).isspace()]
    assert np.flatnonzero(spaces()).tolist() == expected


def test_compiled_ngram_hashes_match_numpy_formulation():
    tokens = np.random.default_rng(5).integers(0, 2**64, size=300, dtype=np.uint64)
    for n in (1, 2, 3, 500):
        m = min(n, len(tokens))
        with np.errstate(over="ignore"):
            h = tokens[: len(tokens) - m + 1].copy()
            for j in range(1, m):
                h = h * _MIX + tokens[j : len(tokens) - m + 1 + j]
            for mult in (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53):
                h ^= h >> np.uint64(33)
                h *= np.uint64(mult)
            h ^= h >> np.uint64(33)
        expected = (h >> np.uint64(32)).astype(np.uint32)
        assert np.array_equal(ngram_hashes(tokens, n, distinct=False), expected)
        assert np.array_equal(ngram_hashes(tokens, n), np.unique(expected))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**32 - 1), max_size=3000), st.integers(1, 40))
def test_distinct_count_kernel_equals_numpy_unique(values, spread):
    from pipeline.dedup.kernels import distinct_count

    arr = np.array(values, dtype=np.uint32) % np.uint32(spread * 100)  # with repeats
    assert distinct_count(arr) == len(np.unique(arr))


def test_signature_counts_the_distinct_shingles_under_its_minhash(seed_bodies, config):
    sig = compute_signature(seed_bodies["000"], "ar", config, title="عنوان")
    shingled = shingle(f"{normalize_for_matching('عنوان')}\n{normalize_for_matching(seed_bodies['000'])}", "ar", config)
    assert sig.near_size == len(np.unique(shingled.near)) > 100


def test_invisible_characters_inside_words_do_not_split_shingles(seed_bodies, config):
    text = seed_bodies["001"]
    words = text.split(" ")
    # a CMS's hyphenation hints and zero-width joins inside every fifth word, and in the title
    hinted = " ".join(w[:2] + "\u00ad" + w[2:] if i % 5 == 0 and len(w) > 3 else w for i, w in enumerate(words))
    hinted = hinted.replace("\n", "\u200b\n", 3).replace(" ", " \ufeff", 2)
    plain = compute_signature(text, "ar", config, title="Cross\u2060border talks")
    with_hints = compute_signature(hinted, "ar", config, title="Cross\u00adborder talks")
    assert with_hints.near == compute_signature(text, "ar", config, title="Crossborder talks").near
    assert np.array_equal(np.frombuffer(with_hints.story, np.uint32), np.frombuffer(plain.story, np.uint32))
    assert with_hints.n_tokens == plain.n_tokens
    # identity is the stored text's: a copy that differs only by invisible characters is a near duplicate, not exact
    assert with_hints.content_hash == content_hash(hinted) != plain.content_hash
