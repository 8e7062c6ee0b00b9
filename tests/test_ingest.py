"""Ingestion over the bundled sample feeds, served from a loopback HTTP server."""

from __future__ import annotations

from datetime import UTC, datetime

from ingest.pipeline import FeedSource, run_ingest
from tests.conftest import sample_urls
from tests.feed_server import Route

LUMORA = {
    "https://biowire.example/wire/2026/11/10/lumora-bio-lmr-19-phase-2",
    "ifn-2026-11-10-lumora-lmr19-lumen2",
    "tag:rheumreport.example,2026-11-11:/articles/4471",
}
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def sources(server) -> list[FeedSource]:
    return [FeedSource(u, trusted=False) for u in sample_urls(server)]


def by_guid(library) -> dict:
    return {a.guid: a for a in library.store.articles.list(include_skipped=True)}


def test_sample_feeds_counts_and_decisions(library, sample_server):
    report = run_ingest(library, sources(sample_server), now=NOW)
    totals = report.to_json()["totals"]
    assert totals == {"new": 28, "updated": 0, "unchanged": 0, "off_topic": 9,
                      "duplicates": 2, "errors": 0}
    assert report.status == "ok"
    broken = next(f for f in report.feeds if f.feed.endswith("broken.xml"))
    assert broken.warning and broken.new == 2  # bozo feed: reported, still yields items

    articles = by_guid(library)
    skipped = {a.guid: a.reason for a in articles.values() if not a.on_topic}
    assert len(skipped) == 9
    assert any("oncology" in reason for reason in skipped.values())
    chroma_ids = set(library.store.vectors.all_ids())
    sqlite_ids = {r["id"] for r in library.store.sqlite.execute("SELECT id FROM chunks")}
    assert chroma_ids == sqlite_ids
    assert len(chroma_ids) == sum(a.chunk_count for a in articles.values())


def test_same_story_syndication_and_republished(library, sample_server):
    run_ingest(library, sources(sample_server), now=NOW)
    articles = by_guid(library)
    stories = {articles[g].story_id for g in LUMORA}
    assert len(stories) == 1, "three outlets' takes on one readout share a story_id"
    others = {a.story_id for g, a in articles.items() if g not in LUMORA and a.on_topic}
    assert stories.isdisjoint(others)

    copy = articles["ght-wire-20261117-0412"]
    original = articles["https://biowire.example/wire/2026/11/16/stellan-bio-clinical-hold"]
    assert copy.duplicate_of == original.id and copy.story_id == original.story_id
    assert copy.chunk_count == 0 and not library.store.vectors.ids_for_article(copy.id)

    republished = [a for a in articles.values()
                   if a.guid == "ifn-2026-11-04-corvane-cvn311-myasthenia"]
    assert len(republished) == 1 and "utm_" not in republished[0].url


def test_entry_edge_cases(library, sample_server):
    run_ingest(library, sources(sample_server), now=NOW)
    articles = by_guid(library)
    no_link = articles["ctg-brief-2026-11-21-academic-car-t-mg-nmosd"]
    assert no_link.url == "" and no_link.on_topic
    undated = articles["pvw-explainer-inverse-vaccine-celiac"]
    assert undated.published is None and undated.ingested_at == NOW
    future = articles["ctg-2027-03-15-spring-meeting-preview"]
    assert future.published == NOW, "a date in the future is clamped to the ingest time"
    lumora = articles["ifn-2026-11-10-lumora-lmr19-lumen2"]
    assert "NCT06123456" in lumora.trial_ids and "lupus" in lumora.diseases
    assert "car_t" in lumora.therapies
    meta = library.store.vectors._collection.get(ids=[f"{lumora.id}-0"], include=["metadatas"])
    stored = meta["metadatas"][0]
    assert stored["guid"] == lumora.guid and stored["trial_ids"] == "NCT06123456"
    assert stored["d_lupus"] is True and stored["story_id"] == lumora.story_id
    injected = articles["ifn-2026-11-19-talvera-rapid-car-t-sle"]
    assert "<" not in injected.text and "Subscribe" not in injected.text


def test_second_run_embeds_nothing_and_uses_conditional_get(library, sample_server, embedder):
    run_ingest(library, sources(sample_server), now=NOW)
    encoded = embedder.texts_encoded
    report = run_ingest(library, sources(sample_server), now=NOW)
    assert embedder.texts_encoded == encoded
    assert all(f.status == "not_modified" for f in report.feeds)
    for url in sample_urls(sample_server):
        path = url.split("127.0.0.1:")[1].split("/", 1)[1]
        second = sample_server.hits("/" + path)[-1]
        assert second.headers.get("if-none-match"), "conditional GET sends the ETag back"

    # Without ETags (servers that ignore conditional GET) nothing is re-embedded either.
    for route in sample_server.routes.values():
        route.etag = None
    report = run_ingest(library, sources(sample_server), now=NOW)
    assert embedder.texts_encoded == encoded
    assert report.total("new") == 0 and report.total("updated") == 0
    assert report.total("unchanged") >= 30


def test_changed_article_is_replaced_not_doubled(library, feed_server, settings):
    item = """<item><title>CAR-T for lupus: {title}</title><link>https://x.example/a</link>
      <guid>lupus-1</guid><pubDate>Tue, 10 Nov 2026 10:00:00 GMT</pubDate>
      <description>{body}</description></item>"""
    body1 = ("Patients with lupus treated with CD19 CAR-T cells in a phase 2 trial reached "
             "remission. " * 3)
    body2 = ("Patients with systemic lupus erythematosus treated with CAR-T cell therapy stayed "
             "in drug-free remission for two years, the trial team reported. " * 12)

    def feed(title: str, body: str) -> bytes:
        return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
                f"{item.format(title=title, body=body)}</channel></rss>").encode()

    url = feed_server.add("/f.xml", Route(body=feed("first", body1)))
    src = [FeedSource(url, trusted=False)]
    settings_no_pages = settings.replace(fetch_article_pages=False)
    library.settings = settings_no_pages
    first = run_ingest(library, src, now=NOW)
    assert first.total("new") == 1
    (article,) = library.store.articles.list()
    old_chunks = set(library.store.vectors.ids_for_article(article.id))

    feed_server.routes["/f.xml"] = Route(body=feed("updated", body2))
    second = run_ingest(library, src, now=NOW)
    assert second.total("updated") == 1 and second.total("new") == 0
    (updated,) = library.store.articles.list()
    assert updated.id == article.id and "two years" in updated.text
    new_chunks = set(library.store.vectors.ids_for_article(article.id))
    assert len(new_chunks) == updated.chunk_count > len(old_chunks)
    docs = library.store.vectors._collection.get(ids=sorted(new_chunks), include=["documents"])
    assert all("two years" in d or "drug-free" in d for d in docs["documents"])


def test_shortened_article_leaves_no_old_chunks_behind(library, feed_server, settings):
    def feed(body: str) -> bytes:
        return ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>'
                "<title>CAR-T for lupus</title><link>https://x.example/b</link>"
                "<guid>lupus-2</guid><pubDate>Tue, 10 Nov 2026 10:00:00 GMT</pubDate>"
                f"<description>{body}</description></item></channel></rss>").encode()

    long_body = ("Patients with systemic lupus erythematosus treated with CAR-T cell therapy "
                 "stayed in drug-free remission for two years, the trial team reported. " * 12)
    short_body = "Patients with lupus given CD19 CAR-T cells in a phase 2 trial reached remission."
    url = feed_server.add("/g.xml", Route(body=feed(long_body)))
    library.settings = settings.replace(fetch_article_pages=False)
    run_ingest(library, [FeedSource(url, trusted=False)], now=NOW)
    (article,) = library.store.articles.list()
    assert len(library.store.vectors.ids_for_article(article.id)) > 1

    feed_server.routes["/g.xml"] = Route(body=feed(short_body))
    assert run_ingest(library, [FeedSource(url, trusted=False)], now=NOW).total("updated") == 1
    (updated,) = library.store.articles.list()
    assert library.store.vectors.ids_for_article(article.id) == [f"{article.id}-0"]
    assert updated.chunk_count == 1
