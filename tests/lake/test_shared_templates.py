"""Site templates of several runs on one lake are merged, not overwritten; a killed run's are merged on recovery."""

from __future__ import annotations

import pytest

from pipeline.dedup import DedupConfig, Deduplicator, open_index
from pipeline.extract import SiteTemplates
from pipeline.lake import LakeConfig, LakeUnavailable, LakeWriter, open_store
from pipeline.shared_templates import LOG_NAME, TEMPLATES_KEY, load_templates, store_templates
from tests.lake.rows import DAY, article, recover
from tests.lake.test_recovery import failing_commit, ingest


def page(site: str, i: int) -> str:
    """A text dump of one page of `site`: its menu and footer lines around a body of its own."""
    return "\n".join([f"الرئيسية أخبار {site} رياضة اقتصاد", f"آخر الأخبار من موقع {site}", f"اتصل بنا {site} سياسة الخصوصية",
                      f"خبر رقم {i} من {site}: " + " ".join(f"كلمة{i * 7 + k}" for k in range(12)),
                      f"حقوق النشر محفوظة لموقع {site} ٢٠٢٤"])  # fmt: skip


def stored(store) -> str:
    return store.read_bytes(TEMPLATES_KEY).decode("utf-8")


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return open_store(str(tmp_path / "lake"))
    return open_store(f"s3://{request.getfixturevalue('moto_bucket')}/news", LakeConfig())


def test_runs_that_learned_from_different_pages_store_the_templates_of_both(store, tmp_path):
    known = SiteTemplates()
    for i in range(3):
        known.observe("file", page("one.example", i))
    store.write_bytes(TEMPLATES_KEY, known.to_json().encode())
    first, second = (load_templates(store, tmp_path / f"{name}-{LOG_NAME}") for name in ("first", "second"))
    for i in range(3, 6):  # both started from the same stored templates, on different hosts' pages
        first.observe("file", page("one.example", i))
        second.observe("file", page("two.example", i))
    assert not store_templates(store, first.log, first)
    assert store_templates(store, second.log, second)  # the first had stored: the second merges into it
    reference = SiteTemplates.from_json(known.to_json())
    for i in range(3, 6):
        reference.observe("file", page("one.example", i))
    for i in range(3, 6):
        reference.observe("file", page("two.example", i))
    assert stored(store) == reference.to_json()
    assert SiteTemplates.from_json(stored(store)).template_keys("file", page("two.example", 9))


def test_a_killed_runs_templates_are_merged_by_the_run_that_recovers_it(tmp_path):
    store = open_store(str(tmp_path / "lake"))
    writer = LakeWriter(store, run_id="r1", ingest_date=DAY, spool_dir=tmp_path / "spool", config=LakeConfig())
    learned = load_templates(store, writer.run.path / LOG_NAME)
    for i in range(4):
        learned.observe("file", page("one.example", i))
    with pytest.raises(LakeUnavailable):
        ingest(writer, Deduplicator(DedupConfig(), open_index(DedupConfig(), store)), [article(1, "r1")],
               commit=failing_commit)  # fmt: skip
    assert store.read_bytes(TEMPLATES_KEY) is None
    recover(LakeWriter(store, run_id="r2", ingest_date=DAY, spool_dir=tmp_path / "spool", config=LakeConfig()))
    assert stored(store) == learned.to_json()
