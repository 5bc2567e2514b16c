"""A 65-article news site with the links real article pages carry, generated into a folder at test time.

Like tests/resources/site (same texts: readability pages and the five Arabic seeds), but shaped to
measure what a crawl spends: a sitemap index with a Google News sitemap and a full archive sitemap,
an RSS feed, home and section pages with pagination, and article pages linking ~40 URLs each (navigation,
tags, author, login, share, comments, newsletter, corrections, footer; most answer 404) besides related
stories. Three URL shapes (dated, `/news/<slug>-<id>`, undated features). A few listed articles carry
the quirks that used to lose them (`QUIRKS`). Served by site_server.py with `--root`:

    python tests/spiders/newsroom.py /tmp/nr    # prints the source file for http://127.0.0.1:8765
    python tests/spiders/site_server.py --root /tmp/nr/site --port 8765 --log /tmp/nr/requests.jsonl
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
SECTIONS = ("world", "business", "tech", "culture")
TAGS = [f"topic-{k}" for k in range(20)]
HUB_TAGS = TAGS[:3]  # tag pages that exist; the others answer 404
AUTHORS = ["ana-lima", "bo-chen", "carla-diaz", "dev-patel", "eli-cohen", "fatima-said"]
START = datetime(2025, 2, 1, 6, 0, tzinfo=UTC)
N_ARTICLES = 65
# Listed articles (news sitemap and feed) whose pages used to yield no row, by quirk.
QUIRKS = ("brief", "brief_2", "encoded_canonical", "og_url_home", "canonical_redirects_back", "canonical_404")
SOURCE = """name: newsroom
start_urls: ["{{BASE}}/"]
sitemap_urls: ["{{BASE}}/sitemap_index.xml"]
feed_urls: ["{{BASE}}/rss.xml"]
article_patterns: ['/news/[a-z0-9-]+-\\d{5,}$']
listing_patterns: ['/tag/', '/page/\\d+/']
"""


@dataclass
class Newsroom:
    """What the generated site holds: article paths, those listed in the news sitemap or feed, quirk pages."""

    root: Path
    articles: list[str] = field(default_factory=list)
    listed: set[str] = field(default_factory=set)
    quirks: dict[str, str] = field(default_factory=dict)

    def source_file(self, base: str, directory: Path, name: str = "newsroom") -> Path:
        """The source file for the site served at `base` (`name` keys its frontier and seen-URL store)."""
        path = directory / f"{name}.yaml"
        path.write_text(SOURCE.replace("{{BASE}}", base).replace("name: newsroom", f"name: {name}"), encoding="utf-8")
        return path


def _slug(text: str, limit: int = 6) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())[:limit]) or "story"


def _stories() -> list[dict]:
    """65 distinct texts: 48 English pages, 5 Arabic seeds, 12 English analyses built from two pages each."""
    english = json.loads((RESOURCES / "site" / "texts_en.json").read_text(encoding="utf-8"))
    seeds = json.loads((RESOURCES / "seeds_gold.json").read_text(encoding="utf-8"))["documents"]
    stories = [{"lang": "en", "title": t["title"], "body": t["body"]} for t in english]
    stories += [{"lang": "ar", "title": d["title"], "body": d["body"]} for _, d in sorted(seeds.items())]
    for k in range(N_ARTICLES - len(stories)):
        first, second = english[k], english[k + 20]
        body = first["body"][len(first["body"]) // 2:] + second["body"][:2]
        stories.append({"lang": "en", "title": f"Analysis: {first['title']} and {second['title']}"[:140], "body": body})
    return stories


def _plan() -> list[dict]:
    items = []
    for i, story in enumerate(_stories()):
        when = START + timedelta(hours=5 * i)
        section = "ar" if story["lang"] == "ar" else SECTIONS[i % len(SECTIONS)]
        slug = _slug(story["title"]) if story["lang"] == "en" else f"khabar-{i}"
        if story["lang"] == "en" and i % 4 == 1:
            path = f"/news/{slug}-{100000 + 37 * i}"
        elif story["lang"] == "en" and i % 15 == 7:
            path = f"/features/{_slug(story['title'], 8)}"
        else:
            path = f"/{section}/{when:%Y/%m/%d}/{slug}.html"
        items.append({**story, "i": i, "section": section, "published": when, "path": path, "canonical": path,
                      "og_url": None, "markup": True, "tags": [TAGS[(i * 3 + j) % len(TAGS)] for j in range(3)],
                      "author": AUTHORS[i % len(AUTHORS)], "print": i % 5 == 0})
    newest = sorted(items, key=lambda item: item["published"], reverse=True)
    for name, item in zip(QUIRKS, [x for x in newest[:12] if x["lang"] == "en"], strict=False):
        item["quirk"] = name
        if name.startswith("brief"):
            item["body"] = [" ".join(" ".join(item["body"]).split()[:45])]  # a short news brief, bare markup
            item["markup"], item["print"] = False, False
        elif name == "encoded_canonical":
            item["path"] = f"/world/{item['published']:%Y/%m/%d}/talks-resume,-day-two-(live).html"
            item["canonical"] = item["path"].replace(",", "%2C").replace("(", "%28").replace(")", "%29")
        elif name == "og_url_home":
            item["canonical"], item["og_url"] = None, "/"
        elif name == "canonical_redirects_back":
            item["path"] = f"/news/{_slug(item['title'])}-{900000 + item['i']}"
            item["canonical"] = item["path"] + "/"
        elif name == "canonical_404":
            item["canonical"] = re.sub(r"(\.html)?$", r"-draft\1", item["path"], count=1)
    return items


def _page(title: str, body: str, *, lang: str = "en", head: str = "") -> str:
    direction = ' dir="rtl"' if lang == "ar" else ""
    nav = "".join(f'<a href="/{s}/">{s.title()}</a> ' for s in (*SECTIONS, "ar", "live", "video", "podcasts"))
    footer = "".join(f'<a href="/{p}/">{p}</a> ' for p in ("about", "contact", "privacy", "terms", "careers",
                                                             "advertise", "newsletters", "accessibility"))
    return (f'<!DOCTYPE html>\n<html lang="{lang}"{direction}><head><meta charset="utf-8">'
            f"<title>{html.escape(title)} - Newsroom</title>{head}</head>\n<body><header><a href=\"/\">Newsroom</a>"
            f"<nav>{nav}</nav><a href=\"/private/staff/\">Staff</a></header>\n{body}\n"
            f"<footer>{footer}<a href=\"/rss.xml\">RSS</a> © 2025 Newsroom</footer></body></html>\n")


def _article(item: dict, related: list[dict]) -> str:
    path, head = item["path"], ""
    if item["canonical"]:
        head += f'<link rel="canonical" href="{{{{BASE}}}}{item["canonical"]}">'
    if item["og_url"]:
        head += f'<meta property="og:url" content="{{{{BASE}}}}{item["og_url"]}">'
    if item["markup"] and item["i"] % 6 != 3:
        head += (f'<meta property="og:type" content="article"><meta property="article:published_time" '
                 f'content="{item["published"].isoformat()}">')
    if item["markup"] and item["i"] % 5 != 2:
        data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": item["title"],
                "datePublished": item["published"].isoformat(), "inLanguage": item["lang"]}
        head += f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'
    story_id = 100000 + item["i"]
    tags = "".join(f'<a href="/tag/{t}/">#{t}</a> <a href="/topics/{t}/">{t}</a> ' for t in item["tags"])
    tools = "".join(f'<a href="{href}">{name}</a> ' for name, href in [
        ("Sign in", f"/login?next={path}"), ("Subscribe", f"/subscribe?src={story_id}"),
        ("Email", f"/share/email?url={path}"), ("Comments", f"/comments/{story_id}/"),
        ("Comments", f"{path}#comments"), ("Corrections", f"/corrections?article={story_id}"),
        ("Tweet", f"https://twitter.com/intent/tweet?url={{{{BASE}}}}{path}"), ("Mail", f"mailto:?subject={story_id}"),
        ("Listen", f"/audio/{story_id}.mp3"), ("Gallery", f"/gallery/{story_id}/"), ("Print", f"/print/{story_id}"),
    ])
    if item["print"]:
        tools += f'<a href="{path}?print=1">Print view</a>'
    more = "".join(f'<li><a href="{r["path"]}">{html.escape(r["title"])}</a></li>' for r in related)
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in item["body"])
    tag = "article" if item["markup"] and item["i"] % 11 != 4 else "div"
    body = (f'<main><{tag} class="story"><h1>{html.escape(item["title"])}</h1><p class="byline">By '
            f'<a href="/author/{item["author"]}/">{item["author"]}</a>, {item["published"]:%d %B %Y}</p>{paras}'
            f'</{tag}><p>{tags}</p><p>{tools}</p><aside><h2>Read more</h2><ul>{more}</ul></aside></main>')
    return _page(item["title"], body, lang=item["lang"], head=head)


def _listing(title: str, items: list[dict], extra: str = "", head: str = "") -> str:
    teasers = "".join(f'<article class="teaser"><h2><a href="{i["path"]}">{html.escape(i["title"])}</a></h2>'
                      f"<p>{html.escape(i['body'][0][:140])}</p></article>" for i in items)
    head += '<meta property="og:type" content="website">'
    return _page(title, f"<main><h1>{html.escape(title)}</h1>{extra}{teasers}</main>", head=head)


def build(root: Path) -> Newsroom:
    """Write the site under `root` (www/, routes.json) and describe it."""
    items = _plan()
    newest = sorted(items, key=lambda item: item["published"], reverse=True)
    site = Newsroom(root, [i["path"] for i in items])
    site.quirks = {i["quirk"]: i["path"] for i in items if "quirk" in i}
    files: dict[str, str] = {}
    for n, item in enumerate(items):
        files[item["path"]] = _article(item, [items[(n + k) % len(items)] for k in (1, 5, 9)] + newest[:5])
    amp = next(i for i in items if i["section"] == "world" and "quirk" not in i and i["path"].endswith(".html"))
    files["/amp" + amp["path"]] = _page(amp["title"], "<article>" + "".join(f"<p>{html.escape(p)}</p>" for p in amp["body"])
                                        + "</article>", head=f'<link rel="canonical" href="{{{{BASE}}}}{amp["path"]}">'
                                        '<meta property="og:type" content="article">')
    files["/"] = _listing("Newsroom", newest[:15], "".join(f'<a href="/tag/{t}/">#{t}</a> ' for t in HUB_TAGS))
    for section in (*SECTIONS, "ar"):
        posts = [i for i in newest if i["section"] == section]
        extra = f'<a href="/amp{amp["path"]}">AMP</a>' if section == amp["section"] else ""
        files[f"/{section}/"] = _listing(section.title(), posts[:10], extra + f'<a href="/{section}/page/2/">Older</a>')
        files[f"/{section}/page/2/"] = _listing(f"{section.title()}, page 2", posts[10:])
    files["/news/"] = _listing("All news", [i for i in newest if i["path"].startswith("/news/")])
    for tag in HUB_TAGS:
        files[f"/tag/{tag}/"] = _listing(f"#{tag}", [i for i in newest if tag in i["tags"]],
                                         head='<script type="application/ld+json">{"@type": "CollectionPage"}</script>')
    files["/robots.txt"] = "User-agent: *\nDisallow: /private/\n\nSitemap: {{BASE}}/sitemap_index.xml\n"
    files.update(_feeds(items, newest, site))
    for path, text in files.items():
        target = root / "www" / path.lstrip("/")
        target = target / "index.html" if path.endswith("/") else target
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    redirects = {site.quirks["canonical_redirects_back"] + "/": site.quirks["canonical_redirects_back"]}
    routes = {"redirects": redirects, "offsite_redirects": {}, "flaky": [], "slow": [], "aliases": {}}
    (root / "routes.json").write_text(json.dumps(routes, indent=1), encoding="utf-8")
    return site


def _feeds(items: list[dict], newest: list[dict], site: Newsroom) -> dict[str, str]:
    base, news = "{{BASE}}", newest[:12]
    feed = [i for i in newest[:20] if i["lang"] == "en"]
    site.listed = {i["path"] for i in news + feed}
    urlset = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    entries = "".join(
        f"<url><loc>{base}{html.escape(i['path'])}</loc><news:news><news:publication><news:name>Newsroom</news:name>"
        f"<news:language>{i['lang']}</news:language></news:publication><news:publication_date>"
        f"{i['published'].isoformat()}</news:publication_date><news:title>{html.escape(i['title'])}</news:title>"
        "</news:news></url>" for i in news)
    archive = "".join(f"<url><loc>{base}{html.escape(i['path'])}</loc><lastmod>{i['published'].isoformat()}</lastmod></url>"
                      for i in items)
    archive += f"<url><loc>{base}/world/2025/01/31/withdrawn-story.html</loc></url>"  # answers 404
    rss = "".join(f"<item><title>{html.escape(i['title'])}</title><link>{base}{html.escape(i['path'])}?utm_source=rss"
                  f"</link><pubDate>{i['published']:%a, %d %b %Y %H:%M:%S} GMT</pubDate></item>" for i in feed)
    return {
        "/sitemap_index.xml": '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/'
        f'schemas/sitemap/0.9"><sitemap><loc>{base}/sitemaps/news.xml</loc></sitemap><sitemap><loc>{base}'
        "/sitemaps/articles.xml.gz</loc></sitemap></sitemapindex>\n",
        "/sitemaps/news.xml": f'<?xml version="1.0" encoding="UTF-8"?>\n{urlset} '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{entries}</urlset>\n',
        "/sitemaps/articles.xml": f'<?xml version="1.0" encoding="UTF-8"?>\n{urlset}>{archive}</urlset>\n',
        "/rss.xml": f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Newsroom</title>'
        f"<link>{base}/</link>{rss}</channel></rss>\n",
    }


def main() -> None:
    """Build the site into a folder and write its source file, to crawl it by hand (docs/crawling.md)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--base", default="http://127.0.0.1:8765", help="origin site_server.py will serve it on")
    args = parser.parse_args()
    site = build(args.folder / "site")
    print(site.source_file(args.base, args.folder))


if __name__ == "__main__":
    main()
