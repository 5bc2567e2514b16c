"""The index survives between runs (lake and Redis backends), and a crashed commit leaves the old state usable."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from pipeline.config import ConfigError
from pipeline.dedup import Deduplicator, open_index
from pipeline.lake.store import LocalStore

from .conftest import seed_doc


@pytest.fixture(params=["lake", "redis"])
def backend(request, tmp_path, config):
    """A factory of fresh `Deduplicator`s over one shared index location, as successive runs would open it."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        config = dataclasses.replace(config, backend="redis", redis_url=url, redis_prefix=f"test:{uuid.uuid4().hex}")
    store = LocalStore(tmp_path / "lake")
    return config, lambda cfg=config: Deduplicator(cfg, open_index(cfg, store))


def test_second_run_links_to_first_run(backend, seed_bodies):
    config, new_run = backend
    d000, d002 = seed_doc(seed_bodies, "000", config), seed_doc(seed_bodies, "002", config)
    run1 = new_run()
    run1.add(*d000)
    assert run1.finish_run().links == []
    run1.commit(run1.finish_run())

    run2 = new_run()
    assert run2.is_known(d000[0]) and not run2.is_known(d002[0])
    run2.add(*d002)
    outcome = run2.finish_run()
    (link,) = outcome.links
    assert (link.doc_id, link.other_doc_id, link.kind) == (d002[0], d000[0], "same_story")
    # the story cluster's representative is the earlier run's document
    assert outcome.assignments[d002[0]].story_id == d000[0]
    run2.commit(run2.finish_run())

    run3 = new_run()
    copy = seed_doc(seed_bodies, "002", config, url="file:///mirror/002.txt")
    run3.add(*copy)
    outcome = run3.finish_run()
    # the copy joins 002's story through 002: a same_story link of its own to 000 would say nothing new
    assert [(link.other_doc_id, link.kind) for link in outcome.links] == [(d002[0], "exact")]
    assignment = outcome.assignments[copy[0]]
    assert (assignment.near_dup_of, assignment.story_id) == (d002[0], d000[0])


def test_reingesting_a_known_document_adds_nothing(backend, seed_bodies):
    config, new_run = backend
    doc = seed_doc(seed_bodies, "001", config)
    run1 = new_run()
    run1.add(*doc)
    run1.commit(run1.finish_run())
    run2 = new_run()
    assert run2.is_known(doc[0])
    run2.add(*doc)
    assert run2.finish_run().assignments == {}
    assert run2.finish_run().links == []


def test_crash_during_commit_keeps_previous_state(tmp_path, config, seed_bodies):
    store = LocalStore(tmp_path / "lake")
    run1 = Deduplicator(config, open_index(config, store))
    d000 = seed_doc(seed_bodies, "000", config)
    run1.add(*d000)
    run1.commit(run1.finish_run())

    class CrashingStore(LocalStore):
        def write_bytes(self, key, data):
            if key.endswith("manifest.json"):
                raise OSError("disk full")
            super().write_bytes(key, data)

    run2 = Deduplicator(config, open_index(config, CrashingStore(tmp_path / "lake")))
    d003 = seed_doc(seed_bodies, "003", config)
    run2.add(*d003)
    with pytest.raises(OSError):
        run2.commit(run2.finish_run())

    run3 = Deduplicator(config, open_index(config, store))
    assert run3.is_known(d000[0]) and not run3.is_known(d003[0])
    run3.add(*seed_doc(seed_bodies, "002", config))
    run3.add(*d003)
    assert [link.other_doc_id for link in run3.finish_run().links] == [d000[0]]
    run3.commit(run3.finish_run())
    assert Deduplicator(config, open_index(config, store)).is_known(d003[0])


def test_state_built_with_other_signature_parameters_is_refused(backend, seed_bodies):
    config, new_run = backend
    run1 = new_run()
    run1.add(*seed_doc(seed_bodies, "000", config))
    run1.commit(run1.finish_run())
    with pytest.raises(ConfigError, match="num_perm"):
        new_run(dataclasses.replace(config, num_perm=64))


def test_redis_backend_without_url_fails_at_start_up(config):
    with pytest.raises(ConfigError, match="REDIS_URL"):
        open_index(dataclasses.replace(config, backend="redis"), None)


def test_variant_in_a_later_run_is_near_duplicate_of_stored_minhash(backend, seed_bodies):
    from pipeline.dedup import compute_signature, make_doc_id

    from .test_links import _variant

    config, new_run = backend
    original = seed_doc(seed_bodies, "004", config)
    run1 = new_run()
    run1.add(*original)
    run1.commit(run1.finish_run())
    sig = compute_signature(_variant(seed_bodies["004"]), "ar", config)
    variant = (make_doc_id("https://other.example/x", sig.content_hash), "https://other.example/x", sig)
    run2 = new_run()
    run2.add(*variant)
    outcome = run2.finish_run()
    (link,) = outcome.links
    assert (link.doc_id, link.other_doc_id, link.kind) == (variant[0], original[0], "near_duplicate")
    # the lake keeps 16-bit MinHash values: the estimate equals the full 32-bit one here
    assert link.similarity == pytest.approx(float((sig.near_values == original[2].near_values).mean()))
    assert outcome.assignments[variant[0]].near_dup_of == original[0]
