"""Builds the fixture news site in `www/` (served by tests/spiders/site_server.py) and `labels.json`.

English articles reuse real article text from Mozilla's readability test pages (Apache-2.0, kept in
`texts_en.json`); Arabic articles reuse the five seed documents (titles and bodies from
tests/resources/seeds_gold.json). `{{BASE}}` in the output is replaced by the server's origin.

    python tests/resources/site/generate.py                       # rebuild www/ from texts_en.json
    python tests/resources/site/generate.py --english-source ../shared/datasets/readability-test-pages
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
WWW = HERE / "www"
GOLD = HERE.parent / "seeds_gold.json"
SECTIONS = {"world": "World", "tech": "Technology", "life": "Life & Culture"}
SKIP = {"lifehacker-working", "la-nacion", "svg-parsing", "missing-paragraphs", "data-url-image",
        "table-style-attributes", "tumblr", "clean-links", "mozilla-2"}
N_ENGLISH = 48
START = datetime(2025, 1, 2, 8, 0, tzinfo=UTC)


def refresh_english(source: Path) -> None:
    """Extract title and first paragraphs of English readability pages into texts_en.json."""
    from parsel import Selector

    texts = []
    for folder in sorted(p for p in source.iterdir() if p.is_dir() and p.name not in SKIP):
        meta = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
        lang = meta.get("lang") or ""
        if not meta.get("title") or (lang and not lang.startswith("en")) or "test" in meta["title"].lower():
            continue
        sel = Selector((folder / "expected.html").read_text(encoding="utf-8"))
        paras = [re.sub(r"\s+", " ", " ".join(p.xpath(".//text()").getall())).strip() for p in sel.xpath("//p")]
        body, size = [], 0
        for para in (p for p in paras if len(p) > 80):
            body.append(para)
            size += len(para)
            if size > 2200:
                break
        if len(body) >= 3:
            texts.append({"origin": folder.name, "title": meta["title"].split(" | ")[0].strip(), "body": body})
    (HERE / "texts_en.json").write_text(json.dumps(texts[:N_ENGLISH], ensure_ascii=False, indent=1), encoding="utf-8")


def slugify(text: str, index: int) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:6]
    return "-".join(words) or f"story-{index}"


def article_list() -> list[dict]:
    """All articles with section, language, URL path and publication time (newest last)."""
    english = json.loads((HERE / "texts_en.json").read_text(encoding="utf-8"))
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["documents"]
    items = []
    for i, text in enumerate(english):
        section = list(SECTIONS)[i % 3]
        items.append({"lang": "en", "section": section, "title": text["title"], "body": text["body"]})
    for i, (name, doc) in enumerate(sorted(gold.items())):
        items.append({"lang": "ar", "section": "ar", "title": doc["title"], "body": doc["body"], "seed": name})
    for i, item in enumerate(items):
        when = START + timedelta(hours=7 * i)
        item["published"] = when
        slug = slugify(item["title"], i) if item["lang"] == "en" else f"khabar-{i}"
        item["path"] = f"/{item['section']}/{when:%Y/%m/%d}/{slug}.html"
        # Varied markup so that no single signal decides: some pages lack og/JSON-LD, some the <article> tag.
        item["og"] = i % 7 != 3
        item["jsonld"] = i % 5 != 2
        item["article_tag"] = i % 11 != 4
        item["print"] = i % 10 == 0  # a print variant declaring its canonical URL
    items[10]["path"] = "/features/the-long-read-" + slugify(items[10]["title"], 10) + ".html"  # no date in URL
    return items


def page(title: str, body: str, *, lang: str = "en", head: str = "") -> str:
    direction = ' dir="rtl"' if lang == "ar" else ""
    nav = " | ".join(f'<a href="/{s}/">{n}</a>' for s, n in [*SECTIONS.items(), ("ar", "عربي")])
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"{direction}><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} - The Daily Fixture</title>{head}</head>\n<body>"
        f'<header><a href="/">The Daily Fixture</a><nav>{nav} | <a href="/tag/russia/">#russia</a>'
        f' | <a href="/search?q=lavrov">Search</a> | <a href="/about.html">About us</a></nav></header>\n'
        f"{body}\n<footer><p>© 2025 The Daily Fixture. <a href=\"/about.html\">About</a></p></footer></body></html>\n"
    )


def article_page(item: dict, related: list[dict]) -> str:
    url = "{{BASE}}" + item["path"]
    head = f'<link rel="canonical" href="{url}">'
    if item["og"]:
        head += f'<meta property="og:type" content="article"><meta property="og:url" content="{url}">'
        head += f'<meta property="article:published_time" content="{item["published"].isoformat()}">'
    if item["jsonld"]:
        data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": item["title"],
                "datePublished": item["published"].isoformat(), "inLanguage": item["lang"]}
        head += f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in item["body"])
    tag = "article" if item["article_tag"] else "div"
    more = "".join(f'<li><a href="{r["path"]}">{html.escape(r["title"])}</a></li>' for r in related)
    body = (
        f'<main><{tag} class="story"><h1>{html.escape(item["title"])}</h1>'
        f'<p class="byline">Published {item["published"]:%d %B %Y}</p>{paras}</{tag}>'
        + (f'<p><a href="{item["path"]}?print=1">Print this story</a></p>' if item.get("print") else "")
        + f'<aside><h2>Read more</h2><ul>{more}</ul></aside></main>'
    )
    return page(item["title"], body, lang=item["lang"], head=head)


def listing_page(title: str, items: list[dict], *, extra: str = "", lang: str = "en", head: str = "") -> str:
    teasers = "".join(
        f'<article class="teaser"><h2><a href="{i["path"]}">{html.escape(i["title"])}</a></h2>'
        f"<p>{html.escape(i['body'][0][:160])}…</p></article>"
        for i in items
    )
    head += '<meta property="og:type" content="website">'
    return page(title, f"<main><h1>{html.escape(title)}</h1>{extra}{teasers}</main>", lang=lang, head=head)


def write(path: str, text: str) -> None:
    target = WWW / path.lstrip("/")
    if path.endswith("/"):
        target = target / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def build() -> None:
    items = article_list()
    if WWW.exists():
        shutil.rmtree(WWW)
    labels: dict[str, str] = {}
    for n, item in enumerate(items):
        related = [items[(n + 1) % len(items)], items[(n + 5) % len(items)]]
        write(item["path"], article_page(item, related))
        labels[item["path"]] = "article"
    english = [i for i in items if i["lang"] == "en"]
    newest = sorted(items, key=lambda i: i["published"], reverse=True)
    amp = english[3]
    write("/amp" + amp["path"], page(amp["title"], "<article>" + "".join(f"<p>{html.escape(p)}</p>" for p in amp["body"]) + "</article>",
          head=f'<link rel="canonical" href="{{{{BASE}}}}{amp["path"]}"><meta property="og:type" content="article">'))
    labels["/amp" + amp["path"]] = "variant"
    tracked = [english[0]["path"] + "?utm_source=twitter&utm_medium=social", english[1]["path"] + "?fbclid=IwAR0abc",
               english[0]["path"] + "?utm_campaign=morning#comments"]
    home_extra = (
        "<ul class='breaking'>" + "".join(f'<li><a href="{u}">Trending</a></li>' for u in tracked)
        + '<li><a href="/redirect/old-story">Yesterday\'s top story</a></li>'
        + '<li><a href="/offsite-redirect">Partner story</a></li>'
        + '<li><a href="/world/2025/01/01/withdrawn-story.html">Withdrawn story</a></li>'
        + "".join(f'<li><a href="/private/memo-{k}.html">Staff memo {k}</a></li>' for k in range(3))
        + "</ul>"
    )
    write("/", listing_page("The Daily Fixture", newest[:12], extra=home_extra))
    labels["/"] = "listing"
    for section, name in SECTIONS.items():
        posts = [i for i in newest if i["section"] == section]
        extra = f'<p><a href="/amp{amp["path"]}">AMP edition</a></p>' if section == amp["section"] else ""
        write(f"/{section}/", listing_page(name, posts[:8], extra=extra + f'<a href="/{section}/page/2/">Older</a>'))
        write(f"/{section}/page/2/", listing_page(f"{name}, page 2", posts[8:]))
        labels[f"/{section}/"] = labels[f"/{section}/page/2/"] = "listing"
    arabic = [i for i in newest if i["lang"] == "ar"]
    write("/ar/", listing_page("أخبار", arabic, lang="ar", head='<link rel="alternate" type="application/atom+xml" href="/ar/atom.xml">'))
    write("/tag/russia/", listing_page("Tag: russia", arabic[:3] + english[:2],
          head='<script type="application/ld+json">{"@type": "CollectionPage"}</script>'))
    write("/search.html", listing_page("Search results", english[5:9]))
    labels["/ar/"] = labels["/tag/russia/"] = labels["/search.html"] = "listing"
    write("/about.html", page("About us", "<main><h1>About The Daily Fixture</h1>" + "".join(
        f"<p>{html.escape(p)}</p>" for p in english[-1]["body"][:2]) + "<p>Founded in 2025, we cover the world.</p></main>",
        head='<meta property="og:type" content="website">'))
    labels["/about.html"] = "other"
    for k in range(8):
        write(f"/private/memo-{k}.html", page(f"Memo {k}", f"<article><h1>Internal memo {k}</h1><p>{'Confidential. ' * 60}</p></article>"))
        labels[f"/private/memo-{k}.html"] = "disallowed"
    write("/robots.txt", "User-agent: *\nDisallow: /private/\nAllow: /\n\nSitemap: {{BASE}}/sitemap_index.xml\n")
    write_feeds(items, newest)
    (HERE / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True), encoding="utf-8")
    routes = {  # dynamic behaviour of site_server.py
        "redirects": {"/redirect/old-story": english[2]["path"]},
        "offsite_redirects": {"/offsite-redirect": english[4]["path"]},
        "flaky": [english[6]["path"]],  # 500 on the first request, then fine
        "slow": [english[7]["path"]],
        "aliases": {"/search": "/search.html"},
    }
    (HERE / "routes.json").write_text(json.dumps(routes, indent=1), encoding="utf-8")


def write_feeds(items: list[dict], newest: list[dict]) -> None:
    base = "{{BASE}}"
    write("/sitemap_index.xml", '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          f"<sitemap><loc>{base}/sitemaps/news.xml</loc></sitemap><sitemap><loc>{base}/sitemaps/archive.xml.gz</loc></sitemap></sitemapindex>\n")
    news = "".join(
        f"<url><loc>{base}{i['path']}</loc><news:news><news:publication><news:name>The Daily Fixture</news:name>"
        f"<news:language>{i['lang']}</news:language></news:publication><news:publication_date>{i['published'].isoformat()}"
        f"</news:publication_date><news:title>{html.escape(i['title'])}</news:title></news:news></url>"
        for i in newest[:10]
    )
    write("/sitemaps/news.xml", '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
          f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{news}</urlset>\n')
    archive = "".join(f"<url><loc>{base}{i['path']}</loc><lastmod>{i['published']:%Y-%m-%d}</lastmod></url>" for i in items)
    archive += f"<url><loc>{base}/private/memo-7.html</loc></url>"  # a sitemap that lists a disallowed page
    write("/sitemaps/archive.xml", '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          f"{archive}</urlset>\n")  # served gzipped as /sitemaps/archive.xml.gz
    rss = "".join(
        f"<item><title>{html.escape(i['title'])}</title><link>{base}{i['path']}?utm_source=rss</link>"
        f"<pubDate>{i['published']:%a, %d %b %Y %H:%M:%S} GMT</pubDate></item>"
        for i in newest if i["lang"] == "en"
    )
    write("/feed.xml", f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>The Daily Fixture</title>'
          f"<link>{base}/</link>{rss}</channel></rss>\n")
    atom = "".join(
        f'<entry><title>{html.escape(i["title"])}</title><link href="{base}{i["path"]}"/><id>{base}{i["path"]}</id>'
        f"<updated>{i['published'].isoformat()}</updated></entry>"
        for i in newest if i["lang"] == "ar"
    )
    write("/ar/atom.xml", f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>أخبار</title>{atom}</feed>\n')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--english-source", type=Path, help="readability-test-pages folder to refresh texts_en.json from")
    args = parser.parse_args()
    if args.english_source:
        refresh_english(args.english_source)
    build()
