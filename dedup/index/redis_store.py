"""The shared index on a Redis server: ``redis://host:port/db[?name=NAME]``.

Several machines can check their batches against one index. Everything lives under the
prefix ``dedup:`` (``dedup:NAME:`` with ``?name=NAME``), so one database can hold several
indexes next to other data:

====================  ======  ============================================================
``meta``              string  the parameters (JSON), written by the first batch
``docs``              hash    document number → packed record (id, batch, chars, size,
                              exact key, signature as little-endian uint32)
``exact``             hash    exact key (8 bytes) → document numbers (packed int64)
``ids``               hash    document id → document numbers (packed int64; ids may recur)
``batches``           hash    batch name → ``first_number:count``
``runs``              hash    batch name → its record (JSON: content digest, run, first number, count)
``identity``          string  a random name given by the first batch: an emptied server has none
``b:<8 bytes>``       set     one per band key (from :func:`dedup.match.lsh.band_keys`,
                              which folds the band into the key): its documents' numbers
``next``              string  the last document number given out
``sets``, ``entries`` string  counts of band sets and of their members, for ``stats``
``gen``               string  bumped by every change, so a change under our feet is seen
``lock``              string  held by a run (redis-py ``Lock``, renewed while it lasts)
``holder``            string  who holds the lock (pid, host, since), for a run that waits
====================  ======  ============================================================

A batch is added in one MULTI/EXEC transaction, sent in chunks on a connection of its
own: Redis queues the commands and applies them only at EXEC, so a run that dies, or a
server that goes away, before EXEC leaves the index as it was, whatever the batch size
(an AOF only ever logs whole transactions). The band sets are filled by a short Lua
script per few hundred documents inside that transaction, so the number of commands
stays small. The price is paid on the server: while EXEC runs it serves nobody else
(about 3 s per 50,000 documents on a busy 2-core machine), and at that moment it holds
about 4 KB per document of the batch beyond what the batch finally takes (the queued
commands, and their copies for the append-only file); a run adding a million documents
needs some 4 GB of headroom. The transaction WATCHes ``gen`` and ``lock``: if another
client changed the index or took over an expired lock, EXEC does nothing and the batch is
refused. As with any Redis transaction, an error raised by a command *during* EXEC
(only possible if something else wrote keys of another type under our prefix) does not
roll back the rest; that is reported, and ``dedup index compact`` repairs the references.

Redis Cluster is not supported (the transaction spans keys in many slots).
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import socket
import struct
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

try:
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import LockError, LockNotOwnedError
    from redis.retry import Retry
except ImportError:  # a dependency; a clear line all the same if it is missing
    redis = None  # type: ignore[assignment]

from dedup.decide.boilerplate import Votes
from dedup.extras import require
from dedup.index.bands import IndexParams
from dedup.index.store import (
    ANCHOR_BAND, BatchRecord, IndexAccessError, IndexedDocument, IndexStore, LockWait, containment_postings,
    samples_bytes, samples_from_bytes, signature_bytes, signature_from_bytes,
)
from dedup.locks import describe_holder, holder_line
from dedup.match.lsh import band_keys
from dedup.signatures.samples import coarse_cut

_HEADER = struct.Struct("<qqqII")  # chars, size, exact key, len(id), len(batch); then id, batch, signature
_READ_CHUNK = 2_000  # HMGET fields / SUNION commands per round trip
_SEND_CHUNK = 200  # queued commands per write while building a transaction
_SCRIPT_DOCS = 500  # documents per band-filling script call
_HSET_PAIRS = 1_000  # field-value pairs per HSET
_LOADING_WAIT = 300.0
_DELETE_IF = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"  # a restarted server replaying a large append-only file takes a while
# KEYS: the band sets, each document's bands in a row; ARGV[1]: bands per document; ARGV[2 + d]: the number of document d (from 0).
_ADD_BANDS = """
local bands = tonumber(ARGV[1])
for i = 1, #KEYS do
    redis.call('SADD', KEYS[i], ARGV[2 + math.floor((i - 1) / bands)])
end
return #KEYS
"""
# KEYS: vote hashes (one per line key); ARGV[2i-1], ARGV[2i]: the field (site:first) and the count for KEYS[i].
_ADD_VOTES = """
for i = 1, #KEYS do
    redis.call('HINCRBY', KEYS[i], ARGV[2 * i - 1], ARGV[2 * i])
end
return #KEYS
"""
# KEYS: sets; ARGV[i]: the member to add to KEYS[i] (containment postings: one set per coarse sample or anchor).
_ADD_MEMBERS = """
for i = 1, #KEYS do
    redis.call('SADD', KEYS[i], ARGV[i])
end
return #KEYS
"""


class RedisStore(IndexStore):
    def __init__(self, location: str, lock_wait: float = 3600.0, lock_ttl: float = 60.0) -> None:
        self.location = _redacted(location)
        self._lock_wait = lock_wait
        self._lock_ttl = lock_ttl
        url, name = _split_name(location)
        self._prefix = b"dedup:" + (name.encode("utf-8") + b":" if name else b"")
        self._band_prefix = self._prefix + b"b:"
        self._token: bytes | None = None  # our lock token while we hold the lock
        require("redis", "redis", "--index redis://")  # a missing extra is a usage error, not an index failure
        try:
            self._client = redis.Redis.from_url(
                url,
                socket_connect_timeout=10,
                socket_timeout=600,  # EXEC of a very large batch may take a while
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
            )
        except (ValueError, TypeError) as exc:
            raise IndexAccessError(f"{self.location}: not a usable redis location ({exc})") from None

    # -- keys and errors ------------------------------------------------------------------

    def _key(self, name: str) -> bytes:
        return self._prefix + name.encode()

    def _band_names(self, keys: np.ndarray) -> list[bytes]:
        """The set name of every band key, row by row."""
        raw = np.ascontiguousarray(keys, dtype="<i8").tobytes()
        prefix = self._band_prefix
        return [prefix + raw[i : i + 8] for i in range(0, len(raw), 8)]

    def _posting_names(self, band: int, hashes: np.ndarray) -> list[bytes]:
        """The set names of containment postings: ``c:`` (coarse samples) or ``a:`` (anchors), then the hash."""
        prefix = self._prefix + (b"a:" if band == ANCHOR_BAND else b"c:")
        raw = np.ascontiguousarray(hashes, dtype="<u4").tobytes()
        return [prefix + raw[i : i + 4] for i in range(0, len(raw), 4)]

    def _postings(self, doc: IndexedDocument, cut: int) -> list[bytes]:
        return [name for band, values in containment_postings(doc, cut) for name in self._posting_names(band, values)]

    def _resp_names(self, keys: np.ndarray) -> bytes:
        """The set names of ``keys`` as RESP bulk strings, built as one array: redis-py packs an argument at a time."""
        keys = np.ascontiguousarray(keys, dtype="<i8").reshape(-1)
        prefix = self._band_prefix
        head = b"$%d\r\n" % (len(prefix) + 8)
        out = np.empty((len(keys), len(head) + len(prefix) + 8 + 2), dtype=np.uint8)
        out[:, : len(head)] = np.frombuffer(head, np.uint8)
        out[:, len(head) : len(head) + len(prefix)] = np.frombuffer(prefix, np.uint8)
        out[:, len(head) + len(prefix) : -2] = keys.view(np.uint8).reshape(-1, 8)
        out[:, -2:] = np.frombuffer(b"\r\n", np.uint8)
        return out.tobytes()

    @contextlib.contextmanager
    def _guard(self, doing: str, unchanged: bool = False) -> Iterator[None]:
        """Turn every Redis error into one line naming the location (no traceback)."""
        try:
            yield
        except IndexAccessError:
            raise
        except redis.RedisError as exc:
            raise self._error(exc, doing, unchanged) from None
        except OSError as exc:  # a socket error redis-py did not wrap
            raise IndexAccessError(f"cannot reach {self.location}: {exc.strerror or exc}") from None

    def _error(self, exc: BaseException, doing: str, unchanged: bool = False) -> IndexAccessError:
        tail = "; the batch was not added, the index is unchanged" if unchanged else ""
        if isinstance(exc, redis.AuthenticationError) or "NOAUTH" in str(exc) or "WRONGPASS" in str(exc):
            return IndexAccessError(f"cannot use {self.location}: authentication failed ({_first_line(exc)}){tail}")
        if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
            return IndexAccessError(f"cannot reach {self.location}: {_reason(exc)}{tail}")
        return IndexAccessError(f"{self.location}: redis error while {doing} ({_first_line(exc)}){tail}")

    # -- reading --------------------------------------------------------------------------

    def read_meta(self) -> dict[str, object] | None:
        """The first call of a run: waits up to ``_LOADING_WAIT`` s for a server still loading its data after a restart."""
        deadline = time.monotonic() + _LOADING_WAIT
        with self._guard("reading the parameters"):
            while True:
                try:
                    raw = self._client.get(self._key("meta"))
                    break
                except redis.BusyLoadingError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise IndexAccessError(f"{self.location}: index unreadable (bad parameters under {self._key('meta').decode(errors='replace')})") from None

    def candidates(self, keys: np.ndarray) -> list[set[int]]:
        """One SUNION per document over its band sets, pipelined ``_READ_CHUNK`` at a time."""
        found: list[set[int]] = []
        if len(keys) == 0:
            return found
        bands = keys.shape[1]
        names = self._band_names(keys)
        with self._guard("looking up band keys"):
            for first in range(0, len(keys), _READ_CHUNK):
                pipe = self._client.pipeline(transaction=False)
                for row in range(first, min(first + _READ_CHUNK, len(keys))):
                    pipe.sunion(names[row * bands : (row + 1) * bands])
                for members in pipe.execute():
                    found.append({int(m) for m in members})
        return found

    def holders(self, band: int, hashes: Sequence[np.ndarray]) -> list[set[int]]:
        """One SUNION per document over its posting sets, pipelined ``_READ_CHUNK`` at a time."""
        found: list[set[int]] = [set() for _ in range(len(hashes))]
        asked = [d for d in range(len(hashes)) if len(hashes[d])]
        with self._guard("looking up containment postings"):
            for first in range(0, len(asked), _READ_CHUNK):
                pipe = self._client.pipeline(transaction=False)
                chunk = asked[first : first + _READ_CHUNK]
                for d in chunk:
                    pipe.sunion(self._posting_names(band, hashes[d]))
                for d, members in zip(chunk, pipe.execute()):
                    found[d] = {int(m) for m in members}
        return found

    def _vote_name(self, key: int) -> bytes:
        return self._prefix + b"v:" + struct.pack("<q", key)

    def votes(self, keys: np.ndarray, before: int | None = None) -> Votes:
        """One HGETALL per line key (fields ``site:first``), pipelined ``_READ_CHUNK`` at a time."""
        rows: dict[tuple[int, int], int] = {}
        wanted = np.unique(np.asarray(keys, dtype=np.int64)).tolist()
        with self._guard("looking up boilerplate votes"):
            for first in range(0, len(wanted), _READ_CHUNK):
                chunk = wanted[first : first + _READ_CHUNK]
                pipe = self._client.pipeline(transaction=False)
                for key in chunk:
                    pipe.hgetall(self._vote_name(key))
                for key, found in zip(chunk, pipe.execute()):
                    for field, value in found.items():
                        site, batch_first = (int(x) for x in field.split(b":"))
                        if before is None or batch_first < before:
                            rows[(key, site)] = rows.get((key, site), 0) + int(value)
        if not rows:
            return Votes.none()
        ordered = sorted(rows.items())
        return Votes(np.array([k for (k, _), _ in ordered], dtype=np.int64),
                     np.array([s for (_, s), _ in ordered], dtype=np.int64),
                     np.array([u for _, u in ordered], dtype=np.int64))

    def exact(self, exact_keys: Sequence[int]) -> list[int | None]:
        fields = [_exact_field(k) for k in exact_keys]
        result: list[int | None] = []
        with self._guard("looking up exact keys"):
            for first in range(0, len(fields), _READ_CHUNK):
                for value in self._client.hmget(self._key("exact"), fields[first : first + _READ_CHUNK]):
                    numbers = _unpack_numbers(value)
                    result.append(min(numbers) if numbers else None)
        return result

    def fetch(self, numbers: Sequence[int]) -> dict[int, IndexedDocument]:
        found: dict[int, IndexedDocument] = {}
        numbers = [int(n) for n in numbers]
        with self._guard("reading documents"):
            for first in range(0, len(numbers), _READ_CHUNK):
                chunk = numbers[first : first + _READ_CHUNK]
                pipe = self._client.pipeline(transaction=False)
                pipe.hmget(self._key("docs"), chunk)
                pipe.hmget(self._key("samples"), chunk)
                records, samples = pipe.execute()
                for number, record, blob in zip(chunk, records, samples):
                    if record is not None:
                        found[number] = self._document(record, blob)
        return found

    def _document(self, record: bytes, samples: bytes | None = None) -> IndexedDocument:
        try:
            doc = _unpack_document(record)
            with_samples, anchors = samples_from_bytes(samples)
            return dataclasses.replace(doc, samples=with_samples, anchors=anchors)
        except (struct.error, UnicodeDecodeError, ValueError, IndexError):
            raise IndexAccessError(f"{self.location}: index unreadable (a damaged document record)") from None

    # -- writing --------------------------------------------------------------------------

    def batch_records(self) -> dict[str, BatchRecord]:
        with self._guard("reading the batches"):
            raw = self._client.hgetall(self._key("runs"))
        records = {}
        for name, value in raw.items():
            try:
                fields = json.loads(value)
                records[name.decode("utf-8", "surrogatepass")] = BatchRecord(name.decode("utf-8", "surrogatepass"), **fields)
            except (ValueError, TypeError):
                raise IndexAccessError(f"{self.location}: index unreadable (a damaged batch record)") from None
        return dict(sorted(records.items(), key=lambda item: item[1].first))

    def identity(self) -> str | None:
        with self._guard("reading the identity"):
            raw = self._client.get(self._key("identity"))
        return raw.decode("ascii", "replace") if raw is not None else None

    def add(
        self, documents: Sequence[IndexedDocument], keys: np.ndarray, meta: dict[str, object],
        batch: BatchRecord | None = None, votes: Votes | None = None,
    ) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        if keys.ndim != 2 or len(keys) != len(documents):
            raise ValueError(f"{len(documents)} documents but band keys of shape {keys.shape}")
        cut = coarse_cut(int(meta.get("sample_scale", 4)))  # type: ignore[call-overload]
        with self._transaction("adding the batch", unchanged=True) as tx:
            start = int(tx.call("GET", self._key("next")) or 0) + 1
            numbers = list(range(start, start + len(documents)))
            id_lists = self._merged_lists(tx, "ids", [d.id.encode("utf-8", "surrogatepass") for d in documents], numbers)
            exact_lists = self._merged_lists(tx, "exact", [_exact_field(d.exact_key) for d in documents], numbers)
            stored_batches = self._batch_counts(tx)
            batches: dict[str, tuple[int, int]] = {}
            for number, doc in zip(numbers, documents):
                first, count = batches.get(doc.batch) or stored_batches.get(doc.batch) or (number, 0)
                batches[doc.batch] = (first, count + 1)
            distinct = np.sort(keys, axis=None)
            distinct = distinct[np.concatenate(([True], distinct[1:] != distinct[:-1]))] if len(distinct) else distinct
            existing = 0
            for first in range(0, len(distinct), _READ_CHUNK):
                chunk = distinct[first : first + _READ_CHUNK]
                existing += int(tx.call_packed(_resp(["EXISTS"], self._resp_names(chunk), len(chunk))))
            bands = keys.shape[1]
            entries = int(bands * len(keys) - (np.diff(np.sort(keys, axis=1), axis=1) == 0).sum())  # distinct per document

            def commands() -> Iterator[tuple[object, ...] | bytes]:
                yield ("SETNX", self._key("meta"), json.dumps(meta))
                yield ("SETNX", self._key("identity"), uuid.uuid4().hex)
                if batch is not None:
                    record = {"digest": batch.digest, "run": batch.run, "first": start, "documents": len(documents),
                              "added": time.time()}
                    yield ("HSET", self._key("runs"), batch.name.encode("utf-8", "surrogatepass"), json.dumps(record))
                for first in range(0, len(documents), _HSET_PAIRS):
                    pairs: list[object] = []
                    for number, doc in zip(numbers[first : first + _HSET_PAIRS], documents[first : first + _HSET_PAIRS]):
                        pairs += [number, _pack_document(doc)]
                    yield ("HSET", self._key("docs"), *pairs)
                for name, lists in (("ids", id_lists), ("exact", exact_lists)):
                    items = list(lists.items())
                    for first in range(0, len(items), _HSET_PAIRS):
                        yield ("HSET", self._key(name), *(x for field, value in items[first : first + _HSET_PAIRS] for x in (field, value)))
                if batches:
                    yield ("HSET", self._key("batches"), *(x for b, (f, c) in batches.items() for x in (b.encode("utf-8", "surrogatepass"), f"{f}:{c}")))
                blobs = [(n, b) for n, d in zip(numbers, documents) if (b := samples_bytes(d)) is not None]
                for first in range(0, len(blobs), _HSET_PAIRS):
                    yield ("HSET", self._key("samples"), *(x for pair in blobs[first : first + _HSET_PAIRS] for x in pair))
                postings = [(name, n) for n, d in zip(numbers, documents) for name in self._postings(d, cut)]
                for first in range(0, len(postings), _SCRIPT_DOCS * 20):
                    members = postings[first : first + _SCRIPT_DOCS * 20]
                    yield ("EVAL", _ADD_MEMBERS, len(members), *(name for name, _ in members), *(n for _, n in members))
                vote_rows = list(zip(votes.key.tolist(), votes.site.tolist(), votes.units.tolist())) if votes is not None else []
                for first in range(0, len(vote_rows), _SCRIPT_DOCS * 20):
                    counted = vote_rows[first : first + _SCRIPT_DOCS * 20]
                    yield ("EVAL", _ADD_VOTES, len(counted), *(self._vote_name(k) for k, _, _ in counted),
                           *(x for _, site, units in counted for x in (f"{site}:{start}", units)))
                for first in range(0, len(documents) if bands else 0, _SCRIPT_DOCS):
                    rows = keys[first : first + _SCRIPT_DOCS]
                    yield _resp(["EVAL", _ADD_BANDS, rows.size], self._resp_names(rows), rows.size, [bands, *numbers[first : first + len(rows)]])
                yield ("SET", self._key("next"), start + len(documents) - 1)
                yield ("INCRBY", self._key("sets"), len(distinct) - existing)
                yield ("INCRBY", self._key("entries"), entries)
                yield ("INCR", self._key("gen"))

            tx.commit(commands())

    def remove(self, doc_id: str) -> int:
        field = doc_id.encode("utf-8", "surrogatepass")
        with self._transaction("removing a document") as tx:
            numbers = _unpack_numbers(tx.call("HGET", self._key("ids"), field))
            if not numbers:
                return 0
            records = tx.call("HMGET", self._key("docs"), *numbers)
            blobs = tx.call("HMGET", self._key("samples"), *numbers)
            found = {n: self._document(r, b) for n, r, b in zip(numbers, records, blobs) if r is not None}
            params = self._params()
            batches = self._batch_counts(tx)
            commands: list[tuple[object, ...]] = [("HDEL", self._key("ids"), field)]
            sets_gone = entries_gone = 0
            exact_lists: dict[bytes, list[int]] = {}
            for number, doc in found.items():
                commands.append(("HDEL", self._key("docs"), number))
                commands.append(("HDEL", self._key("samples"), number))
                cut = coarse_cut(params.sample_scale if params is not None else 4)
                commands += [("SREM", name, number) for name in self._postings(doc, cut)]
                names = sorted(set(self._band_names(band_keys(doc.signature[None, :], params)))) if params else []
                for name in names:
                    if tx.call("SISMEMBER", name, number):
                        entries_gone += 1
                        sets_gone += tx.call("SCARD", name) == 1
                        commands.append(("SREM", name, number))
                exact = _exact_field(doc.exact_key)
                if exact not in exact_lists:
                    exact_lists[exact] = _unpack_numbers(tx.call("HGET", self._key("exact"), exact))
                exact_lists[exact] = [n for n in exact_lists[exact] if n != number]
                first, count = batches.get(doc.batch, (number, 1))
                batches[doc.batch] = (first, count - 1)
            for exact, rest in exact_lists.items():
                commands.append(("HSET", self._key("exact"), exact, _pack_numbers(rest)) if rest else ("HDEL", self._key("exact"), exact))
            for batch in {d.batch for d in found.values()}:
                first, count = batches[batch]
                name = batch.encode("utf-8", "surrogatepass")
                commands.append(("HSET", self._key("batches"), name, f"{first}:{count}") if count > 0 else ("HDEL", self._key("batches"), name))
            commands += [
                ("DECRBY", self._key("sets"), sets_gone),
                ("DECRBY", self._key("entries"), entries_gone),
                ("INCR", self._key("gen")),
            ]
            tx.commit(commands)
        return len(numbers)

    def compact(self) -> None:
        """Redis frees a band set as its last member goes, so there is no space to reclaim as such.

        This drops references to documents that are gone (only left behind if a transaction
        failed half-way inside Redis), recounts the band sets and entries, and asks the
        allocator to hand freed memory back (MEMORY PURGE). It reads every band set: minutes
        for millions of documents.
        """
        with self._guard("compacting the index"):
            client = self._client
            stored = {int(n) for n in client.hkeys(self._key("docs"))}
            sets = entries = 0
            pattern = _glob_escape(self._band_prefix) + b"*"
            cursor = 0
            while True:
                cursor, names = client.scan(cursor, match=pattern, count=2_000)
                if names:
                    pipe = client.pipeline(transaction=False)
                    for name in names:
                        pipe.smembers(name)
                    dangling = client.pipeline(transaction=False)
                    for name, members in zip(names, pipe.execute()):
                        numbers = {int(m) for m in members}
                        gone = numbers - stored
                        if gone:
                            dangling.srem(name, *gone)
                        live = len(numbers) - len(gone)
                        sets += live > 0
                        entries += live
                    dangling.execute()
                if cursor == 0:
                    break
            for name in ("ids", "exact"):
                fix = client.pipeline(transaction=False)
                for field, value in client.hscan_iter(self._key(name), count=2_000):
                    listed = _unpack_numbers(value)
                    still = [n for n in listed if n in stored]
                    if still and len(still) != len(listed):
                        fix.hset(self._key(name), field, _pack_numbers(still))
                    elif not still:
                        fix.hdel(self._key(name), field)
                fix.execute()
            pipe = client.pipeline(transaction=True)
            pipe.set(self._key("sets"), sets).set(self._key("entries"), entries).incr(self._key("gen"))
            pipe.execute()
            with contextlib.suppress(redis.ResponseError):  # not every allocator has it
                client.memory_purge()

    def _params(self) -> IndexParams | None:
        meta = self.read_meta()
        if meta is None:
            return None
        try:
            return IndexParams(**meta)  # type: ignore[arg-type]
        except TypeError:
            raise IndexAccessError(f"{self.location}: index unreadable (unknown parameters {sorted(meta)})") from None

    def _merged_lists(self, tx: _Transaction, name: str, fields: list[bytes], numbers: list[int]) -> dict[bytes, bytes]:
        """``field → stored numbers + new numbers`` for a hash of number lists (ids, exact keys)."""
        new: dict[bytes, list[int]] = defaultdict(list)
        for field, number in zip(fields, numbers):
            new[field].append(number)
        wanted = list(new)
        merged = {}
        for first in range(0, len(wanted), _READ_CHUNK):
            chunk = wanted[first : first + _READ_CHUNK]
            for field, value in zip(chunk, tx.call("HMGET", self._key(name), *chunk)):
                merged[field] = _pack_numbers(_unpack_numbers(value) + new[field])
        return merged

    def _batch_counts(self, tx: _Transaction) -> dict[str, tuple[int, int]]:
        raw = tx.call("HGETALL", self._key("batches"))
        pairs = raw.items() if isinstance(raw, dict) else zip(raw[::2], raw[1::2])  # RESP3 or RESP2
        counts = {}
        for name, value in pairs:
            first, count = value.split(b":")
            counts[name.decode("utf-8", "surrogatepass")] = (int(first), int(count))
        return counts

    @contextlib.contextmanager
    def _transaction(self, doing: str, unchanged: bool = False) -> Iterator[_Transaction]:
        tx = _Transaction(self, doing, unchanged)
        try:
            with self._guard(doing, unchanged=unchanged and not tx.exec_sent):
                try:
                    tx.begin()
                    yield tx
                except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                    if tx.exec_sent:  # the reply to EXEC never came: we cannot know
                        raise IndexAccessError(
                            f"cannot reach {self.location}: {_reason(exc)} while committing; "
                            "the batch may or may not have been added (see dedup index stats)"
                        ) from None
                    raise self._error(exc, doing, unchanged) from None
        finally:
            tx.close()

    # -- the lock -------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, on_wait: LockWait | None = None) -> Iterator[None]:
        token = uuid.uuid4().hex.encode()
        lock = self._client.lock(
            self._key("lock"), timeout=self._lock_ttl, sleep=0.2,
            blocking_timeout=self._lock_wait, thread_local=False,
        )
        with self._guard("locking the index"):
            acquired = lock.acquire(token=token, blocking=False)
            if not acquired and self._take_over_from_the_dead():
                acquired = lock.acquire(token=token, blocking=False)
            if not acquired:
                holder = describe_holder(self._client.get(self._key("holder")))
                if on_wait is not None:
                    on_wait(f"{self.location}: waiting for the index, locked by {holder}")
                acquired = lock.acquire(token=token)
            if acquired:
                self._client.set(self._key("holder"), json.dumps({**json.loads(holder_line()), "token": token.decode()}),
                                 px=int(self._lock_ttl * 1000))
        if not acquired:
            holder = describe_holder(self._client.get(self._key("holder")))
            raise IndexAccessError(f"{self.location}: still locked after {self._lock_wait:.0f} s, by {holder}")
        self._token = token
        stop = threading.Event()
        renewer = threading.Thread(target=_renew, args=(lock, self._lock_ttl, stop, self._key("holder")), name="dedup-index-lock", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            self._token = None
            # Nothing to report if this fails: the server is gone or the lock expired, and the
            # lock frees itself after its time to live anyway.
            with contextlib.suppress(redis.RedisError, LockError, OSError):
                self._client.delete(self._key("holder"))
                lock.release()

    def _take_over_from_the_dead(self) -> bool:
        """Free a lock whose holder was a process of this host that is gone (killed outright): it would
        otherwise block every run until its time to live ran out. True if it was freed."""
        try:
            holder = json.loads(self._client.get(self._key("holder")) or b"")
            if holder["host"] != socket.gethostname():
                return False
            os.kill(int(holder["pid"]), 0)
            return False  # alive
        except ProcessLookupError:
            pass
        except (ValueError, TypeError, KeyError, PermissionError, OSError):
            return False
        return bool(self._client.eval(_DELETE_IF, 1, self._key("lock"), holder["token"]))

    # -- maintenance ----------------------------------------------------------------------

    def stats(self) -> dict[str, object]:
        with self._guard("reading statistics"):
            client = self._client
            pipe = client.pipeline(transaction=False)
            pipe.hlen(self._key("docs"))
            pipe.get(self._key("sets"))
            pipe.get(self._key("entries"))
            pipe.hgetall(self._key("batches"))
            documents, sets, entries, batches = pipe.execute()
            memory = client.info("memory")
            persistence = client.info("persistence")
            key_bytes = {}
            for name in ("docs", "exact", "ids"):
                key_bytes[name] = client.memory_usage(self._key(name)) or 0
        order = sorted(
            ((name.decode("utf-8", "surrogatepass"), *map(int, value.split(b":"))) for name, value in batches.items()),
            key=lambda item: item[1],
        )
        return {
            "backend": "redis",
            "location": self.location,
            "prefix": self._prefix.decode("utf-8", "replace"),
            "documents": documents,
            "band_sets": int(sets or 0),
            "band_entries": int(entries or 0),
            "batches": {name: count for name, _, count in order},
            "bytes_in_memory": memory.get("used_memory"),  # the whole server, not only this index
            "memory": {
                "server_used_memory": memory.get("used_memory"),
                "server_used_memory_human": memory.get("used_memory_human"),
                "server_maxmemory": memory.get("maxmemory"),
                "docs_hash": key_bytes["docs"],  # MEMORY USAGE, sampled
                "exact_hash": key_bytes["exact"],
                "ids_hash": key_bytes["ids"],
            },
            "persistence": {
                "aof_enabled": bool(persistence.get("aof_enabled")),
                "rdb_last_save_time": persistence.get("rdb_last_save_time"),
            },
            "params": self.read_meta(),
        }

    def export(self) -> Iterator[IndexedDocument]:
        with self._guard("exporting"):
            numbers = sorted(int(n) for n in self._client.hkeys(self._key("docs")))
        for first in range(0, len(numbers), _READ_CHUNK):
            chunk = numbers[first : first + _READ_CHUNK]
            found = self.fetch(chunk)
            for number in chunk:
                if number in found:
                    yield found[number]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.close()


class _Transaction:
    """WATCH, reads, then MULTI … EXEC streamed in chunks, on a connection of our own.

    The connection is dropped at the end, so a transaction that did not reach EXEC is
    discarded by the server; it is never reconnected in between.
    """

    def __init__(self, store: RedisStore, doing: str, unchanged: bool) -> None:
        self._store = store
        self._doing = doing
        self._unchanged = unchanged
        pool = store._client.connection_pool
        self._conn = pool.connection_class(**pool.connection_kwargs)
        # redis-py reconnects silently when the socket is gone; here that would lose the WATCH
        # and send the rest of the batch outside MULTI, so any second connect is an error.
        self._connected = False
        self._conn.register_connect_callback(self._on_connect)
        self.exec_sent = False
        self.sent = 0  # commands queued so far (for tests)

    def begin(self) -> None:
        store = self._store
        watched = [store._key("gen"), store._key("lock")]
        self.call("WATCH", *watched)
        if store._token is not None and self.call("GET", store._key("lock")) != store._token:
            raise IndexAccessError(
                f"{store.location}: this run lost its lock on the index (it expired and another run may have "
                f"taken it); the batch was not added, the index is unchanged"
            )

    def _on_connect(self, connection: object) -> None:
        if self._connected:
            raise redis.ConnectionError("connection lost in the middle of the transaction")
        self._connected = True

    def call(self, *args: object) -> Any:  # a reply: whatever the command returns
        self._conn.send_command(*args)
        return self._conn.read_response()

    def call_packed(self, command: bytes) -> Any:
        self._conn.send_packed_command([command])
        return self._conn.read_response()

    def send(self, commands: Sequence[tuple[object, ...] | bytes]) -> None:
        """Queue commands (argument tuples, or already in RESP) inside MULTI; each must be acknowledged with QUEUED."""
        packed: list[bytes] = []
        for command in commands:
            if isinstance(command, bytes):
                packed.append(command)
            else:
                packed.extend(self._conn.pack_command(*command))
        self._conn.send_packed_command(packed)
        for _ in commands:
            reply = self._conn.read_response()
            if reply not in (b"QUEUED", "QUEUED"):
                raise redis.ResponseError(f"command not queued: {reply!r}")
        self.sent += len(commands)

    def commit(self, commands: Iterable[tuple[object, ...] | bytes]) -> None:
        store = self._store
        self.call("MULTI")
        chunk: list[tuple[object, ...] | bytes] = []
        for command in commands:
            chunk.append(command)
            if len(chunk) >= _SEND_CHUNK:
                self.send(chunk)
                chunk = []
        if chunk:
            self.send(chunk)
        self.exec_sent = True
        results = self.call("EXEC")
        if results is None:
            tail = "; the batch was not added, the index is unchanged" if self._unchanged else "; nothing was changed"
            raise IndexAccessError(
                f"{store.location}: the index was changed by another client (or this run's lock expired) "
                f"while {self._doing}{tail}"
            )
        failed = [r for r in results if isinstance(r, Exception)]
        if failed:
            raise IndexAccessError(
                f"{store.location}: redis refused part of the transaction while {self._doing} ({_first_line(failed[0])}); "
                "run dedup index compact to repair the references"
            )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.disconnect()


def _renew(lock: redis.lock.Lock, ttl: float, stop: threading.Event, holder: bytes) -> None:
    """Keep the lock (and the note of who holds it) alive while the run lasts; a run killed outright frees
    both after ``ttl``."""
    while not stop.wait(ttl / 3):
        try:
            lock.extend(ttl, replace_ttl=True)
            lock.redis.pexpire(holder, int(ttl * 1000))
        except LockNotOwnedError:
            return  # lost: the add refuses to write (its lock check fails)
        except (redis.RedisError, OSError):
            continue  # the server may be back before the lock expires


# -- encoding ---------------------------------------------------------------------------


def _pack_document(doc: IndexedDocument) -> bytes:
    doc_id = doc.id.encode("utf-8", "surrogatepass")
    batch = doc.batch.encode("utf-8", "surrogatepass")
    return _HEADER.pack(doc.chars, doc.size, doc.exact_key, len(doc_id), len(batch)) + doc_id + batch + signature_bytes(doc.signature)


def _unpack_document(record: bytes) -> IndexedDocument:
    chars, size, exact_key, id_len, batch_len = _HEADER.unpack_from(record)
    at = _HEADER.size
    doc_id = record[at : at + id_len].decode("utf-8", "surrogatepass")
    batch = record[at + id_len : at + id_len + batch_len].decode("utf-8", "surrogatepass")
    return IndexedDocument(doc_id, batch, chars, size, exact_key, signature_from_bytes(record[at + id_len + batch_len :]))


def _resp(before: Sequence[object], block: bytes = b"", block_count: int = 0, after: Sequence[object] = ()) -> bytes:
    """A command in RESP: the arguments ``before``, ``block_count`` arguments already packed, then ``after``."""
    parts = [b"*%d\r\n" % (len(before) + block_count + len(after))]
    parts += [_bulk(a) for a in before]
    parts.append(block)
    parts += [_bulk(a) for a in after]
    return b"".join(parts)


def _bulk(value: object) -> bytes:
    raw = value if isinstance(value, bytes) else str(value).encode()
    return b"$%d\r\n%s\r\n" % (len(raw), raw)


def _exact_field(key: int) -> bytes:
    return struct.pack("<q", int(key))


def _pack_numbers(numbers: Sequence[int]) -> bytes:
    return np.asarray(numbers, dtype="<i8").tobytes()


def _unpack_numbers(value: bytes | None) -> list[int]:
    return np.frombuffer(value, dtype="<i8").tolist() if value else []


# -- locations and messages -------------------------------------------------------------


def _split_name(location: str) -> tuple[str, str | None]:
    """The URL without ``name=…`` (redis-py would take it for a connection option), and the name."""
    parts = urlsplit(location)
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = [v for k, v in query if k == "name"]
    rest = urlencode([(k, v) for k, v in query if k != "name"])
    return urlunsplit(parts._replace(query=rest)), (names[-1] or None) if names else None


def _redacted(location: str) -> str:
    """The location as shown in messages: never a password."""
    return re.sub(r"(://[^/@]*?:)[^/@]*@", r"\1***@", location)


def _glob_escape(raw: bytes) -> bytes:
    return re.sub(rb"([*?\[\]\\])", rb"\\\1", raw)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _reason(exc: BaseException) -> str:
    text = _first_line(exc)
    lowered = text.lower()
    for needle, reason in (
        ("connection refused", "connection refused"),
        ("loading the dataset", "the server is still loading its data"),
        ("name or service not known", "unknown host"),
        ("nodename nor servname", "unknown host"),
        ("temporary failure in name resolution", "unknown host"),
        ("no such file or directory", "no such socket"),
        ("connection reset", "connection reset by the server"),
        ("closed by server", "connection closed by the server"),
        ("broken pipe", "connection closed by the server"),
        ("timed out", "timed out"),
        ("timeout", "timed out"),
    ):
        if needle in lowered:
            return reason
    return text
