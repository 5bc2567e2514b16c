"""YAML onto frozen config dataclasses; unknown keys are errors.

Each algorithm owns one frozen dataclass with defaults (e.g. `DedupConfig`); this module only maps
YAML onto it, so a typo in a config file fails at start-up with a message naming the key and file.
`pipeline/options.py` is the one place that calls it for a run (the layers and their precedence are
described there); the algorithm packages never read YAML themselves.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")

# An installed package carries the top-level configs/ as pipeline/_configs (setup.py maps it in).
PACKAGED_CONFIG_DIR = Path(__file__).resolve().parent / "_configs"
CHECKOUT_CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
DEFAULT_CONFIG_DIR = PACKAGED_CONFIG_DIR if PACKAGED_CONFIG_DIR.is_dir() else CHECKOUT_CONFIG_DIR


class ConfigError(ValueError):
    """A configuration file or value that cannot be used; the message says what to change."""


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Parse one YAML file into a mapping (an empty file is an empty mapping)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def check_keys(cls: type, values: dict[str, Any], where: str) -> None:
    """Raise `ConfigError` naming the keys of `values` that are not fields of dataclass `cls`."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"{where or cls.__name__}: unknown key(s) {', '.join(unknown)}; known keys are {', '.join(sorted(known))}"
        )


def build(cls: type[T], values: dict[str, Any] | None, *, where: str = "") -> T:
    """Instantiate dataclass `cls` from `values`, rejecting unknown keys and coercing sequences to tuples."""
    values = dict(values or {})
    check_keys(cls, values, where)
    for key, value in values.items():
        if isinstance(value, list):
            values[key] = tuple(value)
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where or cls.__name__}: {exc}") from exc


def config_dirs() -> list[Path]:
    """The YAML layers, lowest first: the packaged `configs/`, then env `NEWSDEDUP_CONFIG_DIR` if set."""
    dirs = [DEFAULT_CONFIG_DIR]
    override = os.environ.get("NEWSDEDUP_CONFIG_DIR")
    if override and Path(override).resolve() != DEFAULT_CONFIG_DIR:
        dirs.append(Path(override))
    return dirs


def _layers(filename: str) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, mapping) of `filename` in every config dir that has it, lowest layer first."""
    for directory in config_dirs():
        path = directory / filename
        if path.exists():
            yield path, read_yaml(path)


def layered_values(cls: type, filename: str) -> dict[str, Any]:
    """The keys of `filename` in every config dir, later dirs overriding earlier ones key by key.

    A user's config dir only needs the keys it changes; each file's unknown keys fail with its path.
    """
    values: dict[str, Any] = {}
    for path, data in _layers(filename):
        check_keys(cls, data, str(path))
        values.update(data)
    return values


def layered_sections(filename: str) -> dict[str, dict[str, Any]]:
    """Like `layered_values` for a file of sections (`section: {key: value}`): merged section by section, key by key."""
    sections: dict[str, dict[str, Any]] = {}
    for path, data in _layers(filename):
        for name, keys in data.items():
            if keys is not None and not isinstance(keys, dict):
                raise ConfigError(f"{path}: section {name!r} must be a mapping of keys, got {type(keys).__name__}")
            sections.setdefault(name, {}).update(keys or {})
    return sections
