"""Signals of the newsdedup run, sent through the crawler's signal manager like Scrapy's own.

    run_opened(run: IngestRun)
        Sent by `IngestPipeline` once the run is open (lake reached, spool recovered, index loaded),
        before the spider's `start()` runs. Sources that need the run's services take them from here
        (the files spider shows text dumps to `run.templates`; the web spider keeps its seen-URL
        state in `run.store`) instead of importing the pipeline. A handler that raises stops the
        crawl before anything is fetched, with the error as the run's failure.
"""

from __future__ import annotations

run_opened = object()
