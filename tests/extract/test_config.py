"""`ExtractConfig` loads from configs/extract.yaml; unknown keys and inconsistent values fail at start-up."""

from __future__ import annotations

import pytest

from pipeline.config import ConfigError, load_section
from pipeline.extract import ExtractConfig
from pipeline.options import configured


def test_packaged_config_loads():
    assert isinstance(configured(ExtractConfig), ExtractConfig)


def test_unknown_key_is_an_error(tmp_path):
    (tmp_path / "extract.yaml").write_text("min_body_wrds: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="min_body_wrds"):
        load_section(ExtractConfig, "extract.yaml", directory=tmp_path)


def test_inconsistent_thresholds_are_an_error(tmp_path):
    (tmp_path / "extract.yaml").write_text("template_min_pages: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="template_min_pages"):
        load_section(ExtractConfig, "extract.yaml", directory=tmp_path)
