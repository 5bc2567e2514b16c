"""Bad bytes in otherwise good inputs (#12 item 6): a few invalid bytes cost a few characters, never the article.

Random bytes of real UTF-8 pages (English and Arabic) are overwritten with bytes that are invalid UTF-8.
Every input must end as an article or a reject; a page with a handful of bad bytes must be an article
whose text is not mojibake (charset detection used to read it as a legacy code page: "—" became
"‚Äî", Arabic became "Ø§Ù..."), and six bad bytes in an Arabic page must not make it `undecodable`.
"""

from __future__ import annotations

import json
import random

from tests.reliability.conftest import trials
from tests.reliability.harness import build_corpus, crawl_and_judge

# What UTF-8 read as cp1252, Latin-1 or Mac Roman looks like: never in the original pages.
MOJIBAKE = ("â€", "Ã", "Ø§", "Ù„", "‚Ä", "Â ")


def corrupt(path, rng: random.Random, count: int) -> None:
    """Overwrite `count` bytes past the first 500 with bytes that can never start valid UTF-8."""
    data = bytearray(path.read_bytes())
    for position in rng.sample(range(500, len(data)), count):
        data[position] = rng.choice((0x80, 0x92, 0xA0, 0xC0, 0xC1, 0xF8, 0xFF))
    path.write_bytes(bytes(data))


def test_a_few_bad_bytes_cost_a_few_characters_never_the_article(tmp_path, fault_record):
    lost = duplicated = escaped = corrupted_total = replaced = 0
    mangled = []
    count = trials(1)
    for trial in range(count):
        rng = random.Random(101 + trial)
        inputs = build_corpus(tmp_path / f"in{trial}")
        corrupted = rng.sample(inputs, 12)
        for path in corrupted:
            corrupt(path, rng, rng.randint(1, 6))
        corrupted_total += len(corrupted)
        lake, stats = tmp_path / f"lake{trial}", tmp_path / f"stats{trial}.json"
        escapes, found = crawl_and_judge(tmp_path / f"in{trial}", inputs, lake, tmp_path / f"spool{trial}",
                                         tmp_path / f"bad{trial}.log", settings={"STATS_FILE": stats})
        escaped, lost, duplicated = escaped + escapes, lost + found.lost, duplicated + found.duplicated
        escaped += sum(row["reason"] == "internal_error" for row in found.rejects)
        texts = {row["url"]: row["text"] for row in found.articles}
        reasons = {row["url"]: row["reason"] for row in found.rejects}
        for path in corrupted:
            url = path.resolve().as_uri()
            if url not in texts:
                mangled.append(f"{path.name}: rejected ({reasons.get(url)})")
            elif any(marker in texts[url] for marker in MOJIBAKE):
                mangled.append(f"{path.name}: mojibake")
        replaced += json.loads(stats.read_text(encoding="utf-8")).get("extract/decode/replaced_bytes", 0)
    assert not mangled, mangled
    assert replaced > 0, "the replaced bytes are not counted"
    fault_record("invalid UTF-8 bytes in good pages", trials=corrupted_total, lost=lost, duplicated=duplicated,
                 escaped=escaped + len(mangled), note="1-6 bad bytes per page; none rejected, none mojibake")
