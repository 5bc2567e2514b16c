"""What the file sources need to know: JSONL field names and WARC page types, limits from settings.

`SourcesConfig` is built from the sections of `configs/sources.yaml` (merged over the config layers by
`pipeline.options.configured_sources`; unknown keys are errors); `SourceOptions` is what a reader is
given: the config plus the per-run limits a crawl takes from its settings (`FILES_MAX_BYTES`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline.config import ConfigError, build

if TYPE_CHECKING:
    from pipeline.lake.config import LakeConfig

FILENAME = "sources.yaml"


@dataclass(frozen=True)
class JsonlFields:
    """Which key of a JSON line holds what; `None` for an optional field the export does not have."""

    url: str = "url"
    html: str = "html"
    text: str = "text"
    title: str | None = "title"
    published_at: str | None = "published_at"
    language: str | None = "language"
    # the site a line comes from (per-site templates and reports); without it, the URL's host
    source: str | None = None


@dataclass(frozen=True)
class WarcConfig:
    """Which WARC responses are pages: HTTP (or, without one, identified payload) content types."""

    html_types: tuple[str, ...] = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class SourcesConfig:
    jsonl: JsonlFields = field(default_factory=JsonlFields)
    warc: WarcConfig = field(default_factory=WarcConfig)


SECTIONS = {"jsonl": JsonlFields, "warc": WarcConfig}


def sources_config(sections: dict[str, Any], where: str = FILENAME) -> SourcesConfig:
    """`SourcesConfig` from a mapping of sections (`jsonl`, `warc`) to their keys; unknown names are errors."""
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        raise ConfigError(f"{where}: unknown section(s) {', '.join(unknown)}; known sections are {', '.join(SECTIONS)}")
    return SourcesConfig(**{name: build(cls, sections.get(name), where=f"{where}:{name}") for name, cls in SECTIONS.items()})


@dataclass(frozen=True)
class SourceOptions:
    """How inputs are listed and read in one run."""

    max_bytes: int = 10 * 1024 * 1024  # one document: a file, a WARC record's payload, a JSON line
    follow_symlinks: bool = False  # follow symlinks that leave the input folder
    parallel_inputs: int = 1  # WARC/JSONL inputs read at once (1: one after another)
    config: SourcesConfig = field(default_factory=SourcesConfig)
    s3_config: LakeConfig | None = None  # s3:// inputs: the S3 client's retries and timeouts, the lake's

    def __post_init__(self) -> None:
        if self.max_bytes < 1:
            raise ConfigError(f"max_bytes must be positive, got {self.max_bytes}")
        if self.parallel_inputs < 1:
            raise ConfigError(f"parallel_inputs must be at least 1, got {self.parallel_inputs}")
