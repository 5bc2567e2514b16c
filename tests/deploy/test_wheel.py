"""The built wheel in a clean venv runs `scrapy crawl files` from a directory that is not a checkout."""

from __future__ import annotations

import json
import logging
import time

import pytest

from tests.deploy.support import GOLD, SAME_STORY_SEEDS, run, read_dataset, seed_links

logger = logging.getLogger(__name__)


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory):
    """An empty working directory with no scrapy.cfg anywhere above it."""
    return tmp_path_factory.mktemp("elsewhere")


def test_installed_package_carries_its_configs(installed, elsewhere):
    probe = "import json, os, pipeline.config as c; d = c.config_dirs()[0]; "
    probe += "print(json.dumps([c.__file__, str(d), os.listdir(d)]))"
    found = run([installed.bin / "python", "-c", probe], cwd=elsewhere, env=installed.env).stdout
    module, config_dir, listed = json.loads(found)
    site_packages = str(installed.root / "lib")
    assert module.startswith(site_packages), f"pipeline imported from {module}, not the venv"
    assert config_dir.startswith(site_packages) and config_dir.endswith("pipeline/_configs")
    assert {"dedup.yaml", "extract.yaml", "lake.yaml", "sources"} <= set(listed)


def test_crawl_files_from_any_directory(installed, elsewhere, seed_inputs):
    logger.info("clean venv with the wheel installed in %.0f s", installed.install_seconds)
    env = {**installed.env, "SCRAPY_SETTINGS_MODULE": "pipeline.settings"}  # the one documented setting
    started = time.monotonic()
    run([installed.bin / "scrapy", "crawl", "files", "-a", f"path={seed_inputs}", "-s", "LAKE_URI=lake",
         "-s", "EXTRACT_WORKERS=1"], cwd=elsewhere, env=env)
    logger.info("scrapy crawl files over the 5 seeds from the installed wheel: %.1f s", time.monotonic() - started)
    lake = elsewhere / "lake"  # a relative LAKE_URI (like the default ./lake) is the working directory's
    assert sorted(row["url"].rsplit("/", 1)[-1] for row in read_dataset(lake, "articles")) == sorted(GOLD["documents"])
    assert seed_links(lake) == [("same_story", SAME_STORY_SEEDS)]
    run([installed.bin / "newsdedup", "summary", "--lake", "lake"], cwd=elsewhere, env=installed.env)
