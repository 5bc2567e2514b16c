"""How items appear in the crawl's log: one line with the URL, never the whole `Article(...)` repr.

Scrapy's default formatter writes the item itself into "Scraped from" / "Dropped" / "Error processing"
messages: for an `Article` that is its raw bytes and its whole text, hundreds of lines per page.
"""

from __future__ import annotations

from typing import Any

from scrapy.logformatter import LogFormatter


def describe(item: Any) -> str:
    """The item's URL when it has one, else its type name."""
    return getattr(item, "url", None) or type(item).__name__


class ItemLineFormatter(LogFormatter):
    """Scrapy's formatter with every item shown as its URL."""

    def scraped(self, item, response, spider):
        result = super().scraped(item, response, spider)
        result["msg"] = "Scraped %(item)s"
        result["args"] = {"item": describe(item)}
        return result

    def dropped(self, item, exception, response, spider):
        result = super().dropped(item, exception, response, spider)
        result["msg"] = "Dropped %(item)s: %(exception)s"
        result["args"] = {"item": describe(item), "exception": exception}
        return result

    def item_error(self, item, exception, response, spider):
        result = super().item_error(item, exception, response, spider)
        result["args"] = {"item": describe(item)}
        return result
