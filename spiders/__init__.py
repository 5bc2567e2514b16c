"""Sources: spiders that turn files or web pages into `pipeline.items.Article` items."""
