"""Persistent dedup index: the interface both backends implement, and the default backend kept in the lake.

Lake layout under `_state/dedup/`: `manifest.json` (the commit point: run sequence, segment list,
document-frequency file, signature parameters), `segments/<seq>.npz` (one per committed run: ids, cluster
representatives, MinHashes, story sketches) and `df-<seq>.npz` (count-min table). A run writes its segment
and df file first and the manifest last, so a crash leaves the previous manifest and its files usable.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from pipeline.config import ConfigError
from pipeline.dedup.config import DedupConfig
from pipeline.dedup.records import DocFreq, StoredDoc, band_keys
from pipeline.dedup.segments import Columns

logger = logging.getLogger(__name__)

FORMAT = 2  # 2: MinHashes stored as 16-bit values plus band keys; story links decided per run


def signature_params(config: DedupConfig) -> dict:
    """Parameters that change signatures or keys: an index built with other values cannot be reused."""
    return {
        "format": FORMAT,
        "seed": config.seed,
        "num_perm": config.num_perm,
        "near_bands": config.near_bands,
        "near_shingle_words": config.near_shingle_words,
        "near_shingle_chars": config.near_shingle_chars,
        "story_shingle_words": config.story_shingle_words,
        "story_shingle_chars": config.story_shingle_chars,
        "story_common_zipf": config.story_common_zipf,
        "df_width": config.df_width,
        "df_depth": config.df_depth,
    }


class DedupIndex(ABC):
    """What the `Deduplicator` needs from a backend: lookups against committed runs, and one commit per run."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config

    @abstractmethod
    def begin_run(self) -> int:
        """Reserve the sequence number of a new run (larger than every committed run's)."""

    @abstractmethod
    def doc_freq(self) -> DocFreq:
        """Shingle document frequencies as of now (the caller freezes them for the run)."""

    @abstractmethod
    def known(self, doc_id: str) -> bool:
        """Whether `doc_id` was committed by an earlier run."""

    @abstractmethod
    def near_candidates(self, keys: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """(query, doc_id) pairs, each once: committed documents sharing an LSH band key with row `keys[query]`."""

    @abstractmethod
    def story_candidates(self, values: list[np.ndarray], min_shared: int) -> tuple[np.ndarray, list[str], np.ndarray]:
        """(query, doc_id, shared): committed documents sharing `shared` >= `min_shared` indexed values with `values[query]`."""

    @abstractmethod
    def fetch(self, doc_ids: list[str]) -> dict[str, StoredDoc]:
        """Records of committed documents."""

    @abstractmethod
    def commit(self, run_seq: int, docs: list[StoredDoc], df_delta: DocFreq) -> None:
        """Persist one run's documents and the run's document-frequency counts atomically."""

    def close(self) -> None:
        """Release connections; the default backend holds none."""


class LakeIndex(DedupIndex):
    """Index state in the lake (`Store`), loaded into numpy columns; single writer per lake."""

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
        self._rows: dict[str, int] = {}  # doc_id -> row of recent candidates (rows only grow: never stale)
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
            raise ConfigError(
                f"dedup state in {self.prefix} was built with {manifest.get('params')}, the config asks for {params}; "
                "restore those dedup settings or point state_prefix at a new folder"
            )
        return manifest

    @property
    def columns(self) -> Columns:
        """Every committed document, with its lookups."""
        for segment in self._committed:
            self._columns = self._columns.append(segment)
        self._committed.clear()
        return self._columns

    def begin_run(self) -> int:
        return int(self.manifest["run_seq"]) + 1

    def doc_freq(self) -> DocFreq:
        return DocFreq(self.df.table.copy(), self.df.n_docs)

    def known(self, doc_id: str) -> bool:
        return self.columns.row_of(doc_id) is not None

    def near_candidates(self, keys: np.ndarray) -> tuple[np.ndarray, list[str]]:
        query, rows = self.columns.near_rows(keys)
        return query, self._ids(rows)

    def story_candidates(self, values: list[np.ndarray], min_shared: int) -> tuple[np.ndarray, list[str], np.ndarray]:
        query, rows, shared = self.columns.story_rows(values, min_shared)
        return query, self._ids(rows), shared

    def _ids(self, rows: np.ndarray) -> list[str]:
        ids = [self.columns.doc_id(r) for r in rows.tolist()]
        self._rows.update(zip(ids, rows.tolist()))  # fetch() right after needs no id search
        return ids

    def fetch(self, doc_ids: list[str]) -> dict[str, StoredDoc]:
        out = {}
        for doc_id in doc_ids:
            row = self._rows.get(doc_id)
            row = self.columns.row_of(doc_id) if row is None else row
            if row is not None:
                out[doc_id] = self.columns.record(row)
        return out

    def commit(self, run_seq: int, docs: list[StoredDoc], df_delta: DocFreq) -> None:
        new = Columns.from_records(docs, self.config)
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


def open_index(config: DedupConfig, store=None) -> DedupIndex:
    """The configured backend: the lake state under `store` (default) or a shared Redis."""
    if config.backend == "redis":
        from pipeline.dedup.redis_index import RedisIndex

        return RedisIndex(config)
    if store is None:
        raise ConfigError("dedup backend 'lake' needs the lake store (pipeline.lake.store.open_store(LAKE_URI))")
    return LakeIndex(config, store)


__all__ = ["DedupIndex", "LakeIndex", "open_index", "band_keys", "signature_params"]
