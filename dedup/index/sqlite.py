"""The embedded index: one SQLite file in WAL mode, no server to start.

A batch is added in one transaction, so a run killed at any point leaves the index as it
was or with the whole batch. A run holds an exclusive lock on ``<file>.lock`` from start
to end, so two runs on one index take turns instead of both matching against the state
before either added its batch.
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from dedup.decide.boilerplate import Votes
from dedup.index.store import (
    BatchRecord, IndexAccessError, IndexedDocument, IndexStore, LockWait, containment_postings, samples_bytes,
    samples_from_bytes, signature_bytes, signature_from_bytes,
)
from dedup.signatures.samples import coarse_cut
from dedup.locks import LockTimeout, file_lock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    num INTEGER PRIMARY KEY, id TEXT NOT NULL, batch TEXT NOT NULL, chars INTEGER NOT NULL,
    size INTEGER NOT NULL, exact_key INTEGER NOT NULL, signature BLOB NOT NULL, added REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_exact ON docs (exact_key);
CREATE INDEX IF NOT EXISTS docs_id ON docs (id);
CREATE TABLE IF NOT EXISTS bands (
    band INTEGER NOT NULL, key INTEGER NOT NULL, num INTEGER NOT NULL, PRIMARY KEY (band, key, num)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
    batch TEXT PRIMARY KEY, digest TEXT NOT NULL, run TEXT NOT NULL, first INTEGER NOT NULL,
    documents INTEGER NOT NULL, added REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_digest ON runs (digest);
CREATE TABLE IF NOT EXISTS doc_samples (num INTEGER PRIMARY KEY, samples BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS votes (
    key INTEGER NOT NULL, site INTEGER NOT NULL, first INTEGER NOT NULL, units INTEGER NOT NULL,
    PRIMARY KEY (key, site, first)
) WITHOUT ROWID;
"""
_CHUNK = 20_000


class SqliteStore(IndexStore):
    def __init__(self, path: str | os.PathLike[str], lock_wait: float = 3600.0, create: bool = True) -> None:
        self.location = str(path)
        self._lock_wait = lock_wait
        if not create and not Path(path).is_file():
            raise IndexAccessError(f"{self.location}: no index there")
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.location, timeout=60, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise IndexAccessError(f"{self.location}: cannot open the index ({exc})") from None

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise IndexAccessError(f"{self.location}: index unreadable ({exc})") from None

    def read_meta(self) -> dict[str, object] | None:
        rows = self._query("SELECT value FROM meta WHERE key = 'params'")
        return json.loads(rows[0][0]) if rows else None

    def candidates(self, keys: np.ndarray) -> list[set[int]]:
        rows = [(int(pos), band, int(key)) for pos, band_keys in enumerate(keys) for band, key in enumerate(band_keys)]
        return self._band_members(rows, len(keys))

    def holders(self, band: int, hashes: Sequence[np.ndarray]) -> list[set[int]]:
        return self._band_members([(pos, band, int(h)) for pos, values in enumerate(hashes) for h in values.tolist()],
                                  len(hashes))

    def _band_members(self, rows: list[tuple[int, int, int]], count: int) -> list[set[int]]:
        """For each query position of ``rows`` (position, band, key), the stored numbers with that band key."""
        found: list[set[int]] = [set() for _ in range(count)]
        if not rows:
            return found
        with self._transaction():
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS query (pos INTEGER, band INTEGER, key INTEGER)")
            self._db.execute("DELETE FROM query")
            self._db.executemany("INSERT INTO query VALUES (?, ?, ?)", rows)
            for pos, num in self._db.execute(
                "SELECT query.pos, bands.num FROM query JOIN bands ON bands.band = query.band AND bands.key = query.key"
            ):
                found[pos].add(num)
            self._db.execute("DELETE FROM query")
        return found

    def exact(self, exact_keys: Sequence[int]) -> list[int | None]:
        result: list[int | None] = []
        for key in exact_keys:
            rows = self._query("SELECT MIN(num) FROM docs WHERE exact_key = ?", (int(key),))
            result.append(rows[0][0] if rows else None)
        return result

    def fetch(self, numbers: Sequence[int]) -> dict[int, IndexedDocument]:
        found = {}
        numbers = list(numbers)
        for first in range(0, len(numbers), 500):
            chunk = numbers[first : first + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._query(
                f"SELECT docs.num, id, batch, chars, size, exact_key, signature, doc_samples.samples FROM docs "
                f"LEFT JOIN doc_samples ON doc_samples.num = docs.num WHERE docs.num IN ({marks})", chunk
            ):
                found[row[0]] = _document(row[1:])
        return found

    def votes(self, keys: np.ndarray, before: int | None = None) -> Votes:
        if len(keys) == 0:
            return Votes.none()
        rows = []
        with self._transaction():
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (key INTEGER PRIMARY KEY)")
            self._db.execute("DELETE FROM wanted")
            self._db.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", ((int(k),) for k in keys.tolist()))
            rows = self._db.execute(
                "SELECT votes.key, votes.site, SUM(votes.units) FROM wanted JOIN votes ON votes.key = wanted.key "
                "WHERE votes.first < ? GROUP BY votes.key, votes.site ORDER BY votes.key, votes.site",
                (before if before is not None else 1 << 62,),
            ).fetchall()
            self._db.execute("DELETE FROM wanted")
        if not rows:
            return Votes.none()
        table = np.array(rows, dtype=np.int64)
        return Votes(table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy())

    def add(
        self, documents: Sequence[IndexedDocument], keys: np.ndarray, meta: dict[str, object],
        batch: BatchRecord | None = None, votes: Votes | None = None,
    ) -> None:
        now = time.time()
        try:
            with self._transaction():
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('params', ?)", (json.dumps(meta),))
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('identity', ?)", (uuid.uuid4().hex,))
                start = self._db.execute("SELECT COALESCE(MAX(num), 0) + 1 FROM docs").fetchone()[0]
                if batch is not None:
                    self._db.execute(
                        "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                        (batch.name, batch.digest, batch.run, start, len(documents), now),
                    )
                self._db.executemany(
                    "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        (start + i, d.id, d.batch, d.chars, d.size, d.exact_key, signature_bytes(d.signature), now)
                        for i, d in enumerate(documents)
                    ),
                )
                self._db.executemany(
                    "INSERT OR IGNORE INTO bands VALUES (?, ?, ?)",
                    ((band, int(key), start + i) for i, row in enumerate(keys) for band, key in enumerate(row)),
                )
                cut = coarse_cut(int(meta.get("sample_scale", 4)))  # type: ignore[call-overload]
                self._db.executemany(
                    "INSERT INTO doc_samples VALUES (?, ?)",
                    ((start + i, blob) for i, d in enumerate(documents) if (blob := samples_bytes(d)) is not None),
                )
                self._db.executemany(
                    "INSERT OR IGNORE INTO bands VALUES (?, ?, ?)",
                    ((band, int(key), start + i) for i, d in enumerate(documents)
                     for band, values in containment_postings(d, cut) for key in values.tolist()),
                )
                if votes is not None and len(votes):
                    self._db.executemany(
                        "INSERT INTO votes VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET units = units + excluded.units",
                        zip(votes.key.tolist(), votes.site.tolist(), [start] * len(votes), votes.units.tolist()),
                    )
        except sqlite3.Error as exc:
            raise IndexAccessError(f"{self.location}: the batch could not be added ({exc}); the index is unchanged") from None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def batch_records(self) -> dict[str, BatchRecord]:
        rows = self._query("SELECT batch, digest, run, first, documents, added FROM runs ORDER BY first")
        return {row[0]: BatchRecord(*row) for row in rows}

    def identity(self) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = 'identity'")
        return rows[0][0] if rows else None

    @contextlib.contextmanager
    def lock(self, on_wait: LockWait | None = None) -> Iterator[None]:
        """An exclusive lock on ``<file>.lock`` (:func:`dedup.locks.file_lock`): freed by the kernel if the run dies."""
        tell = None if on_wait is None else (lambda line: on_wait(f"{self.location}: {line}"))
        try:
            with file_lock(f"{self.location}.lock", self._lock_wait, tell):
                yield
        except LockTimeout as exc:
            raise IndexAccessError(f"{self.location}: {exc}") from None
        except OSError as exc:
            raise IndexAccessError(f"{self.location}: cannot lock the index ({exc.strerror or exc})") from None

    def stats(self) -> dict[str, object]:
        documents = self._query("SELECT COUNT(*) FROM docs")[0][0]
        batches = self._query("SELECT batch, COUNT(*) FROM docs GROUP BY batch ORDER BY MIN(num)")
        size = sum(os.path.getsize(p) for p in (self.location, f"{self.location}-wal") if os.path.exists(p))
        return {
            "backend": "sqlite",
            "location": self.location,
            "documents": documents,
            "band_entries": self._query("SELECT COUNT(*) FROM bands WHERE band >= 0")[0][0],
            "containment_entries": self._query("SELECT COUNT(*) FROM bands WHERE band < 0")[0][0],
            "boilerplate_vote_rows": self._query("SELECT COUNT(*) FROM votes")[0][0],
            "batches": {batch: count for batch, count in batches},
            "bytes_on_disk": size,
            "params": self.read_meta(),
        }

    def export(self) -> Iterator[IndexedDocument]:
        for row in self._db.execute(
            "SELECT id, batch, chars, size, exact_key, signature, doc_samples.samples FROM docs "
            "LEFT JOIN doc_samples ON doc_samples.num = docs.num ORDER BY docs.num"
        ):
            yield _document(row)

    def remove(self, doc_id: str) -> int:
        with self._transaction():
            numbers = [n for (n,) in self._db.execute("SELECT num FROM docs WHERE id = ?", (doc_id,))]
            for num in numbers:
                self._db.execute("DELETE FROM bands WHERE num = ?", (num,))
                self._db.execute("DELETE FROM doc_samples WHERE num = ?", (num,))
                self._db.execute("DELETE FROM docs WHERE num = ?", (num,))
        return len(numbers)

    def compact(self) -> None:
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.execute("VACUUM")

    def close(self) -> None:
        self._db.close()


def _document(row: Sequence[object]) -> IndexedDocument:
    doc_id, batch, chars, size, exact_key, blob, samples_blob = row
    samples, anchors = samples_from_bytes(samples_blob)  # type: ignore[arg-type]
    return IndexedDocument(
        doc_id, batch, chars, size, exact_key, signature_from_bytes(blob), samples, anchors,  # type: ignore[arg-type]
    )
