"""Seeing what happened in a lake: aggregates (DuckDB over the lake's Arrow datasets), the HTML report, drift rules.

No Scrapy here: `pipeline/drift_extension.py` runs the drift check after a crawl, `pipeline/cli.py`
prints summaries and writes the report.
"""
