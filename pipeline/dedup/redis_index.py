"""Redis backend of the dedup index: several crawler processes share one index.

Keys under `redis_prefix`: `:params` (signature parameters, checked at start-up), `:run_seq` (counter),
`:docs` (hash doc_id -> packed record), `:nb:<band key>` and `:sp:<story value>` (sets of doc_ids: the
posting lists, under the keys the algorithm gave), `:df` (count-min table, big-endian uint32) and
`:df_docs`. A run's documents are written by one MULTI/EXEC transaction at commit (optimistic on `:df`), so
a crashed run leaves the previous state intact and other processes see a run all at once. Lookups are
pipelined: one round trip per posting kind.

Several processes: `:claim:<doc_id>` (the token of the live run that met the page first, with a TTL its
run renews; the set `:claims:<token>` lists them), taken by one Lua script per batch so that "known",
"claimed by another" and "granted" are one atomic answer; `commit` deletes them in its MULTI/EXEC. Runs
decide and commit one at a time under `:commit_lock` (redis-py's `Lock`, renewed while held), so a run's
links are decided against every run committed before it.
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from pipeline.config import ConfigError
from pipeline.dedup.config import DedupConfig
from pipeline.dedup.pairs import Holders
from pipeline.dedup.records import DocFreq, Postings, Rep, StoredDoc
from pipeline.dedup.storage import CLAIMED, GRANTED, KNOWN, NEAR, STORY, IndexStorage, params_mismatch, signature_params
from pipeline.renewal import Renewal

logger = logging.getLogger(__name__)

_HEAD = struct.Struct(">QII10sII10sIIIiI")
_KIND = {NEAR: "nb", STORY: "sp"}

# ARGV: prefix, token, ttl ms, doc_ids... Returns one letter per id: k(nown), g(ranted), c(laimed elsewhere).
_CLAIM = """
local prefix, token, ttl = ARGV[1], ARGV[2], ARGV[3]
local mine = prefix .. ':claims:' .. token
local answers = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local key = prefix .. ':claim:' .. id
  if redis.call('HEXISTS', prefix .. ':docs', id) == 1 then
    answers[#answers + 1] = 'k'
  elseif redis.call('SET', key, token, 'NX', 'PX', ttl) or redis.call('GET', key) == token then
    redis.call('SET', key, token, 'PX', ttl)
    redis.call('SADD', mine, id)
    answers[#answers + 1] = 'g'
  else
    answers[#answers + 1] = 'c'
  end
end
redis.call('PEXPIRE', mine, ttl)
return answers
"""
_ANSWER = {b"k": KNOWN, b"g": GRANTED, b"c": CLAIMED}

# ARGV: prefix, then per document its doc_id, band keys and story values (big-endian uint32 strings). Adds the
# document to its posting sets: one command for a batch of documents instead of one per key (a run's ~90 keys a
# document cost the client ~2 ms a document to send as separate commands and read back their replies).
_POST = """
local prefix = ARGV[1]
local function post(kind, doc_id, packed)
  for at = 1, #packed, 4 do
    redis.call('SADD', string.format('%s:%s:%08x', prefix, kind, (struct.unpack('>I4', packed, at))), doc_id)
  end
end
for i = 2, #ARGV, 3 do
  post('nb', ARGV[i], ARGV[i + 1])
  post('sp', ARGV[i], ARGV[i + 2])
end
return 0
"""
_COMMIT_BATCH = 1000  # documents a command: bounded arguments whatever the run's size

# ARGV: prefix, token, ttl ms. Extends the token's claims; returns how many it no longer holds.
_RENEW = """
local prefix, token, ttl = ARGV[1], ARGV[2], ARGV[3]
local mine = prefix .. ':claims:' .. token
local lost = 0
for _, id in ipairs(redis.call('SMEMBERS', mine)) do
  local key = prefix .. ':claim:' .. id
  if redis.call('GET', key) == token then
    redis.call('PEXPIRE', key, ttl)
  else
    lost = lost + 1
    redis.call('SREM', mine, id)
  end
end
redis.call('PEXPIRE', mine, ttl)
return lost
"""


def pack(doc: StoredDoc) -> bytes:
    head = _HEAD.pack(
        doc.content_key, doc.run_seq, doc.rank,
        bytes.fromhex(doc.near_rep.doc_id), doc.near_rep.run_seq, doc.near_rep.rank,
        bytes.fromhex(doc.story_rep.doc_id), doc.story_rep.run_seq, doc.story_rep.rank, doc.site, doc.day,
        doc.near_size,
    )  # fmt: skip
    return head + doc.near.astype("<u4").tobytes() + doc.story.astype("<u4").tobytes()


def unpack(doc_id: str, data: bytes, num_perm: int) -> StoredDoc:
    ck, run, rank, nrep, nrun, nrank, srep, srun, srank, site, day, near_size = _HEAD.unpack_from(data)
    body = np.frombuffer(data, dtype="<u4", offset=_HEAD.size).astype(np.uint32)
    return StoredDoc(
        doc_id, ck, run, rank, Rep(nrep.hex(), nrun, nrank), Rep(srep.hex(), srun, srank), body[:num_perm], body[num_perm:], site, day,
        near_size,
    )


class RedisIndex(IndexStorage):
    """The index in Redis (`redis_url`, env REDIS_URL); checked and connected at start-up."""

    shared = True

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
            raise params_mismatch(repr(self.p), stored, json.loads(params), "redis_prefix")
        self._ids: list[str] = []  # references handed out by postings(): an index into this list
        self._ref_of: dict[str, int] = {}
        self._claim = self.r.register_script(_CLAIM)
        self._renew = self.r.register_script(_RENEW)

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

    def run_of(self, doc_ids: list[str]) -> dict[str, int]:
        rows = self.r.hmget(f"{self.p}:docs", doc_ids) if doc_ids else []
        return {d: _HEAD.unpack_from(raw)[1] for d, raw in zip(doc_ids, rows, strict=True) if raw is not None}

    def claim(self, doc_ids: list[str], token: str, ttl_ms: int) -> list[str]:
        if not doc_ids:
            return []
        return [_ANSWER[a] for a in self._claim(args=[self.p, token, ttl_ms, *doc_ids])]

    def renew_claims(self, token: str, ttl_ms: int) -> int:
        return int(self._renew(args=[self.p, token, ttl_ms]))

    @contextmanager
    def exclusive(self, ttl_ms: int) -> Iterator[None]:
        from redis.exceptions import LockError

        # The lock expires `ttl_ms` after its holder dies; alive, the holder renews it for as long as it decides,
        # writes and commits (a large run takes longer than any fixed timeout).
        lock = self.r.lock(f"{self.p}:commit_lock", timeout=ttl_ms / 1000, thread_local=False)
        lock.acquire()
        try:
            with Renewal(lock.reacquire, ttl_ms / 3000, "dedup commit lock"):
                yield
        finally:
            try:
                lock.release()
            except LockError:  # expired while we were stalled: another run may have committed meanwhile
                logger.warning("dedup redis: the commit lock had expired before this run released it")

    def _ref(self, doc_id: str) -> int:
        ref = self._ref_of.get(doc_id)
        if ref is None:
            ref = self._ref_of[doc_id] = len(self._ids)
            self._ids.append(doc_id)
        return ref

    def postings(self, kind: str, keys: np.ndarray) -> Holders:
        distinct = np.unique(keys)
        pipe = self.r.pipeline(transaction=False)
        for key in distinct.tolist():
            pipe.smembers(f"{self.p}:{_KIND[kind]}:{key:08x}")
        held = [[self._ref(m.decode()) for m in sorted(found)] for found in pipe.execute()] if len(distinct) else []
        bounds = np.concatenate([[0], np.cumsum([len(h) for h in held])]).astype(np.int64)
        at = np.searchsorted(distinct, keys)
        refs = np.array([r for h in held for r in h], dtype=np.int64)
        return Holders(bounds[at], bounds[at + 1], refs, len(self._ids))

    def fetch(self, refs: np.ndarray) -> list[StoredDoc]:
        doc_ids = [self._ids[ref] for ref in np.asarray(refs).tolist()]
        if not doc_ids:
            return []
        rows = self.r.hmget(f"{self.p}:docs", doc_ids)
        return [unpack(d, raw, self.config.num_perm) for d, raw in zip(doc_ids, rows, strict=True)]

    def commit(
        self, run_seq: int, docs: list[StoredDoc], postings: Postings, df_delta: DocFreq, token: str | None = None
    ) -> None:
        import redis

        df_key = f"{self.p}:df"
        # packed once: only the frequency table is recounted when another process commits in between
        batches = []
        for start in range(0, len(docs), _COMMIT_BATCH):
            batch = docs[start : start + _COMMIT_BATCH]
            posted = [self.p]
            for i, doc in enumerate(batch, start):
                posted += [doc.doc_id, postings.near[i].astype(">u4").tobytes(), postings.story(i).astype(">u4").tobytes()]
            batches.append(({doc.doc_id: pack(doc) for doc in batch}, posted))
        while True:
            with self.r.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(df_key)  # another process committing in between: recount on its table
                    df = self.doc_freq()
                    df.merge(df_delta)
                    pipe.multi()
                    for records, posted in batches:
                        pipe.hset(f"{self.p}:docs", mapping=records)
                        # EVAL, not EVALSHA: inside MULTI a flushed script cache would fail this command alone
                        # and commit the records without their postings
                        pipe.eval(_POST, 0, *posted)
                        if token is not None:  # the claims become the records above
                            pipe.delete(*(f"{self.p}:claim:{doc_id}" for doc_id in records))
                    pipe.set(df_key, df.table.astype(">u4").tobytes())
                    pipe.set(f"{self.p}:df_docs", df.n_docs)
                    if token is not None:
                        pipe.delete(f"{self.p}:claims:{token}")
                    pipe.execute()
                    break
                except redis.WatchError:
                    logger.info("dedup redis: another process committed meanwhile, retrying run %d", run_seq)
        logger.info("dedup redis: committed run %d with %d documents", run_seq, len(docs))

    def close(self) -> None:
        self.r.close()
