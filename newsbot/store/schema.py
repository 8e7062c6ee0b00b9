"""One schema for every record: articles, chunks (with FTS5), feeds, runs, story links, the
crash journal (`pending`), guild settings, digest subscriptions, answer feedback, watchlists
and trial registry records; created or brought up to date when a connection opens."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import suppress
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    added_at INTEGER NOT NULL,
    added_by TEXT NOT NULL DEFAULT '',
    etag TEXT,
    last_modified TEXT,
    last_attempt INTEGER,
    last_success INTEGER,
    last_error TEXT,
    error_count INTEGER NOT NULL DEFAULT 0,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    failing_since INTEGER
);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    guid TEXT NOT NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    feed_url TEXT NOT NULL,
    published INTEGER,
    ingested_at INTEGER NOT NULL,
    entry_hash TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    on_topic INTEGER NOT NULL,
    relevance REAL NOT NULL,
    reason TEXT NOT NULL,
    diseases TEXT NOT NULL DEFAULT '',
    therapies TEXT NOT NULL DEFAULT '',
    trial_ids TEXT NOT NULL DEFAULT '',
    story_id TEXT,
    duplicate_of TEXT,
    chunk_count INTEGER NOT NULL DEFAULT 0,
    vector BLOB
);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE INDEX IF NOT EXISTS articles_ingested ON articles(ingested_at);
CREATE INDEX IF NOT EXISTS articles_hash ON articles(content_hash);
CREATE INDEX IF NOT EXISTS articles_story ON articles(story_id);
CREATE INDEX IF NOT EXISTS articles_duplicate ON articles(duplicate_of);
CREATE INDEX IF NOT EXISTS articles_coverage ON articles(on_topic, duplicate_of, diseases);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    article_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, content='chunks', content_rowid='rowid', tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
-- Article-level keyword index (title weighted apart from the body) over stored articles:
-- on-topic originals only. Its rowid is the article's rowid; the BEFORE INSERT trigger drops
-- the old entry because INSERT OR REPLACE deletes the old row without firing DELETE triggers.
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, body, tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS articles_fts_bi BEFORE INSERT ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = (SELECT rowid FROM articles WHERE id = new.id);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_ai AFTER INSERT ON articles
WHEN new.on_topic = 1 AND new.duplicate_of IS NULL BEGIN
    INSERT INTO articles_fts(rowid, title, body) VALUES (new.rowid, new.title, new.text);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_ad AFTER DELETE ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = old.rowid;
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_au AFTER UPDATE OF title, text, on_topic, duplicate_of
ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = old.rowid;
    INSERT INTO articles_fts(rowid, title, body) SELECT new.rowid, new.title, new.text
    WHERE new.on_topic = 1 AND new.duplicate_of IS NULL;
END;
CREATE TABLE IF NOT EXISTS pending (
    article_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    chunk_ids TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    status TEXT NOT NULL,
    report TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Why each article is in its story: the article it was linked to and the evidence.
CREATE TABLE IF NOT EXISTS story_links (
    article_id TEXT PRIMARY KEY,
    story_id TEXT NOT NULL,
    linked_to TEXT,
    reason TEXT NOT NULL,
    similarity REAL NOT NULL DEFAULT 0
);
-- Per-guild settings and digest subscriptions (the Discord bot's).
CREATE TABLE IF NOT EXISTS guild_settings (
    guild_id INTEGER PRIMARY KEY,
    moderator_role TEXT,
    ask_cooldown REAL,
    ask_threads INTEGER,
    channels TEXT
);
CREATE TABLE IF NOT EXISTS digest_subscriptions (
    channel_id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    post_time TEXT NOT NULL,
    timezone TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    last_post_at INTEGER,
    last_period_end INTEGER,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0
);
-- Answers posted in Discord and what readers said about them.
CREATE TABLE IF NOT EXISTS answer_records (
    id INTEGER PRIMARY KEY,
    message_id INTEGER UNIQUE,
    guild_id INTEGER,
    channel_id INTEGER,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS answer_feedback (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES answer_records(id),
    user_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT,
    comment TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS answer_feedback_record ON answer_feedback(record_id);
-- Personal watchlists: followed topics, alerts sent (once per story, the daily cap) and
-- each guild's delivery settings.
CREATE TABLE IF NOT EXISTS watches (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    topic TEXT NOT NULL,
    parsed TEXT NOT NULL,
    immediate INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS watches_user ON watches(guild_id, user_id);
CREATE TABLE IF NOT EXISTS watch_alerts (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    item_key TEXT NOT NULL,
    watch_id INTEGER NOT NULL,
    sent_at INTEGER NOT NULL,
    via TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id, item_key)
);
CREATE INDEX IF NOT EXISTS watch_alerts_sent ON watch_alerts(sent_at);
CREATE TABLE IF NOT EXISTS watch_settings (
    guild_id INTEGER PRIMARY KEY,
    enabled INTEGER NOT NULL DEFAULT 1,
    channel_id INTEGER,
    prefer_dm INTEGER NOT NULL DEFAULT 1,
    in_thread INTEGER NOT NULL DEFAULT 0,
    thread_id INTEGER
);
-- Trial registry ids stated in articles (newsbot/trial_ids.py), which articles were read for
-- them (at which content hash), the cached registry records and each trial's status history.
CREATE TABLE IF NOT EXISTS article_registry_ids (
    article_id TEXT NOT NULL,
    registry TEXT NOT NULL,
    trial_id TEXT NOT NULL,
    acronym TEXT,
    PRIMARY KEY (article_id, registry, trial_id)
);
CREATE INDEX IF NOT EXISTS article_registry_ids_trial ON article_registry_ids(trial_id);
CREATE TABLE IF NOT EXISTS registry_scanned (
    article_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trial_records (
    nct_id TEXT PRIMARY KEY,
    found INTEGER NOT NULL,
    record TEXT,
    fetched_at INTEGER,
    checked_at INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS trial_status_history (
    id INTEGER PRIMARY KEY,
    nct_id TEXT NOT NULL,
    observed_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    status_date TEXT,
    has_results INTEGER NOT NULL,
    why_stopped TEXT,
    previous_status TEXT,
    results_posted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS trial_status_history_at ON trial_status_history(observed_at);
"""

# columns newer than some stores: added to older databases on open
ADDED_COLUMNS = {
    "feeds": {"failing_since": "INTEGER"},
    "guild_settings": {"ask_threads": "INTEGER", "channels": "TEXT"},
}


def ensure(conn: sqlite3.Connection, transaction: Callable[[sqlite3.Connection], Any]) -> None:
    conn.executescript(SCHEMA)
    _add_missing_columns(conn)
    _backfill_article_index(conn, transaction)


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, columns in ADDED_COLUMNS.items():
        have = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name not in have:
                with suppress(sqlite3.OperationalError):  # a racing process added it
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def _backfill_article_index(conn: sqlite3.Connection,
                            transaction: Callable[[sqlite3.Connection], Any]) -> None:
    """Stores written before the article index existed get it filled once."""
    if conn.execute("SELECT 1 FROM meta WHERE key = 'articles_fts'").fetchone():
        return
    with transaction(conn):
        if not conn.execute("SELECT 1 FROM meta WHERE key = 'articles_fts'").fetchone():
            conn.execute("DELETE FROM articles_fts")
            conn.execute("INSERT INTO articles_fts(rowid, title, body) SELECT rowid, title, text "
                         "FROM articles WHERE on_topic = 1 AND duplicate_of IS NULL")
            conn.execute("INSERT INTO meta (key, value) VALUES ('articles_fts', '1')")
