"""Redis backend of the dedup index: several crawler processes share one index.

Keys under `redis_prefix`: `:params` (signature parameters, checked at start-up), `:run_seq` (counter),
`:docs` (hash doc_id -> packed record), `:nb:<band key>` and `:sp:<sketch value>` (sets of doc_ids: LSH
buckets and story postings), `:df` (count-min table, big-endian uint32) and `:df_docs`. A run's documents
are written by one MULTI/EXEC transaction at commit (optimistic on `:df`), so a crashed run leaves the
previous state intact and other processes see a run all at once. Lookups are pipelined: one round
trip per query tier.
"""

from __future__ import annotations

import json
import logging
import struct

import numpy as np

from pipeline.config import ConfigError
from pipeline.dedup.config import DedupConfig
from pipeline.dedup.index import DedupIndex, signature_params
from pipeline.dedup.records import DocFreq, Rep, StoredDoc, band_keys

logger = logging.getLogger(__name__)

_HEAD = struct.Struct(">QII10sII10sII")


def pack(doc: StoredDoc) -> bytes:
    head = _HEAD.pack(
        doc.content_key, doc.run_seq, doc.rank,
        bytes.fromhex(doc.near_rep.doc_id), doc.near_rep.run_seq, doc.near_rep.rank,
        bytes.fromhex(doc.story_rep.doc_id), doc.story_rep.run_seq, doc.story_rep.rank,
    )  # fmt: skip
    return head + doc.near.astype("<u4").tobytes() + doc.story.astype("<u4").tobytes()


def unpack(doc_id: str, data: bytes, num_perm: int) -> StoredDoc:
    ck, run, rank, nrep, nrun, nrank, srep, srun, srank = _HEAD.unpack_from(data)
    body = np.frombuffer(data, dtype="<u4", offset=_HEAD.size).astype(np.uint32)
    return StoredDoc(doc_id, ck, run, rank, Rep(nrep.hex(), nrun, nrank), Rep(srep.hex(), srun, srank), body[:num_perm], body[num_perm:])


class RedisIndex(DedupIndex):
    """The index in Redis (`redis_url`, env REDIS_URL); checked and connected at start-up."""

    def __init__(self, config: DedupConfig, client=None) -> None:
        super().__init__(config)
        if client is None:
            if not config.redis_url:
                raise ConfigError("dedup backend 'redis' needs redis_url in configs/dedup.yaml or env REDIS_URL")
            import redis

            client = redis.Redis.from_url(config.redis_url)
        self.r = client
        self.p = config.redis_prefix
        params = json.dumps(signature_params(config), sort_keys=True)
        try:
            self.r.setnx(f"{self.p}:params", params)
            stored = self.r.get(f"{self.p}:params").decode()
        except Exception as exc:  # redis.ConnectionError and friends: fail at start-up with the URL
            raise ConfigError(f"dedup backend 'redis': cannot use {config.redis_url}: {exc}") from exc
        if stored != params:
            raise ConfigError(
                f"dedup state under {self.p!r} was built with {stored}, the config asks for {params}; "
                "restore those dedup settings or use another redis_prefix"
            )

    def begin_run(self) -> int:
        return int(self.r.incr(f"{self.p}:run_seq"))

    def doc_freq(self) -> DocFreq:
        depth, width = self.config.df_depth, self.config.df_width
        raw, n_docs = self.r.mget(f"{self.p}:df", f"{self.p}:df_docs")
        table = np.zeros(depth * width, dtype=np.uint32)
        if raw:
            got = np.frombuffer(raw, dtype=">u4")
            table[: len(got)] = got
        return DocFreq(table.reshape(depth, width), int(n_docs or 0))

    def known(self, doc_id: str) -> bool:
        return bool(self.r.hexists(f"{self.p}:docs", doc_id))

    def _members(self, names: list[str]) -> list[set[bytes]]:
        pipe = self.r.pipeline(transaction=False)
        for name in names:
            pipe.smembers(name)
        return pipe.execute()

    def _postings(self, kind: str, values: np.ndarray) -> dict[int, list[str]]:
        """Members of each distinct key's set, in one pipelined round trip."""
        distinct = np.unique(values).tolist()
        members = self._members([f"{self.p}:{kind}:{v:08x}" for v in distinct])
        return {v: [m.decode() for m in found] for v, found in zip(distinct, members) if found}

    def near_candidates(self, keys: np.ndarray) -> tuple[np.ndarray, list[str]]:
        postings = self._postings("nb", keys)
        pairs = sorted({(q, d) for q, row in enumerate(keys.tolist()) for k in row for d in postings.get(k, ())})
        return np.array([q for q, _ in pairs], dtype=np.int64), [d for _, d in pairs]

    def story_candidates(self, values: list[np.ndarray], min_shared: int) -> tuple[np.ndarray, list[str], np.ndarray]:
        flat = np.concatenate(values) if values else np.empty(0, np.uint32)
        postings = self._postings("sp", flat)
        counts: dict[tuple[int, str], int] = {}
        for q, vals in enumerate(values):
            for v in vals.tolist():
                for d in postings.get(v, ()):
                    counts[q, d] = counts.get((q, d), 0) + 1
        pairs = sorted(p for p, c in counts.items() if c >= min_shared)
        return (np.array([q for q, _ in pairs], dtype=np.int64), [d for _, d in pairs],
                np.array([counts[p] for p in pairs], dtype=np.int64))

    def fetch(self, doc_ids: list[str]) -> dict[str, StoredDoc]:
        if not doc_ids:
            return {}
        rows = self.r.hmget(f"{self.p}:docs", doc_ids)
        return {d: unpack(d, raw, self.config.num_perm) for d, raw in zip(doc_ids, rows) if raw is not None}

    def commit(self, run_seq: int, docs: list[StoredDoc], df_delta: DocFreq) -> None:
        import redis

        cfg = self.config
        df_key = f"{self.p}:df"
        while True:
            with self.r.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(df_key)  # another process committing in between: recount on its table
                    df = self.doc_freq()
                    df.merge(df_delta)
                    pipe.multi()
                    for doc in docs:
                        pipe.hset(f"{self.p}:docs", doc.doc_id, pack(doc))
                        for key in band_keys(doc.near, cfg.near_bands)[0].tolist():
                            pipe.sadd(f"{self.p}:nb:{key:08x}", doc.doc_id)
                        if len(doc.story) >= cfg.story_min_shingles:
                            for value in doc.story[: cfg.story_index_size].tolist():
                                pipe.sadd(f"{self.p}:sp:{value:08x}", doc.doc_id)
                    pipe.set(df_key, df.table.astype(">u4").tobytes())
                    pipe.set(f"{self.p}:df_docs", df.n_docs)
                    pipe.execute()
                    break
                except redis.WatchError:
                    logger.info("dedup redis: another process committed meanwhile, retrying run %d", run_seq)
        logger.info("dedup redis: committed run %d with %d documents", run_seq, len(docs))

    def close(self) -> None:
        self.r.close()
