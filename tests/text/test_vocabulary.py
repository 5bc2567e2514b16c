"""The token -> stem table: what it answers equals stemming every token, through growth and restarts."""

from __future__ import annotations

import numpy as np
import Stemmer
import xxhash

from pipeline.text.normalize import normalize_for_matching
from pipeline.text.tokens import Tokens, Vocabulary

TEXTS = [
    "The ministers were meeting on Thursday; the meeting ended with 12 agreements and no agreement on tariffs.",
    "Running runners ran: a runner's run, 2024 runs, and the marathon's 42 km.",
    "Die Minister trafen sich am Donnerstag — ohne Einigung über die Zölle.",
]


def test_lookup_equals_stemming_each_token_through_growth_and_restarts():
    stemmer = Stemmer.Stemmer("english")
    common = frozenset({"the", "and", "on", "a", "no"})
    # a tiny table that must grow, and a limit that forces it to start over mid-way
    vocabulary = Vocabulary(stemmer.stemWords, common, limit=40, capacity=8)
    for round_ in range(3):
        for text in TEXTS:
            normalized = normalize_for_matching(text)
            tokens = Tokens(normalized)
            stems, flags = vocabulary.lookup(normalized, tokens)
            words = [normalized[s:e] for s, e in zip(tokens.starts.tolist(), tokens.ends.tolist())]
            expected = stemmer.stemWords(words)
            assert stems.tolist() == [xxhash.xxh3_64_intdigest(stem.encode("utf-8")) for stem in expected], round_
            assert flags.tolist() == [stem in common for stem in expected]
    assert vocabulary.size <= 40 and vocabulary.mask + 1 >= 2 * vocabulary.size


def test_empty_text_has_no_stems():
    vocabulary = Vocabulary(lambda words: words, frozenset())
    stems, flags = vocabulary.lookup("", Tokens(""))
    assert stems.dtype == np.uint64 and len(stems) == len(flags) == 0


def test_a_text_with_more_new_words_than_the_table_holds_grows_it_enough():
    # doubling once was not enough: 300 new tokens into 8 slots filled the table and probing never ended
    vocabulary = Vocabulary(lambda words: words, frozenset(), capacity=8)
    normalized = " ".join(f"w{i}" for i in range(300))
    stems, _ = vocabulary.lookup(normalized, Tokens(normalized))
    assert len(set(stems.tolist())) == 300 and vocabulary.mask + 1 >= 600
