"""Configuration: YAML onto frozen dataclasses, and a crawl that refuses to start on a bad config."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest

from pipeline.config import ConfigError, build
from tests.crawl import REPO, SEEDS, run_crawl


@dataclass(frozen=True)
class Example:
    threshold: float = 0.5
    names: tuple = ()


def test_build_maps_values_and_rejects_unknown_keys():
    assert build(Example, {"threshold": 0.8, "names": ["a", "b"]}) == Example(0.8, ("a", "b"))
    with pytest.raises(ConfigError, match="unknown key.*treshold.*known keys are names, threshold"):
        build(Example, {"treshold": 0.8})


def test_crawl_with_a_misspelt_config_key_exits_non_zero_and_says_which(tmp_path):
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    with (configs / "dedup.yaml").open("a", encoding="utf-8") as fh:
        fh.write("near_treshold: 0.9\n")
    result = run_crawl("files", tmp_path / "lake", f"path={SEEDS}", env={"NEWSDEDUP_CONFIG_DIR": str(configs)})
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("newsdedup: configuration error: ")
    assert "near_treshold" in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "lake" / "articles").exists()
