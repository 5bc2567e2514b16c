"""One configuration path (#12 item 10): YAML layers and settings merged once, in a documented order.

Before, `backend:` in configs/dedup.yaml could never take effect (the project settings always said
`DEDUP_BACKEND = "lake"`), YAML was read in three places, and the seen-URL store used Redis whenever
REDIS_URL was set, whatever the backend.
"""

from __future__ import annotations

import pytest
from scrapy.utils.project import get_project_settings

from pipeline import config
from pipeline.config import ConfigError
from pipeline.crawl.seen import LakeSeenStore, RedisSeenStore, open_seen_store
from pipeline.dedup import DedupConfig
from pipeline.extract import ExtractConfig
from pipeline.lake.store import LocalStore
from pipeline.options import check_lake_uri, configured, run_options
from tests.crawl import SEEDS, read_dataset, run_crawl


@pytest.fixture
def layers(tmp_path, monkeypatch):
    """A packaged config dir and a user one (NEWSDEDUP_CONFIG_DIR), both empty."""
    packaged, user = tmp_path / "packaged", tmp_path / "user"
    packaged.mkdir()
    user.mkdir()
    monkeypatch.setattr(config, "DEFAULT_CONFIG_DIR", packaged)
    monkeypatch.setenv("NEWSDEDUP_CONFIG_DIR", str(user))
    return packaged, user


def test_each_layer_overrides_only_the_keys_it_sets(layers):
    packaged, user = layers
    (packaged / "dedup.yaml").write_text("near_threshold: 0.7\nstory_threshold: 0.05\n", encoding="utf-8")
    (user / "dedup.yaml").write_text("near_threshold: 0.75\n", encoding="utf-8")
    assert configured(DedupConfig) == DedupConfig(near_threshold=0.75, story_threshold=0.05)
    from_settings = configured(DedupConfig, {"DEDUP_NEAR_THRESHOLD": "0.9"})  # -s values are strings
    assert (from_settings.near_threshold, from_settings.story_threshold) == (0.9, 0.05)


def test_redis_url_alias_loses_to_the_sections_own_name(layers):
    got = configured(DedupConfig, {"REDIS_URL": "redis://alias", "DEDUP_REDIS_URL": "redis://own"})
    assert got.redis_url == "redis://own"
    assert configured(DedupConfig, {"REDIS_URL": "redis://alias"}).redis_url == "redis://alias"


def test_an_unknown_key_names_the_file_that_has_it(layers):
    _, user = layers
    (user / "extract.yaml").write_text("min_body_wrds: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"{user / 'extract.yaml'}: unknown key.*min_body_wrds"):
        configured(ExtractConfig)


def test_backend_in_dedup_yaml_takes_effect_under_the_project_settings(layers):
    _, user = layers
    (user / "dedup.yaml").write_text("backend: redis\nredis_url: redis://127.0.0.1:1/0\n", encoding="utf-8")
    assert run_options(get_project_settings()).dedup.backend == "redis"


@pytest.mark.parametrize("uri", ["./lake", "/srv/lake", "lake", "file:///srv/lake", "s3://bucket", "s3://bucket/news/x"])
def test_supported_lake_uris(uri):
    assert check_lake_uri(uri) == uri


@pytest.mark.parametrize("uri,message", [
    ("s4://bucket/x", "unsupported scheme 's4'"),
    ("S3://bucket/x", "lower-case"),
    ("s3:/bucket/x", "not a valid s3 URI"),
    ("s3:///x", "not a valid s3 URI"),
    ("gs://bucket", "unsupported scheme 'gs'"),
    ("lake:2024", "for a local folder of that name: ./lake:2024"),
    ("", "empty"),
])
def test_unsupported_lake_uris_list_the_supported_forms(uri, message):
    with pytest.raises(ConfigError, match="s3://BUCKET") as refused:
        check_lake_uri(uri)
    assert message in str(refused.value)


def test_the_seen_url_store_follows_the_dedup_backend_not_redis_url(tmp_path, redis_url):
    store = LocalStore(tmp_path / "lake")
    assert isinstance(open_seen_store("site", store, "lake", redis_url), LakeSeenStore)
    assert isinstance(open_seen_store("site", store, "redis", redis_url), RedisSeenStore)


def test_a_crawl_uses_the_backend_of_its_config_dir(tmp_path, redis_url):
    import redis

    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "dedup.yaml").write_text(f"backend: redis\nredis_url: {redis_url}\nredis_prefix: yaml-backend\n",
                                        encoding="utf-8")
    result = run_crawl("files", tmp_path / "lake", f"path={SEEDS / '000_3b93ccf9d086253d.txt'}",
                       spool=tmp_path / "spool", env={"NEWSDEDUP_CONFIG_DIR": str(configs)})
    assert result.returncode == 0, result.stderr[-3000:]
    assert read_dataset(tmp_path / "lake", "articles").num_rows == 1
    assert not (tmp_path / "lake" / "_state" / "dedup").exists()  # the index lives in Redis
    assert redis.Redis.from_url(redis_url).keys("yaml-backend:*")
