"""The default index backend, kept in the lake: numpy columns in memory, one segment file per committed run.

Layout under `_state/dedup/`: `manifest.json` (the commit point: run sequence, segment list,
document-frequency file, signature parameters), `segments/<seq>.npz` (one per committed run: ids, cluster
representatives, MinHashes, story sketches, sites, days and the posting keys the algorithm gave) and
`df-<seq>.npz` (count-min table). A run writes its segment and df file first and the manifest last, so a
crash leaves the previous manifest and its files usable. One writer per lake.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
from pathlib import Path

import numpy as np

from pipeline.config import ConfigError
from pipeline.dedup.config import DedupConfig
from pipeline.dedup.pairs import Holders
from pipeline.dedup.records import DocFreq, Postings, StoredDoc
from pipeline.dedup.segments import Columns
from pipeline.dedup.storage import IndexStorage, params_mismatch, signature_params

logger = logging.getLogger(__name__)


class LakeIndex(IndexStorage):
    """Index state in the lake (`Store`), loaded into numpy columns."""

    def __init__(self, config: DedupConfig, store) -> None:
        super().__init__(config)
        self.store = store
        self.prefix = config.state_prefix.rstrip("/")
        self.manifest = self._read_manifest()
        self._columns = Columns.empty(config)
        for key in self.manifest["segments"]:
            self._columns = self._columns.append(Columns.load(self._read(key), config))
        self._committed: list[Columns] = []  # segments committed by this process, merged at the next lookup
        df_key = self.manifest.get("df")
        self.df = DocFreq.empty(config.df_depth, config.df_width)
        if df_key:
            with np.load(io.BytesIO(self._read(df_key))) as npz:
                self.df = DocFreq(npz["table"], int(npz["n_docs"]))
        self._columns.build_lookup()
        self._numbers: list[int] = []
        self._reserve()
        logger.info("dedup index: %d documents from %d runs in %s", len(self._columns), len(self.manifest["segments"]), self.prefix)

    def _read(self, key: str) -> bytes:
        data = self.store.read_bytes(f"{self.prefix}/{key}")
        if data is None:
            raise ConfigError(f"dedup state is damaged: {self.prefix}/{key} is listed in the manifest but missing")
        return data

    def _read_manifest(self) -> dict:
        raw = self.store.read_bytes(f"{self.prefix}/manifest.json")
        params = signature_params(self.config)
        if raw is None:
            return {"run_seq": 0, "segments": [], "df": None, "params": params}
        manifest = json.loads(raw)
        if manifest.get("params") != params:
            raise params_mismatch(self.prefix, manifest.get("params"), params, "state_prefix")
        return manifest

    @property
    def columns(self) -> Columns:
        """Every committed document, with its lookups."""
        for segment in self._committed:
            self._columns = self._columns.append(segment)
        self._committed.clear()
        return self._columns

    def begin_run(self) -> int:
        # Reserved: a run that fails before committing never hands its number on, so a number names one run
        # (`run_of`) when that run's spooled rows are published later (pipeline/recovery.py). A block at a time,
        # the first when the index opens: a run's close needs the store for no extra write.
        if not self._numbers:
            self._reserve()
        return self._numbers.pop(0)

    def _reserve(self, block: int = 16) -> None:
        first = max(int(self.manifest["run_seq"]), int(self.store.read_bytes(f"{self.prefix}/reserved") or 0)) + 1
        self.store.write_bytes(f"{self.prefix}/reserved", str(first + block - 1).encode())
        self._numbers = list(range(first, first + block))

    def doc_freq(self) -> DocFreq:
        return DocFreq(self.df.table.copy(), self.df.n_docs)

    def known(self, doc_id: str) -> bool:
        return self.columns.row_of(doc_id) is not None

    def run_of(self, doc_ids: list[str]) -> dict[str, int]:
        columns = self.columns
        rows = {doc_id: columns.row_of(doc_id) for doc_id in doc_ids}
        return {doc_id: columns.record(row).run_seq for doc_id, row in rows.items() if row is not None}

    def postings(self, kind: str, keys: np.ndarray) -> Holders:
        return self.columns.postings(kind, keys)

    def fetch(self, refs: np.ndarray) -> list[StoredDoc]:
        columns = self.columns
        return [columns.record(row) for row in np.asarray(refs).tolist()]

    def commit(
        self, run_seq: int, docs: list[StoredDoc], postings: Postings, df_delta: DocFreq, token: str | None = None
    ) -> None:
        # one writer under the lake lease: `claim()` granted what the index did not know, nothing to release
        new = Columns.from_records(docs, postings, self.config)
        df = self.doc_freq()
        df.merge(df_delta)
        segment = f"segments/{run_seq:08d}.npz"
        df_key = f"df-{run_seq:08d}.npz"
        buf = io.BytesIO()
        np.savez_compressed(buf, table=df.table, n_docs=np.int64(df.n_docs))
        with tempfile.TemporaryDirectory(prefix="newsdedup-segment-") as tmp:
            local = Path(tmp) / "segment.npz"
            new.dump(local)
            self.store.put_file(local, f"{self.prefix}/{segment}")
        self.store.write_bytes(f"{self.prefix}/{df_key}", buf.getvalue())
        old_df = self.manifest.get("df")
        manifest = dict(self.manifest, run_seq=run_seq, segments=[*self.manifest["segments"], segment], df=df_key)
        manifest["n_docs"] = int(self.manifest.get("n_docs", 0)) + len(new)
        # the manifest write is the commit point
        self.store.write_bytes(f"{self.prefix}/manifest.json", json.dumps(manifest, indent=1).encode())
        self.manifest, self.df = manifest, df
        # merged when the index is next read: a crawl commits as it ends, and merging copies the whole index
        self._committed.append(new)
        if old_df and old_df != df_key:
            self.store.delete_keys([f"{self.prefix}/{old_df}"])
        logger.info("dedup index: committed run %d with %d documents", run_seq, len(new))
