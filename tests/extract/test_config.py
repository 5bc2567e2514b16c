"""`ExtractConfig` loads from configs/extract.yaml; unknown keys and inconsistent values fail at start-up."""

from __future__ import annotations

import pytest

from pipeline.config import ConfigError
from pipeline.extract import ExtractConfig
from pipeline.options import configured


def test_packaged_config_loads():
    assert isinstance(configured(ExtractConfig), ExtractConfig)


def test_unknown_key_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSDEDUP_CONFIG_DIR", str(tmp_path))
    (tmp_path / "extract.yaml").write_text("min_body_wrds: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="min_body_wrds"):
        configured(ExtractConfig)


def test_inconsistent_thresholds_are_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSDEDUP_CONFIG_DIR", str(tmp_path))
    (tmp_path / "extract.yaml").write_text("template_min_pages: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="template_min_pages"):
        configured(ExtractConfig)
