"""Project Scrapy commands (COMMANDS_MODULE): `crawl` exits non-zero when a run failed."""
