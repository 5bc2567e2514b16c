"""One configuration path: the YAML files and the settings, merged once into the `RunOptions` of a run.

Precedence, lowest first; each layer overrides the keys it sets:

1. the defaults of the config dataclasses (`ExtractConfig`, `DedupConfig`, `LakeConfig`);
2. the packaged `configs/extract.yaml`, `configs/dedup.yaml`, `configs/lake.yaml`;
3. the same files in `$NEWSDEDUP_CONFIG_DIR`, key by key (a file there only needs what it changes);
4. settings named `<SECTION>_<KEY>` (`DEDUP_BACKEND`, `DEDUP_NEAR_THRESHOLD`, `LAKE_COMPRESSION`, ...)
   and the alias `REDIS_URL` for `dedup.redis_url`. In a crawl these are Scrapy settings, in Scrapy's
   own order: the project settings module (where env `REDIS_URL`, `NEWSDEDUP_LAKE_URI` and
   `NEWSDEDUP_SPOOL_DIR` come in), then a spider's settings, then `-s NAME=VALUE` (Scrapyd's `setting=`).

The run itself (`LAKE_URI`, `LAKE_SPOOL_DIR`, `EXTRACT_WORKERS`, `EXTRACT_TIMEOUT`,
`INGEST_MAX_ERROR_RATE`) is configured by settings only. Settings are read through `.get(name)`, so a
Scrapy `Settings` and a plain dict both work: `IngestRun(run_options({"LAKE_URI": "./lake"}))` in a notebook.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pipeline.config import ConfigError, build, layered_sections, layered_values
from pipeline.dedup import DedupConfig
from pipeline.extract import ExtractConfig
from pipeline.lake import LakeConfig
from pipeline.report.drift import DriftConfig

if TYPE_CHECKING:
    from pipeline.sources.config import SourcesConfig

T = TypeVar("T")

# Each algorithm's dataclass: its YAML file and the prefix of the settings that override its keys.
SECTIONS: dict[type, tuple[str, str]] = {
    ExtractConfig: ("extract.yaml", "EXTRACT"),
    DedupConfig: ("dedup.yaml", "DEDUP"),
    LakeConfig: ("lake.yaml", "LAKE"),
    DriftConfig: ("drift.yaml", "DRIFT"),  # DRIFT_FAIL, the run's verdict, is a setting of its own
}
ALIASES = {"REDIS_URL": (DedupConfig, "redis_url")}  # shared with the crawl's Redis components

LAKE_FORMS = "a local path, file:///PATH or s3://BUCKET[/PREFIX]"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


class SettingsLike(Protocol):
    def get(self, name: str, default: Any = None) -> Any: ...


@dataclass(frozen=True)
class RunOptions:
    """What a run needs to know: where the lake is, how to work, and each algorithm's configuration."""

    lake_uri: str = "./lake"
    spool_dir: str = "./.newsdedup-spool"
    workers: int = 0  # extraction processes; 0 = the cores this process may use
    doc_timeout: float = 30.0  # seconds per document before its worker is replaced
    max_error_rate: float = 0.2  # share of inputs failing inside the pipeline above which the run fails
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    lake: LakeConfig = field(default_factory=LakeConfig)

    def __post_init__(self) -> None:
        check_lake_uri(self.lake_uri)
        if self.workers < 0:
            raise ConfigError(f"EXTRACT_WORKERS must be 0 (all cores) or more, got {self.workers}")
        if self.doc_timeout <= 0:
            raise ConfigError(f"EXTRACT_TIMEOUT must be a positive number of seconds, got {self.doc_timeout}")
        if not 0.0 <= self.max_error_rate <= 1.0:
            raise ConfigError(f"INGEST_MAX_ERROR_RATE must be a share between 0 and 1, got {self.max_error_rate}")
        if self.dedup.backend == "redis" and not self.dedup.redis_url:
            raise ConfigError("DEDUP_BACKEND=redis needs REDIS_URL (a setting or env), or redis_url in dedup.yaml")


# Settings that configure the run itself, onto `RunOptions` fields.
RUN_SETTINGS = {
    "LAKE_URI": "lake_uri",
    "LAKE_SPOOL_DIR": "spool_dir",
    "EXTRACT_WORKERS": "workers",
    "EXTRACT_TIMEOUT": "doc_timeout",
    "INGEST_MAX_ERROR_RATE": "max_error_rate",
}


def check_lake_uri(uri: str) -> str:
    """`uri` when it names a lake this project can write, else `ConfigError` listing the supported forms."""
    if not isinstance(uri, str) or not uri.strip():
        raise ConfigError(f"LAKE_URI is empty; give {LAKE_FORMS}")
    match = _SCHEME.match(uri)
    if match is None:
        return uri  # a local path
    scheme = match.group(1)
    if scheme in ("s3", "file"):
        rest = uri[len(scheme) + 1 :]
        if not rest.startswith("//") or (scheme == "s3" and not rest[2:].split("/", 1)[0]):
            raise ConfigError(f"LAKE_URI {uri!r} is not a valid {scheme} URI; give {LAKE_FORMS}")
        return uri
    if scheme.lower() in ("s3", "file"):
        raise ConfigError(f"LAKE_URI {uri!r}: schemes are lower-case ({scheme.lower()}://); give {LAKE_FORMS}")
    hint = "" if "//" in uri else f" (for a local folder of that name: ./{uri})"
    raise ConfigError(f"LAKE_URI {uri!r} has an unsupported scheme {scheme!r}; give {LAKE_FORMS}{hint}")


def section_setting_names(cls: type) -> dict[str, str]:
    """Setting name -> field name for the keys of one config dataclass, e.g. DEDUP_NEAR_THRESHOLD."""
    prefix = SECTIONS[cls][1]
    return {f"{prefix}_{f.name.upper()}": f.name for f in dataclasses.fields(cls)}


def setting_names() -> set[str]:
    """Every setting name this module reads (for the misspelt-setting check)."""
    names = set(RUN_SETTINGS) | set(ALIASES)
    for cls in SECTIONS:
        names |= set(section_setting_names(cls))
    return names


def _coerce(value: Any, default: Any, name: str) -> Any:
    """A setting's value as the type of the field's default (values given with `-s` are strings)."""
    if not isinstance(value, str) or isinstance(default, str) or default is None:
        return value
    text = value.strip()
    try:
        if isinstance(default, bool):
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError("not a boolean")
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        kind = {bool: "true or false", int: "an integer", float: "a number"}[type(default)]
        raise ConfigError(f"{name} must be {kind}, got {value!r}") from None
    if isinstance(default, tuple):
        return tuple(part.strip() for part in text.split(",") if part.strip())
    return value


def _overrides(settings: SettingsLike, names: dict[str, str], defaults: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for name, key in names.items():
        value = settings.get(name)
        if value is not None:
            yield key, _coerce(value, defaults.get(key), name)


def _defaults(cls: type) -> dict[str, Any]:
    return {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}


def configured(cls: type[T], settings: SettingsLike | None = None) -> T:
    """One algorithm's configuration (`ExtractConfig`, `DedupConfig` or `LakeConfig`) from every layer."""
    settings = settings if settings is not None else {}
    filename, _ = SECTIONS[cls]
    values = layered_values(cls, filename)
    # A shared alias (REDIS_URL) first, so that the section's own name (DEDUP_REDIS_URL) wins.
    names = {alias: key for alias, (owner, key) in ALIASES.items() if owner is cls} | section_setting_names(cls)
    values.update(_overrides(settings, names, _defaults(cls)))
    return build(cls, values, where=f"{filename} with settings")


def configured_sources() -> SourcesConfig:
    """The file sources' configuration: `sources.yaml` of every config layer, section by section, key by key."""
    # Imported here: the `pipeline.sources` package (WARC, JSONL, S3 readers) is the files spider's alone.
    from pipeline.sources.config import FILENAME, sources_config

    return sources_config(layered_sections(FILENAME), where=f"{FILENAME} (packaged configs/ and $NEWSDEDUP_CONFIG_DIR)")


def run_options(settings: SettingsLike | None = None) -> RunOptions:
    """The options of one run, from the YAML layers and `settings`; `ConfigError` says what to change."""
    settings = settings if settings is not None else {}
    values = dict(_overrides(settings, RUN_SETTINGS, _defaults(RunOptions)))
    return RunOptions(
        extract=configured(ExtractConfig, settings),
        dedup=configured(DedupConfig, settings),
        lake=configured(LakeConfig, settings),
        **values,
    )
