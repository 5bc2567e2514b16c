"""Scrapy settings for newsdedup (the module named in scrapy.cfg).

Defaults here are for a laptop run; scheduled crawls override them with `-s NAME=value` or env.
Web-only politeness settings live with the web spider (`pipeline/crawl/`).
"""

from __future__ import annotations

import os

BOT_NAME = "newsdedup"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "pipeline.commands"

# Where the lake lands: a local folder, file:///PATH or s3://bucket/prefix (credentials from the AWS chain
# only). Any other scheme is refused at start.
LAKE_URI = os.environ.get("NEWSDEDUP_LAKE_URI", "./lake")
# Local spool for Parquet files before they are published; survives a failed upload.
LAKE_SPOOL_DIR = os.environ.get("NEWSDEDUP_SPOOL_DIR", "./.newsdedup-spool")

# CPU-bound work (decode, extract, shingle, sign) runs in this many worker processes (0 = all cores).
EXTRACT_WORKERS = 0
# A document whose extraction takes longer is stopped, its worker replaced, and the page rejected.
EXTRACT_TIMEOUT = 30.0
# Items between a source and the lake at once: bounds memory on large crawls.
MAX_ITEMS_IN_FLIGHT = 64
# Share of a run's inputs that may fail inside the pipeline (internal_error, worker_crashed) before the
# run exits non-zero; their rejects are retryable and the next run tries them again.
INGEST_MAX_ERROR_RATE = 0.2

# The file source: inputs larger than this are rejected unread.
FILES_MAX_BYTES = 10 * 1024 * 1024
# Symlinks that leave the input folder are rejected (`symlink_outside_root`) unless this is true.
FILES_FOLLOW_SYMLINKS = False
# WARC/JSONL inputs read at once (1: one after another); see docs/sources.md.
FILES_PARALLEL_INPUTS = 1
# `-a queue=NAME`: a process that stops renewing its lease for this long is dead: the inputs it popped go
# back to the list (see docs/scaling.md). Keep DEDUP_CLAIM_TTL_SECONDS at most 2/3 of it.
FILES_QUEUE_LEASE_SECONDS = 60.0

# Crawl frontier of the web spider: "memory" (Scrapy's scheduler; JOBDIR resumes a stopped run) or
# "redis" (one queue and dupefilter per source in REDIS_URL, shared by `news` processes on many hosts).
SCHEDULER_BACKEND = "memory"
# A process that stops renewing its lease for this long is dead: the requests it held go back to the queue.
FRONTIER_LEASE_SECONDS = 30.0

# The algorithms' parameters live in configs/*.yaml; any key can also be set here or with -s as
# <SECTION>_<KEY> (DEDUP_BACKEND=redis, DEDUP_NEAR_THRESHOLD=0.85, LAKE_COMPRESSION=snappy): see
# pipeline/options.py for the precedence. REDIS_URL (here from the environment) is dedup.redis_url.
REDIS_URL = os.environ.get("REDIS_URL")

# `-s NAME=value` with a name that neither newsdedup nor Scrapy knows is a warning naming the closest
# known setting; True makes it an error.
STRICT_SETTINGS = False

ITEM_PIPELINES = {"pipeline.pipelines.IngestPipeline": 300}
LOG_FORMATTER = "pipeline.logformatter.ItemLineFormatter"
# No control servers listening on a port: a crawler host is not a place to run code from the network.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.logstats.LogStats": None,
    "pipeline.extensions.QueueLogStats": 0,
    "pipeline.extensions.StartItemsDrain": 0,
    "pipeline.drift_extension.DriftCheck": 400,  # before RunSummary: its alerts reach STATS_FILE
    "pipeline.extensions.RunSummary": 500,
}
# A source's figures past the limits of configs/drift.yaml fail the run (exit 1), not only warn.
DRIFT_FAIL = False
# Optional path: the run's stats as JSON when the crawl ends (for schedulers and benchmarks).
STATS_FILE = None

ROBOTSTXT_OBEY = True
USER_AGENT = "newsdedup/0.1 (+https://github.com/newsdedup/newsdedup)"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = "INFO"
