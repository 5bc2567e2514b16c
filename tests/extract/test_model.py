"""The learned block classifier: our tree walk equals LightGBM's own prediction, the shipped models load,
and nothing the text mode is given makes it raise anything but `Rejected`."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import Rejected
from pipeline.extract import extract_text
from pipeline.extract.blocks import split_blocks
from pipeline.extract.config import ExtractConfig
from pipeline.extract.features import FEATURE_NAMES, block_features
from pipeline.extract.headline import HEADLINE_FEATURES
from pipeline.extract.model import MODEL_FILES, TreeModel, shipped_model
from pipeline.extract.text import extract_dump
from pipeline.text.language import stopwords


def test_tree_walk_matches_lightgbm(tmp_path):
    lightgbm = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2000, 6))
    x[:, 2] = rng.integers(0, 3, size=2000)  # a few repeated values, as counts and flags are
    y = ((x[:, 0] + x[:, 1] * x[:, 2] + rng.normal(scale=0.5, size=2000)) > 0.5).astype(float)
    params = {"objective": "binary", "num_leaves": 15, "seed": 1, "deterministic": True, "num_threads": 1,
              "verbosity": -1}
    booster = lightgbm.train(params, lightgbm.Dataset(x, y), num_boost_round=40)
    model = TreeModel.from_lightgbm_dump(booster.dump_model(), {"test": True})
    probe = np.vstack([rng.normal(size=(500, 6)), x[:50]])
    np.testing.assert_allclose(model.predict(probe), booster.predict(probe), rtol=1e-9, atol=1e-12)
    model.save(tmp_path / "m.npz")
    restored = TreeModel.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(restored.predict(probe), model.predict(probe))
    assert restored.info == {"test": True}


def test_averaged_model_is_the_mean_of_the_boosters_raw_scores():
    lightgbm = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(11)
    x = rng.normal(size=(1500, 5))
    y = ((x[:, 0] - x[:, 3] + rng.normal(scale=0.7, size=1500)) > 0).astype(float)
    boosters = [lightgbm.train({"objective": "binary", "num_leaves": 7, "seed": seed, "bagging_fraction": 0.7,
                                "bagging_freq": 1, "deterministic": True, "num_threads": 1, "verbosity": -1},
                               lightgbm.Dataset(x, y), num_boost_round=25 + 10 * seed) for seed in (1, 2, 3)]
    model = TreeModel.averaged([TreeModel.from_lightgbm_dump(b.dump_model(), {}) for b in boosters], {"seeds": 3})
    probe = rng.normal(size=(400, 5))
    raw = np.mean([b.predict(probe, raw_score=True) for b in boosters], axis=0)
    np.testing.assert_allclose(model.predict(probe), 1.0 / (1.0 + np.exp(-raw)), rtol=1e-9, atol=1e-12)
    assert len(model.roots) == sum(b.num_trees() for b in boosters) and model.info == {"seeds": 3}


@pytest.mark.parametrize("kind, names", [("blocks", FEATURE_NAMES), ("headlines", HEADLINE_FEATURES)])
def test_shipped_models_load_once_and_match_the_code(kind, names):
    model = shipped_model(kind)
    assert model is shipped_model(kind)  # loaded once per process
    assert model.feature_names == names
    assert model.info["train_pages"] > 100 and "lightgbm" in model.info
    assert len(model.roots) > 10


def test_shipped_model_files_are_small():
    from importlib import resources

    for name in MODEL_FILES.values():
        size = (resources.files("pipeline.extract") / "models" / name).stat().st_size
        assert size < 1_000_000, f"{name} is {size} bytes"


def test_region_rule_comes_with_the_model():
    info = shipped_model("blocks").info["region"]
    assert set(info) == {"threshold", "exponent", "keep", "relative", "extend", "cut_at_cue"}


def test_probabilities_are_probabilities_on_a_real_dump(seed_bytes):
    dump = max(seed_bytes.values(), key=len).decode("utf-8")
    probs = shipped_model("blocks").predict(block_features(split_blocks(dump, stopwords("ar"))))
    assert probs.shape[0] > 10 and np.all((probs >= 0) & (probs <= 1))


_lines = st.lists(st.one_of(st.text(max_size=300), st.sampled_from([
    "", "•", "Reply", "Accept all cookies", "Read more: another story", "١٢٣", "2024", "| Site | Menu |",
    "This sentence reads like the paragraph of an article, with enough words in it to count as text.",
])), max_size=60)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_lines, st.sampled_from(["\n", "\n\n", "\r\n"]))
def test_text_mode_never_raises_on_arbitrary_text(lines, separator):
    dump = separator.join(lines)
    result = extract_dump(dump, ExtractConfig())
    assert all(isinstance(p, str) and p for p in result.paragraphs)
    try:
        extracted = extract_text(dump)
    except Rejected as rejected:
        assert rejected.reason == "no_article"
    else:
        assert extracted.text.strip()
