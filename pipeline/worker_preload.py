"""Imported once by the worker pool's forkserver: everything a worker needs, loaded before workers fork from it.

The models, stoplists, frequency tables and compiled kernels load here (`workers._warm_up`, with default
configs: the run's own configs reach each worker through its initializer), so each forked worker starts
with them in memory, shared copy-on-write.
"""

from pipeline.dedup import DedupConfig
from pipeline.extract import ExtractConfig
from pipeline.workers import _warm_up, _worker_state

_worker_state.update(extract_config=ExtractConfig(), dedup_config=DedupConfig(), templates_path=None)
_warm_up()
_worker_state.clear()
