"""The line labels the block classifier is trained on (`bench/corpus.training_labels`): the reference body
mapped onto dump lines without the headline and without the copies of text the reference prints once."""

from __future__ import annotations

from bench.corpus import body_key_mask, training_labels
from pipeline.extract.blocks import line_key

LEDE = "The council voted on Tuesday to close the old harbour bridge for repairs lasting at least two years."
SECOND = "Drivers will be sent along the ring road, which the city says adds about ten minutes at rush hour."
DUMP = [
    "Harbour bridge to close for two years | City Gazette",
    "Home",
    "Harbour bridge to close for two years",
    LEDE,  # the teaser box at the top repeats the lede
    "Local news",
    "Harbour bridge to close for two years",
    LEDE,
    SECOND,
    "Flour, 200 g",
    "Share this article",
    "Flour, 200 g",  # a short line the reference prints once, shown again in a print box
]
REFERENCE = "\n".join([LEDE, SECOND, "Flour, 200 g"])
TITLE = "Harbour bridge to close for two years"


def test_each_text_is_body_only_as_often_as_the_reference_prints_it():
    keys = [line_key(line) for line in DUMP]
    assert sum(body_key_mask(keys, REFERENCE)) == 5  # the labels before: both copies of the lede and of the list line
    labels = training_labels(keys, REFERENCE, TITLE)
    assert [DUMP[i] for i, keep in enumerate(labels) if keep] == [LEDE, SECOND, "Flour, 200 g"]
    assert labels.index(True) == 6  # the article's copy of the lede, beside the rest of the body, not the teaser's


def test_the_title_line_and_the_headline_are_never_body():
    keys = [line_key(line) for line in DUMP]
    reference = "\n".join([TITLE, LEDE, SECOND])  # a reference that (wrongly) starts with the headline
    labels = training_labels(keys, reference, TITLE)
    assert not labels[0] and not labels[2] and not labels[5]
    assert labels[6] and labels[7]
