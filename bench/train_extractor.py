"""Train the text mode's block classifier on train sites and ship it (`make train-extractor`).

    .venv/bin/python bench/train_extractor.py [--out pipeline/extract/models/blocks-v1.npz] [--folds 5]

Training data: every page of a train site (bench/corpus.py: readability, labelled multi-outlet pages,
seeds) as its html-text dump, one row per line, label = the line belongs to the page's reference body.
Lines weigh by their words, each page weighs the same (the F1 measure averages pages). Out-of-fold
probabilities (folds by site) choose the region rule (threshold, exponent, keep) by mean body F1; the
final model is trained on all train sites. LightGBM runs single-threaded with a fixed seed, so a rerun
on the same data writes the same trees. Test sites are never read.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import logging
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.corpus import Page, all_pages, body_key_mask  # noqa: E402
from pipeline.extract import SiteTemplates  # noqa: E402
from pipeline.extract.blocks import split_blocks  # noqa: E402
from pipeline.extract.evaluate import prf, shingle_counts  # noqa: E402
from pipeline.extract.features import FEATURE_NAMES, block_features  # noqa: E402
from pipeline.extract.model import MODEL_FILE, MODEL_VERSION, TreeModel  # noqa: E402
from pipeline.extract.region import RegionRule, body_lines  # noqa: E402
from pipeline.text.language import detect_language, stopwords  # noqa: E402

logger = logging.getLogger(__name__)

SEED = 20260716
PARAMS = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 24, "min_data_in_leaf": 30,
    "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
    "seed": SEED, "deterministic": True, "force_row_wise": True, "num_threads": 1, "verbosity": -1,
}
ROUNDS = 250
GRID = {"threshold": (0.5, 0.6, 0.7, 0.8), "exponent": (0.5, 1.0, 1.5), "keep": (0.05, 0.1, 0.2, 0.35),
        "relative": (0.4, 0.5, 0.6, 1.0)}


def page_rows(page: Page, templates: SiteTemplates) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Features, labels, weights and line texts of one page."""
    blocks = split_blocks(page.dump, stopwords(detect_language(page.dump)))
    x = block_features(blocks, templates.template_keys("file", page.dump))
    y = np.array(body_key_mask([b.key for b in blocks], page.reference), dtype=np.float64)
    words = np.array([1 + b.words for b in blocks], dtype=np.float64)
    return x, y, 100 * words / max(words.sum(), 1.0), [b.text for b in blocks]


def train(x: np.ndarray, y: np.ndarray, w: np.ndarray):
    import lightgbm

    data = lightgbm.Dataset(x, y, weight=w, feature_name=list(FEATURE_NAMES), free_raw_data=False)
    return lightgbm.train(PARAMS, data, num_boost_round=ROUNDS)


def tune_rule(pages: list[Page], probs: list[np.ndarray], texts: list[list[str]]) -> tuple[RegionRule, float]:
    """The region rule with the best mean body F1 over `pages` given out-of-fold probabilities."""
    best, best_f1 = RegionRule(), -1.0
    for values in itertools.product(*GRID.values()):
        rule = RegionRule(**dict(zip(GRID, values)))
        counts = []
        for page, p, lines in zip(pages, probs, texts):
            chars = np.array([len(t) for t in lines], dtype=np.float64)
            body = "\n".join(lines[i] for i in body_lines(p, chars, rule))
            counts.append(shingle_counts(page.reference, body))
        f1 = prf(counts)[2]
        if f1 > best_f1:
            best, best_f1 = rule, f1
    return best, best_f1


def fold_of(site: str, folds: int) -> int:
    return hashlib.sha1(site.encode("utf-8")).digest()[1] % folds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "pipeline" / "extract" / "models" / MODEL_FILE)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    import lightgbm

    started = time.perf_counter()
    pages = [p for p in all_pages() if p.split == "train"]
    templates: dict[str, SiteTemplates] = defaultdict(SiteTemplates)
    for page in pages:  # a corpus is one folder of files: templates learned across it, as in a real run
        templates[page.corpus].observe("file", page.dump)
    rows = [page_rows(page, templates[page.corpus]) for page in pages]
    print(f"{len(pages)} train pages from {len({p.site for p in pages})} sites, {sum(len(r[1]) for r in rows)} lines "
          f"({sum(int(r[1].sum()) for r in rows)} body), features {time.perf_counter() - started:.0f} s")

    folds = [fold_of(page.site, args.folds) for page in pages]
    oof: list[np.ndarray] = [np.zeros(0)] * len(pages)
    for fold in range(args.folds):
        inside = [i for i, f in enumerate(folds) if f != fold]
        booster = train(*(np.concatenate([rows[i][k] for i in inside]) for k in range(3)))
        for i, f in enumerate(folds):
            if f == fold:
                oof[i] = booster.predict(rows[i][0])
    rule, f1 = tune_rule(pages, oof, [r[3] for r in rows])
    print(f"out-of-fold body F1 on train sites with the chosen rule {rule}: {f1:.3f}")

    booster = train(*(np.concatenate([r[k] for r in rows]) for k in range(3)))
    info = {"version": MODEL_VERSION, "lightgbm": lightgbm.__version__, "params": PARAMS, "rounds": ROUNDS,
            "train_pages": len(pages), "train_sites": len({p.site for p in pages}),
            "region": {"threshold": rule.threshold, "exponent": rule.exponent, "keep": rule.keep,
                       "relative": rule.relative},
            "oof_f1": round(f1, 4)}
    model = TreeModel.from_lightgbm_dump(booster.dump_model(), info)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    gain = booster.feature_importance("gain")
    top = sorted(zip(FEATURE_NAMES, gain), key=lambda kv: -kv[1])[:12]
    print("top features by gain: " + ", ".join(f"{name} {g / gain.sum():.1%}" for name, g in top))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB, {len(model.roots)} trees) "
          f"in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
