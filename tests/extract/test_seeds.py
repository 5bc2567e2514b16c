"""Text mode on the five seed dumps: exact titles and word-4-gram F1 >= 0.97 against the gold bodies."""

from __future__ import annotations

import pytest

from pipeline.extract import SiteTemplates, extract_article, extract_text
from pipeline.extract.blocks import line_key
from pipeline.extract.evaluate import shingle_f1

SEEDS = ["000_3b93ccf9d086253d.txt", "001_9bd67f855488d76b.txt", "002_e29d59dd00f27b6d.txt",
         "003_47fde8de46d97e9d.txt", "004_1619f80fd82b4e79.txt"]


@pytest.mark.parametrize("name", SEEDS)
def test_seed_title_and_body(name, seeds_gold, seed_bytes):
    result = extract_article(seed_bytes[name], "text", url=f"file:///seeds/{name}", source="file")
    gold = seeds_gold[name]
    assert result.title == gold["title"]
    assert shingle_f1("\n".join(gold["body"]), result.text) >= 0.97
    assert result.language == "ar"
    assert result.extraction == "text"
    assert gold["title"] not in result.text.split("\n")  # the title is not repeated as a paragraph


def test_seed_author_when_the_dump_shows_one(seeds_gold, seed_bytes):
    found = {name: extract_article(seed_bytes[name], "text").author for name in SEEDS}
    assert found == {name: seeds_gold[name]["author"] for name in SEEDS}


def test_templates_learned_across_seeds_keep_results(seeds_gold, seed_bytes):
    templates = SiteTemplates()
    dumps = {name: raw.decode("utf-8") for name, raw in seed_bytes.items()}
    for dump in dumps.values():
        templates.observe("file", dump)
    restored = SiteTemplates.from_json(templates.to_json())
    for name, dump in dumps.items():
        result = extract_text(dump, source="file", templates=restored)
        assert result.title == seeds_gold[name]["title"]
        assert shingle_f1("\n".join(seeds_gold[name]["body"]), result.text) >= 0.97
    # 001 and 003 are pages of one site: their shared menu lines are template, their articles are not.
    learned = restored.template_keys("file", dumps["001_9bd67f855488d76b.txt"])
    assert "مباشر" in learned and "stories" in learned
    bodies = {line_key(line) for name in ("001_9bd67f855488d76b.txt", "003_47fde8de46d97e9d.txt")
              for line in seeds_gold[name]["body"]}
    assert not learned & bodies  # shared lines of two different stories are template, their articles never
    # 000 is another site: nothing learned applies to it.
    assert restored.template_keys("file", dumps["000_3b93ccf9d086253d.txt"]) == frozenset()
