"""The learned block classifier: gradient-boosted trees trained with LightGBM, evaluated here.

The model ships as package data (`pipeline/extract/models/blocks-v<N>.npz`): the trees as flat arrays
(split feature, threshold, children, leaf values) plus the feature names they were trained on and how
they were trained. It is evaluated by a compiled walk over the trees rather than by LightGBM itself:
importing lightgbm pulls in scipy and pandas (~115 MB of RSS in every worker), while the trees are a
few hundred KB. `tests/extract/test_model.py` checks that both give the same probabilities.
`bench/train_extractor.py` (`make train-extractor`) trains and exports it reproducibly.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from importlib import resources

import numba
import numpy as np

from pipeline.extract.features import FEATURE_NAMES
from pipeline.extract.headline import HEADLINE_FEATURES

logger = logging.getLogger(__name__)

MODEL_VERSION = 1
# The block classifier and the headline ranker, trained together by bench/train_extractor.py.
MODEL_FILES = {"blocks": f"blocks-v{MODEL_VERSION}.npz", "headlines": f"headlines-v{MODEL_VERSION}.npz"}


@numba.njit(cache=True, nogil=True)
def _raw_scores(x, roots, feature, threshold, left, right, value):  # pragma: no cover - compiled
    """Sum over trees of the leaf each row reaches; a node with feature -1 is a leaf."""
    n = x.shape[0]
    out = np.zeros(n)
    for i in range(n):
        total = 0.0
        for root in roots:
            node = root
            while feature[node] >= 0:
                node = left[node] if x[i, feature[node]] <= threshold[node] else right[node]
            total += value[node]
        out[i] = total
    return out


@dataclass(frozen=True)
class TreeModel:
    """A binary LightGBM model as flat arrays; `predict` gives probabilities."""

    roots: np.ndarray  # int32, the root node of each tree
    feature: np.ndarray  # int32 per node, -1 for a leaf
    threshold: np.ndarray  # float64 per node: go left when x <= threshold
    left: np.ndarray  # int32 per node
    right: np.ndarray  # int32 per node
    value: np.ndarray  # float64 per node (leaf output)
    feature_names: tuple[str, ...]
    info: dict  # how it was trained (library versions, parameters, pages)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability of the positive class for each row of `x` (columns as `feature_names`)."""
        if x.shape[0] == 0:
            return np.zeros(0)
        raw = _raw_scores(np.ascontiguousarray(x, dtype=np.float64), self.roots, self.feature, self.threshold,
                          self.left, self.right, self.value)
        return 1.0 / (1.0 + np.exp(-raw))

    @classmethod
    def from_lightgbm_dump(cls, dump: dict, info: dict) -> TreeModel:
        """Flatten `lightgbm.Booster.dump_model()` (numerical splits, no missing values in our features)."""
        feature, threshold, left, right, value, roots = [], [], [], [], [], []

        def add(node: dict) -> int:
            index = len(feature)
            feature.append(-1)
            threshold.append(0.0)
            left.append(-1)
            right.append(-1)
            value.append(0.0)
            if "leaf_value" in node:
                value[index] = node["leaf_value"]
                return index
            if node.get("decision_type", "<=") != "<=":
                raise ValueError(f"unsupported split {node.get('decision_type')!r}: only numerical splits")
            feature[index] = node["split_feature"]
            threshold[index] = node["threshold"]
            left[index] = add(node["left_child"])
            right[index] = add(node["right_child"])
            return index

        for tree in dump["tree_info"]:
            roots.append(add(tree["tree_structure"]))
        return cls(np.array(roots, dtype=np.int32), np.array(feature, dtype=np.int32),
                   np.array(threshold, dtype=np.float64), np.array(left, dtype=np.int32),
                   np.array(right, dtype=np.int32), np.array(value, dtype=np.float64),
                   tuple(dump["feature_names"]), info)

    @classmethod
    def averaged(cls, models: list[TreeModel], info: dict) -> TreeModel:
        """One model whose raw score is the mean of `models`' raw scores (boosters trained with different
        seeds: the bagged probabilities vary less from one retraining to the next than any single one's)."""
        offsets = np.cumsum([0] + [len(m.feature) for m in models[:-1]])

        def children(arrays: list[np.ndarray]) -> np.ndarray:
            return np.concatenate([np.where(a >= 0, a + o, a) for a, o in zip(arrays, offsets)]).astype(np.int32)

        return cls(np.concatenate([m.roots + o for m, o in zip(models, offsets)]).astype(np.int32),
                   np.concatenate([m.feature for m in models]), np.concatenate([m.threshold for m in models]),
                   children([m.left for m in models]), children([m.right for m in models]),
                   np.concatenate([m.value for m in models]) / len(models), models[0].feature_names, info)

    def save(self, path) -> None:
        np.savez_compressed(path, roots=self.roots, feature=self.feature, threshold=self.threshold, left=self.left,
                            right=self.right, value=self.value,
                            meta=np.array(json.dumps({"feature_names": self.feature_names, "info": self.info})))

    @classmethod
    def load(cls, path) -> TreeModel:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            return cls(data["roots"], data["feature"], data["threshold"], data["left"], data["right"],
                       data["value"], tuple(meta["feature_names"]), meta["info"])


@functools.cache
def shipped_model(kind: str) -> TreeModel:
    """A model shipped in the package ("blocks" or "headlines"), loaded once per process (the workers'
    forkserver loads both at warm-up, so forked workers share them)."""
    with resources.as_file(resources.files("pipeline.extract") / "models" / MODEL_FILES[kind]) as path:
        model = TreeModel.load(path)
    expected = {"blocks": FEATURE_NAMES, "headlines": HEADLINE_FEATURES}[kind]
    if model.feature_names != expected:
        raise RuntimeError(f"{MODEL_FILES[kind]} was trained on other features than the code computes: "
                           "retrain it with `make train-extractor`")
    return model
