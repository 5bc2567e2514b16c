"""What a lake holds after faults, checked the way a user would notice: lost, doubled or dangling rows.

`audit(lake, inputs)` reads the lake with every reader the docs recommend (pyarrow, pandas, DuckDB and
polars over their globs, for a local lake) and with the dedup index, and counts:
- lost: input files in neither `articles` nor `rejects`;
- duplicated: rows a reader returns more than once (a doc_id, an input url, a reject) and inputs found in
  both `articles` and `rejects`;
- dangling: `near_dup_of`, `story_id` and link ends naming no article; data files of no published run;
  articles the dedup index does not know, or documents it holds twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.dedup import DedupConfig, open_index
from pipeline.lake.compact import run_id_of
from pipeline.lake.manifest import list_run_ids
from pipeline.lake.read import open_dataset
from pipeline.lake.store import open_store

DATASETS = ("articles", "links", "rejects")


@dataclass
class Audit:
    inputs: int
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    dangling: list[str] = field(default_factory=list)

    def figures(self) -> dict:
        return {"lost": len(self.lost), "duplicated": len(self.duplicated)}

    def problems(self) -> list[str]:
        return self.lost + self.duplicated + self.dangling


def input_urls(root: Path) -> set[str]:
    return {p.resolve().as_uri() for p in Path(root).rglob("*") if p.is_file()}


def reader_counts(lake: Path, dataset: str) -> dict[str, int]:
    """Rows of a local dataset as each documented reader counts them."""
    import duckdb
    import pandas as pd
    import polars as pl

    folder = Path(lake) / dataset

    def duck(glob: str) -> int:
        with duckdb.connect() as con:
            query = f"SELECT count(*) FROM read_parquet('{folder}/{glob}', hive_partitioning=true)"
            return con.execute(query).fetchall()[0][0]

    return {
        "pandas": len(pd.read_parquet(folder)),
        "duckdb */*": duck("*/*.parquet"),
        "duckdb **": duck("**/*.parquet"),
        "polars **": pl.scan_parquet(f"{folder}/**/*.parquet", hive_partitioning=True)
        .select(pl.len())
        .collect()
        .item(),
        "polars folder": pl.scan_parquet(folder, hive_partitioning=True).select(pl.len()).collect().item(),
    }


def audit(lake: str, inputs: Path, *, dedup: DedupConfig | None = None) -> Audit:
    """Check the lake `lake` (local path or s3:// URI) against the input files under `inputs`."""
    urls = input_urls(inputs)
    found = Audit(inputs=len(urls))
    tables = {name: open_dataset(lake, name).to_table() for name in DATASETS}
    articles, links, rejects = (tables[name] for name in DATASETS)
    doc_ids = articles["doc_id"].to_pylist()
    known = set(doc_ids)
    landed = articles["url"].to_pylist()
    refused = rejects["url"].to_pylist()
    found.lost = [f"lost: {u}" for u in sorted(urls - set(landed) - set(refused))]
    counted = [
        *(("doc_id", d) for d in doc_ids),
        *(("url", u) for u in landed),
        *(("reject", r) for r in zip(refused, rejects["stage"].to_pylist(), rejects["reason"].to_pylist(), strict=True)),
    ]
    found.duplicated = [f"{kind} {value} x{n}" for (kind, value), n in Counter(counted).items() if n > 1]
    found.duplicated += [f"both article and reject: {u}" for u in sorted(set(landed) & set(refused))]
    if not lake.startswith("s3://"):
        for name in DATASETS:
            for reader, rows in reader_counts(Path(lake), name).items():
                if rows != tables[name].num_rows:
                    found.duplicated.append(
                        f"{reader} reads {rows} {name} rows, the lake holds {tables[name].num_rows}"
                    )
    for column in ("near_dup_of", "story_id"):
        found.dangling += [f"{column} {v}" for v in articles[column].to_pylist() if v is not None and v not in known]
    for column in ("doc_id", "other_doc_id"):
        found.dangling += [f"link {column} {v}" for v in links[column].to_pylist() if v not in known]
    store = open_store(lake)
    published = set(list_run_ids(store))
    files = [k for name in DATASETS for k in store.list_keys(name)]
    found.dangling += [f"file of no published run: {k}" for k in files if run_id_of(k) not in published]
    config = dedup or DedupConfig()
    if config.backend == "lake":
        index = open_index(config, store)
        found.dangling += [f"not in the dedup index: {d}" for d in sorted(known) if not index.known(d)]
        indexed = int(index.manifest.get("n_docs", 0))
        if indexed != len(known):
            found.dangling.append(f"the dedup index holds {indexed} documents, the lake {len(known)} articles")
    return found
