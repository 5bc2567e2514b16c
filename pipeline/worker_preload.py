"""Imported once by the worker pool's forkserver: everything a worker needs, loaded before workers fork from it.

`_init_worker` with default configs loads the models, stoplists, frequency tables and compiled kernels
and freezes them out of the collector, so each forked worker starts with them in memory, shared
copy-on-write; the run's own configs reach each worker through its initializer.
"""

from pipeline.dedup import DedupConfig
from pipeline.extract import ExtractConfig
from pipeline.workers import _init_worker, _worker_state

_init_worker(ExtractConfig(), DedupConfig(), None)
_worker_state.clear()
