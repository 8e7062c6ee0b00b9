"""Trial registry ids found in articles, the cached registry records (with their validators
for conditional requests) and each trial's status history, from which the updates come."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from datetime import datetime

from newsbot.models import ArticleRecord
from newsbot.store.articles import row_to_article, rows_by_id
from newsbot.store.sqlite import Database, from_ts, to_ts
from newsbot.trial_ids import CTGOV, RegistryId, find_registry_ids
from newsbot.trials import CachedTrial, TrialRecord, TrialUpdate, change_between, record_from_json

log = logging.getLogger(__name__)
_SCAN_BATCH = 200


class Trials:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- ids stated in articles ------------------------------------------------------------
    def index_articles(self) -> int:
        """Read the articles not yet read at their current text for registry ids (a store
        written before this table existed is read in full once). Returns articles read."""
        conn = self._db.conn
        done = 0
        while True:
            rows = conn.execute(
                """SELECT a.id, a.title, a.text, a.content_hash FROM articles a
                   LEFT JOIN registry_scanned s ON s.article_id = a.id
                   WHERE s.content_hash IS NULL OR s.content_hash != a.content_hash
                   LIMIT ?""", (_SCAN_BATCH,)).fetchall()
            if not rows:
                return done
            with self._db.transaction() as tx:
                for row in rows:
                    ids = find_registry_ids(f"{row['title']}\n{row['text']}")
                    tx.execute("DELETE FROM article_registry_ids WHERE article_id = ?",
                               (row["id"],))
                    tx.executemany(
                        "INSERT OR REPLACE INTO article_registry_ids VALUES (?,?,?,?)",
                        [(row["id"], r.registry, r.id, r.acronym) for r in ids])
                    tx.execute("INSERT OR REPLACE INTO registry_scanned VALUES (?,?)",
                               (row["id"], row["content_hash"]))
            done += len(rows)

    def ids_of(self, article_ids: Iterable[str]) -> dict[str, tuple[RegistryId, ...]]:
        """The registry ids each article states, ClinicalTrials.gov first."""
        rows = rows_by_id(self._db.conn, "SELECT * FROM article_registry_ids "
                          "WHERE article_id IN", article_ids)
        out: dict[str, list[RegistryId]] = {}
        for row in sorted(rows, key=lambda r: (r["registry"] != CTGOV, r["trial_id"])):
            out.setdefault(row["article_id"], []).append(
                RegistryId(row["registry"], row["trial_id"], row["acronym"]))
        return {k: tuple(v) for k, v in out.items()}

    def acronym_of(self, trial_id: str) -> str | None:
        """The acronym articles tie to the id most often."""
        row = self._db.conn.execute(
            """SELECT acronym, COUNT(*) AS n FROM article_registry_ids WHERE trial_id = ?
               AND acronym IS NOT NULL GROUP BY acronym ORDER BY n DESC, acronym LIMIT 1""",
            (trial_id,)).fetchone()
        return row["acronym"] if row else None

    def by_acronym(self, acronym: str) -> RegistryId | None:
        """The id articles tie to this acronym (case-insensitive), if any."""
        row = self._db.conn.execute(
            """SELECT registry, trial_id, acronym, COUNT(*) AS n FROM article_registry_ids
               WHERE UPPER(acronym) = UPPER(?) GROUP BY registry, trial_id
               ORDER BY n DESC, trial_id LIMIT 1""", (acronym.strip(),)).fetchone()
        return RegistryId(row["registry"], row["trial_id"], row["acronym"]) if row else None

    def known(self, prefix: str = "", limit: int = 25) -> list[RegistryId]:
        """Ids stated in stored on-topic articles, most mentioned first; `prefix` matches
        the id or the acronym."""
        like = prefix.strip().upper().replace("%", "") + "%"
        rows = self._db.conn.execute(
            """SELECT r.registry, r.trial_id, MAX(r.acronym) AS acronym, COUNT(*) AS n
               FROM article_registry_ids r JOIN articles a ON a.id = r.article_id
               WHERE a.on_topic = 1 AND a.duplicate_of IS NULL
               AND (UPPER(r.trial_id) LIKE ? OR UPPER(COALESCE(r.acronym, '')) LIKE ?)
               GROUP BY r.registry, r.trial_id ORDER BY n DESC, r.trial_id LIMIT ?""",
            (like, like, limit))
        return [RegistryId(r["registry"], r["trial_id"], r["acronym"]) for r in rows]

    def articles_mentioning(self, trial_id: str) -> list[ArticleRecord]:
        """Stored on-topic originals stating the id, newest first."""
        rows = self._db.conn.execute(
            """SELECT a.* FROM articles a JOIN article_registry_ids r ON r.article_id = a.id
               WHERE r.trial_id = ? AND a.on_topic = 1 AND a.duplicate_of IS NULL
               ORDER BY COALESCE(a.published, a.ingested_at) DESC""", (trial_id,))
        return [row_to_article(r) for r in rows]

    # --- cached registry records -----------------------------------------------------------
    def due(self, checked_before: datetime) -> list[str]:
        """ClinicalTrials.gov ids stated in stored articles whose record was never fetched
        or last checked before `checked_before`; never-checked first, then the oldest."""
        rows = self._db.conn.execute(
            """SELECT DISTINCT r.trial_id, t.checked_at FROM article_registry_ids r
               JOIN articles a ON a.id = r.article_id
               LEFT JOIN trial_records t ON t.nct_id = r.trial_id
               WHERE r.registry = ? AND (t.checked_at IS NULL OR t.checked_at < ?)
               ORDER BY t.checked_at IS NOT NULL, t.checked_at, r.trial_id""",
            (CTGOV, to_ts(checked_before))).fetchall()
        return [r["trial_id"] for r in rows]

    def cached(self, nct_id: str) -> CachedTrial | None:
        row = self._db.conn.execute("SELECT * FROM trial_records WHERE nct_id = ?",
                                    (nct_id,)).fetchone()
        return _cached(row) if row else None

    def records(self, nct_ids: Iterable[str]) -> dict[str, TrialRecord]:
        """The cached records of these ids that have one."""
        rows = rows_by_id(self._db.conn, "SELECT * FROM trial_records WHERE nct_id IN",
                          nct_ids)
        return {c.nct_id: c.record for c in map(_cached, rows) if c.record is not None}

    def save(self, record: TrialRecord, raw: object, *, etag: str | None,
             last_modified: str | None, now: datetime) -> TrialUpdate | None:
        """Cache a freshly fetched record; a first or changed status goes into the history,
        and a change over the cached record is returned."""
        previous = self.cached(record.nct_id)
        old = previous.record if previous else None
        update = change_between(old, record, now)
        with self._db.transaction() as conn:
            conn.execute(
                """INSERT OR REPLACE INTO trial_records (nct_id, found, record, fetched_at,
                   checked_at, etag, last_modified, last_error) VALUES (?,1,?,?,?,?,?,NULL)""",
                (record.nct_id, json.dumps(raw), to_ts(now), to_ts(now), etag, last_modified))
            if old is None or update is not None:
                conn.execute(
                    """INSERT INTO trial_status_history (nct_id, observed_at, status,
                       status_date, has_results, why_stopped, previous_status, results_posted)
                       VALUES (?,?,?,?,?,?,?,?)""",
                    (record.nct_id, to_ts(now), record.status, record.status_date,
                     int(record.has_results), record.why_stopped,
                     old.status if old else None, int(bool(update and update.results_posted))))
        return update

    def not_modified(self, nct_id: str, now: datetime) -> None:
        """The registry answered 304: the cached record is current as of now."""
        self._db.conn.execute(
            "UPDATE trial_records SET fetched_at = ?, checked_at = ?, last_error = NULL "
            "WHERE nct_id = ?", (to_ts(now), to_ts(now), nct_id))

    def missing(self, nct_id: str, now: datetime) -> None:
        """The registry has no such study (404); a record cached before is kept."""
        self._db.conn.execute(
            """INSERT INTO trial_records (nct_id, found, checked_at, last_error)
               VALUES (?, 0, ?, 'not in the registry')
               ON CONFLICT(nct_id) DO UPDATE SET found = 0, checked_at = excluded.checked_at,
               last_error = excluded.last_error""", (nct_id, to_ts(now)))

    def failed(self, nct_id: str, error: str, now: datetime) -> None:
        """The check failed (malformed record, server error): the cached record stays."""
        self._db.conn.execute(
            """INSERT INTO trial_records (nct_id, found, checked_at, last_error)
               VALUES (?, 1, ?, ?)
               ON CONFLICT(nct_id) DO UPDATE SET checked_at = excluded.checked_at,
               last_error = excluded.last_error""", (nct_id, to_ts(now), error[:300]))

    # --- status history --------------------------------------------------------------------
    def updates(self, since: datetime, until: datetime | None = None,
                nct_ids: Iterable[str] | None = None) -> list[TrialUpdate]:
        """Status changes and posted results seen since `since` (up to `until`), newest
        first; `nct_ids` narrows them to those trials (a watchlist)."""
        clauses = ["h.previous_status IS NOT NULL", "h.observed_at >= ?"]
        params: list[object] = [to_ts(since)]
        if until is not None:
            clauses.append("h.observed_at <= ?")
            params.append(to_ts(until))
        if nct_ids is not None:
            wanted = list(dict.fromkeys(nct_ids))
            clauses.append(f"h.nct_id IN ({','.join('?' * len(wanted))})")
            params += wanted
        rows = self._db.conn.execute(
            f"""SELECT h.*, t.record FROM trial_status_history h
                LEFT JOIN trial_records t ON t.nct_id = h.nct_id
                WHERE {' AND '.join(clauses)} ORDER BY h.observed_at DESC, h.id DESC""",
            params).fetchall()
        return [self._update(row) for row in rows]

    def _update(self, row: sqlite3.Row) -> TrialUpdate:
        record = _record(row["record"], row["nct_id"])
        return TrialUpdate(
            nct_id=row["nct_id"],
            acronym=(record.acronym if record else None) or self.acronym_of(row["nct_id"]),
            title=record.title if record else "", old_status=row["previous_status"],
            new_status=row["status"], status_date=row["status_date"],
            observed_at=from_ts(row["observed_at"]),  # type: ignore[arg-type]
            why_stopped=row["why_stopped"], results_posted=bool(row["results_posted"]))


def _record(raw: str | None, nct_id: str) -> TrialRecord | None:
    if not raw:
        return None
    try:
        return record_from_json(json.loads(raw), nct_id)
    except ValueError:  # a cache written by another version
        log.warning("the cached registry record of %s could not be read", nct_id)
        return None


def _cached(row: sqlite3.Row) -> CachedTrial:
    return CachedTrial(
        nct_id=row["nct_id"], record=_record(row["record"], row["nct_id"]),
        found=bool(row["found"]), fetched_at=from_ts(row["fetched_at"]),
        checked_at=from_ts(row["checked_at"]),  # type: ignore[arg-type]
        etag=row["etag"], last_modified=row["last_modified"], last_error=row["last_error"])
