"""Link quality of dedup on the unseen-style sets of `bench/dedup_sets.py`, through the real extractor.

Text dumps go through `extract_article(..., "text")`, each on its own (a crawled page meets no site template)
and, on a second line, after the template learner saw every dump of the set (as `scrapy crawl files` does over
a folder); HTML pages through `extract_article(..., "html")`. Scores are pairwise over the documents that
became articles (rejected inputs are counted and shown). Pairs of articles labelled related (same story,
unsure, mirrors) are not counted as false same_story links.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable

from bench.dedup_sets import Doc, labels, reference_pages, story_set, syndication_set
from pipeline.dedup import DedupConfig, Deduplicator, compute_signature, make_doc_id, open_index
from pipeline.errors import Rejected
from pipeline.extract import SiteTemplates, extract_article
from pipeline.lake.store import LocalStore
from pipeline.options import configured


def extracted(docs: list[Doc], kind: str, templates: bool = False):
    """(doc, Extracted) of every input the extractor accepts, and the number it rejected."""
    learned = SiteTemplates()
    if templates:
        for doc in docs:
            learned.observe("file", doc.raw)
    out, rejected = [], 0
    for doc in docs:
        try:
            out.append((doc, extract_article(doc.raw.encode("utf-8"), kind, url=doc.url, source="file", templates=learned)))
        except Rejected:
            rejected += 1
    return out, rejected


def run_once(items, config=None):
    """One dedup run over (doc, Extracted): {pair of urls: (kind, similarity, method)} and cluster by url."""
    config = config or configured(DedupConfig)
    with tempfile.TemporaryDirectory() as tmp:
        dedup = Deduplicator(config, open_index(config, LocalStore(tmp)))
        ids = {}
        for doc, found in items:
            sig = compute_signature(found.text, found.language, config, title=found.title, published_at=found.published_at)
            ids[doc.url] = make_doc_id(doc.url, sig.content_hash)
            dedup.add(ids[doc.url], doc.url, sig)
        outcome = dedup.finish_run()
    urls = {v: k for k, v in ids.items()}
    links = {
        frozenset((urls[link.doc_id], urls[link.other_doc_id])): (link.kind, link.similarity, getattr(link, "method", None))
        for link in outcome.links
    }
    clusters = {url: outcome.assignments[ids[url]].near_dup_of or ids[url] for url in ids}
    return links, clusters


def _pairs(items: list) -> Iterable[tuple[int, int]]:
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            yield i, j


def syndication(docs: list[Doc], templates: bool, verbose: bool = False) -> dict:
    items, rejected = extracted(docs, "text", templates)
    links, clusters = run_once(items)
    urls = [doc.url for doc, _ in items]
    article = {doc.url: doc.article for doc, _ in items}
    recipe = {doc.url: doc.recipe for doc, _ in items}
    lab = labels()
    related = {frozenset(pair) for kind in ("same_story", "unsure", "near_duplicate") for pair in lab[kind]}
    tp = fp = fn = story_false = 0
    missed: Counter[tuple[str, str]] = Counter()
    for i, j in _pairs(urls):
        a, b = urls[i], urls[j]
        same = article[a] == article[b]
        together = clusters[a] == clusters[b]
        tp, fp, fn = tp + (same and together), fp + (together and not same), fn + (same and not together)
        if same and not together:
            missed[tuple(sorted((recipe[a], recipe[b])))] += 1
        kind = links.get(frozenset((a, b)), (None,))[0]
        false_story = kind == "same_story" and not same and frozenset((article[a], article[b])) not in related
        story_false += false_story
        if verbose and ((together and not same) or false_story):
            print(f"   false {'near' if together else 'story'}: {a} ~ {b} {links.get(frozenset((a, b)))}")
    n_pairs = len(urls) * (len(urls) - 1) // 2
    methods = Counter(m for k, _, m in links.values() if k == "near_duplicate")
    return {
        "articles": len({d.article for d in docs}), "docs": len(docs), "rejected": rejected, "pairs": n_pairs,
        "precision": tp / max(1, tp + fp), "recall": tp / max(1, tp + fn), "story_false": story_false,
        "missed": dict(missed), "methods": dict(methods),
    }


def story(half: str, verbose: bool = False) -> dict:
    docs, labelled = story_set(half)
    items, rejected = extracted(docs, "html")
    links, _ = run_once(items)
    names = [doc.article for doc, _ in items]
    url_of = {doc.article: doc.url for doc, _ in items}
    kind_of = {frozenset(url_of[n] for n in pair): kind for kind, pairs in labelled.items() for pair in pairs if pair <= url_of.keys()}
    found = {pair: link[0] for pair, link in links.items()}
    same = [p for p, k in kind_of.items() if k == "same_story"]
    hard = [p for p, k in kind_of.items() if k == "hard_negative"]
    unrelated_linked = [p for p, k in found.items() if k == "same_story" and p not in kind_of]
    if verbose:
        for p in same:
            print("   same story:", " ~ ".join(sorted(p)), links.get(p))
        for p in hard:
            if p in found:
                print("   hard negative linked:", " ~ ".join(sorted(p)), links.get(p))
        for p in unrelated_linked:
            print("   unrelated linked:", " ~ ".join(sorted(p)), links.get(p))
    n = len(names)
    return {
        "pages": len(docs), "rejected": rejected, "pairs": n * (n - 1) // 2,
        "same": len(same), "same_found": sum(1 for p in same if found.get(p) in ("same_story", "near_duplicate", "exact")),
        "hard": len(hard), "hard_linked": sum(1 for p in hard if p in found),
        "unrelated_story": len(unrelated_linked),
        "near_false": sum(1 for p, k in found.items() if k != "same_story" and kind_of.get(p) != "near_duplicate"),
    }


def ceiling(half: str) -> None:
    """What any rule "Jaccard >= 0.8 or containment >= c" reaches with exact word-bigram sets of the extracted
    titles and bodies (no estimate, no minimum size): the part of the syndication recall extraction leaves."""
    from pipeline.text.normalize import normalize_for_matching, tokenize

    items, _ = extracted(syndication_set(half, pages=reference_pages()), "text")
    sets = []
    for _, found in items:
        words = tokenize(normalize_for_matching(f"{found.title or ''}\n{found.text}"))
        sets.append({hash((words[i], words[i + 1])) for i in range(len(words) - 1)})
    article = [doc.article for doc, _ in items]
    measured = [(i, j, len(sets[i] & sets[j])) for i, j in _pairs(sets)]
    print(f"\n== exact measures on the extracted texts ({half} half, {len(items)} documents) ==")
    for contained in (1.01, 0.9, 0.85, 0.8, 0.7):
        parent = list(range(len(sets)))

        def root(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for i, j, both in measured:
            smaller = min(len(sets[i]), len(sets[j]))
            if both and (both / (len(sets[i]) + len(sets[j]) - both) >= 0.8 or both / smaller >= contained):
                parent[root(i)] = root(j)
        tp = fp = fn = 0
        for i, j in _pairs(sets):
            same, together = article[i] == article[j], root(i) == root(j)
            tp, fp, fn = tp + (same and together), fp + (together and not same), fn + (same and not together)
        label = "Jaccard >= 0.8 alone" if contained > 1 else f"or containment >= {contained}"
        print(f"{label:28s} clusters: precision {tp / max(1, tp + fp):.4f}  recall {tp / max(1, tp + fn):.4f}")


def report(half: str, verbose: bool = False) -> None:
    docs = syndication_set(half, pages=reference_pages())
    s = syndication(docs, templates=False, verbose=verbose)
    print(f"\n== quality ({half} half): syndication set, {s['articles']} articles as {s['docs']} text dumps "
          f"({s['rejected']} rejected by the extractor), {s['pairs']} pairs ==")
    print(f"near_duplicate clusters, pairwise: precision {s['precision']:.4f}  recall {s['recall']:.4f}   "
          f"(near links by method: {s['methods']})")
    if s["missed"]:
        print("   missed pairs by recipes:", ", ".join(f"{a}~{b} {n}" for (a, b), n in sorted(s["missed"].items())))
    print(f"same_story links between unrelated articles: {s['story_false']} ({1e4 * s['story_false'] / max(1, s['pairs']):.2f} per 10,000 pairs)")
    t = syndication(docs, templates=True)
    print(f"the same dumps after a template pre-pass over all of them (scrapy crawl files): {t['rejected']} rejected, "
          f"precision {t['precision']:.4f}  recall {t['recall']:.4f}, {t['story_false']} false same_story links")
    u = story(half, verbose)
    print(f"== quality ({half} half): same-story set, {u['pages']} multi-outlet pages ({u['rejected']} rejected), "
          f"{u['pairs']} pairs, hand labels ==")
    print(f"same-story recall: {u['same_found']}/{u['same']} labelled pairs; hard negatives linked: {u['hard_linked']}/{u['hard']} "
          f"({100 * u['hard_linked'] / max(1, u['hard']):.0f} %)")
    print(f"same_story links between unrelated pages: {u['unrelated_story']} ({1e4 * u['unrelated_story'] / max(1, u['pairs']):.2f} per 10,000 pairs); "
          f"false exact/near links: {u['near_false']}")
