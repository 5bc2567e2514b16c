"""Folders of generated page text dumps for crawl tests: many distinct articles, with exact and near copies.

Each dump has the shape of the seeds (a navigation header, a title, paragraphs, a source line, related
links) and an Arabic body drawn at random from the seeds' own words, so extraction, language id and
dedup treat them as they treat real pages. Every fifth dump is an exact copy of an earlier one under
another name and every fifth (offset) a near copy with one word changed: the lake then holds
`near_dup_of` and `exact`/`near_duplicate` links whose validity the tests check after faults.
"""

from __future__ import annotations

import functools
import random
import re
from pathlib import Path

from tests.crawl import SEEDS

HEADER = "مباشر\nأين يمكنك متابعتنا\n\nأقسام مهمة\n\n"
FOOTER = "\nالمصدر: وكالات\n\nالتعليقات\n"


@functools.lru_cache(maxsize=1)
def seed_words() -> tuple[str, ...]:
    """Distinct Arabic words of the seed dumps, sorted (the same vocabulary on every machine)."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    return tuple(sorted(set(re.findall(r"[\u0621-\u064A]{3,}", text))))


def _paragraph(rng: random.Random, words: tuple[str, ...]) -> str:
    return " ".join(rng.choice(words) for _ in range(rng.randint(22, 34))) + "."


def _dump(title: str, paragraphs: list[str]) -> str:
    return HEADER + title + "\n\n" + "\n\n".join(paragraphs) + "\n" + FOOTER


def write_dumps(folder: Path, count: int, seed: int) -> list[Path]:
    """`count` dumps named ``<seed>-<n>.txt`` in `folder` (created); the same arguments give the same files."""
    rng = random.Random(seed)
    words = seed_words()
    folder.mkdir(parents=True, exist_ok=True)
    bodies: list[tuple[str, list[str]]] = []
    paths = []
    for n in range(count):
        if n % 5 == 4 and bodies:
            title, paragraphs = rng.choice(bodies)  # an exact copy under another name
        elif n % 5 == 2 and bodies:
            title, paragraphs = rng.choice(bodies)
            paragraphs = [*paragraphs]
            first = paragraphs[0].split()
            first[rng.randrange(len(first))] = rng.choice(words)  # one word changed: a near duplicate
            paragraphs[0] = " ".join(first)
        else:
            title = " ".join(rng.choice(words) for _ in range(7))
            paragraphs = [_paragraph(rng, words) for _ in range(rng.randint(5, 9))]
            bodies.append((title, paragraphs))
        path = folder / f"{seed}-{n:03d}.txt"
        path.write_text(_dump(title, paragraphs), encoding="utf-8")
        paths.append(path)
    return paths
