"""newsdedup: news ingestion with boilerplate removal, MinHash deduplication and a Parquet lake.

The subpackages `extract`, `dedup` and `lake` are plain libraries (no Scrapy import);
`pipeline.pipelines`, `pipeline.settings` and the `spiders` package wire them into Scrapy.
"""
