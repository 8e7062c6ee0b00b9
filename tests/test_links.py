"""Canonical addresses: the spellings of one feed compare equal; the fetched form is safe."""

from __future__ import annotations

import pytest

from newsbot.links import canonical_url


@pytest.mark.parametrize("spelling", [
    "HTTP://Example.ORG/rheum.xml", "http://example.org:80/rheum.xml",
    "http://example.org/rheum.xml/", "http://example.org/rheum.xml?utm_source=x&fbclid=1",
    "  http://example.org/rheum.xml#latest  ",
])
def test_spellings_of_one_feed_compare_equal(spelling):
    assert canonical_url(spelling, for_comparison=True) == "http://example.org/rheum.xml"


def test_different_feeds_stay_different():
    key = canonical_url("https://example.org/rheum.xml", for_comparison=True)
    for other in ["http://example.org/rheum.xml", "https://example.org:8443/rheum.xml",
                  "https://example.org/rheum.xml?page=2", "https://example.org/Rheum.xml"]:
        assert canonical_url(other, for_comparison=True) != key


def test_fetched_form_keeps_path_and_query_as_written():
    url = "HTTPS://News.Example.com:443/rss/search/?q=%22CAR-T%22+lupus&utm_medium=rss&hl=en"
    assert canonical_url(url) == "https://news.example.com/rss/search/?q=%22CAR-T%22+lupus&hl=en"
    assert canonical_url("ftp://example.org/feed") == "ftp://example.org/feed"
