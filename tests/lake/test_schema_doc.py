"""docs/schema.md documents every column of every dataset, with the schema's nullability."""

from __future__ import annotations

import re

from pipeline.lake.schema import SCHEMAS
from tests.crawl import REPO


def test_every_column_is_documented_with_its_nullability():
    doc = (REPO / "docs/schema.md").read_text(encoding="utf-8")
    for name, schema in SCHEMAS.items():
        section = doc.split(f"## `{name}`", 1)[1].split("\n## ", 1)[0]
        documented = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", section, re.MULTILINE))
        assert list(documented) == schema.names, name
        for field in schema:
            assert ("not null" in documented[field.name]) == (not field.nullable), (name, field.name)
