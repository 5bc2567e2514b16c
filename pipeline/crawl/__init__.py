"""Scrapy components of the web source: safety guards, robots.txt, canonical URLs, feeds, crawl state.

Used by `spiders/news.py` only; the file source and the library rooms never import this package.
"""
