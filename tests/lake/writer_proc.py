"""Runs one LakeWriter in a process of its own, so a test can SIGKILL it in the middle of an upload.

    python -m tests.lake.writer_proc LAKE_URI SPOOL_DIR RUN_ID N_ARTICLES CHARS_PER_ARTICLE [MULTIPART_THRESHOLD]

A threshold below 5 MiB makes a small file one multipart upload of a single (last, so short) part.
"""

from __future__ import annotations

import base64
import dataclasses
import random
import sys
from pathlib import Path

from pipeline.lake import LakeConfig, LakeWriter, open_store
from tests.lake.rows import DAY, article

# Multipart from 5 MiB, one part at a time: the upload takes several requests a test can slow down.
CONFIG = LakeConfig(
    multipart_threshold=5 * 2**20, multipart_chunksize=5 * 2**20, max_concurrency=1, compression_level=1
)


def texts(n: int, chars: int) -> list[str]:
    """Barely compressible bodies, the same for the same arguments (the test recomputes them)."""
    rng = random.Random(n * 1_000_003 + chars)
    return [base64.b64encode(rng.randbytes(chars * 3 // 4)).decode() for _ in range(n)]


def main(
    lake_uri: str, spool: str, run_id: str, n: int, chars: int, threshold: int = CONFIG.multipart_threshold
) -> None:
    config = dataclasses.replace(CONFIG, multipart_threshold=threshold)
    writer = LakeWriter(
        open_store(lake_uri, config), run_id=run_id, ingest_date=DAY, spool_dir=Path(spool), config=config
    )
    for i, text in enumerate(texts(n, chars)):
        writer.add_article(article(i, run_id, text=text))
    print("closing", flush=True)
    writer.close({}, settings={"writer": "writer_proc"})
    print("closed", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4], *map(int, sys.argv[4:]))
