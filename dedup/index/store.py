"""The storage interface every index backend implements, and what is stored per document.

The matcher never knows where its bands live (as in datasketch's storage layer): it asks
a store for the documents sharing a band key, fetches their signatures, and at the end of
a run adds the kept documents in one atomic step.
"""
from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import xxhash

from dedup.decide.boilerplate import Votes
from dedup.errors import DedupError


class IndexAccessError(DedupError):
    """The index cannot be used right now: unreachable, locked, unreadable, a failed write."""


class IndexParamsError(DedupError):
    """The index was built with other MinHash, shingling or threshold parameters (a usage error)."""


@dataclass(frozen=True)
class IndexedDocument:
    """A kept document as the index remembers it."""

    id: str
    batch: str
    chars: int
    size: int  # distinct shingles
    exact_key: int  # int64 view of the XXH3 key
    signature: np.ndarray
    samples: np.ndarray | None = None  # sampled shingles (dedup.signatures.samples); None in older indexes
    anchors: np.ndarray | None = None  # its rarest coarse samples when it was added (dedup.index.containment)


@dataclass(frozen=True)
class BatchRecord:
    """A batch as the index remembers it, so a re-run of it or of a half-published run is recognised.

    ``digest`` hashes the content of the whole batch (every document's id and exact key, in
    input order): the same inputs give the same digest whatever the batch is called.
    ``run`` names the run that added it; an interrupted run's journal names it too, which
    is how the next run tells whether the interrupted one committed. ``first`` is the
    number its first document got (numbers only grow), so "the index before this batch" is
    every number below it.
    """

    name: str
    digest: str
    run: str
    first: int
    documents: int
    added: float


LockWait = Callable[[str], None]
# pseudo-bands of the band table, for containment across batches (dedup.index.containment): the coarse
# samples of every stored document, and each stored document's anchors
COARSE_BAND = -2
ANCHOR_BAND = -3


def batch_digest(ids: Sequence[str], content_keys: Sequence[bytes]) -> str:
    """A batch's content: every document's id and a key of its text, in input order."""
    digest = xxhash.xxh3_128()
    for doc_id, key in zip(ids, content_keys):
        digest.update(doc_id.encode("utf-8", "surrogatepass") + b"\0" + key)
    return digest.hexdigest()


class IndexStore(ABC):
    """A persistent LSH index: band keys → documents, documents → signatures."""

    location: str

    @abstractmethod
    def read_meta(self) -> dict[str, object] | None:
        """The stored parameters, or None for a new, empty index."""

    @abstractmethod
    def candidates(self, keys: np.ndarray) -> list[set[int]]:
        """For each row of band keys (documents × bands), the stored document numbers sharing a band."""

    @abstractmethod
    def holders(self, band: int, hashes: Sequence[np.ndarray]) -> list[set[int]]:
        """For each array of hashes, the stored document numbers holding one of them in pseudo-band ``band``
        (``COARSE_BAND`` or ``ANCHOR_BAND``)."""

    @abstractmethod
    def exact(self, exact_keys: Sequence[int]) -> list[int | None]:
        """For each exact key, a stored document number with that key, if any."""

    @abstractmethod
    def fetch(self, numbers: Sequence[int]) -> dict[int, IndexedDocument]:
        """The stored documents with these numbers."""

    @abstractmethod
    def add(
        self, documents: Sequence[IndexedDocument], keys: np.ndarray, meta: dict[str, object],
        batch: BatchRecord | None = None, votes: Votes | None = None,
    ) -> None:
        """Store documents and their band keys, all or nothing, with the parameters if new, the batch record and
        the batch's boilerplate votes (:mod:`dedup.decide.boilerplate`).

        The store fills in ``batch.first``; a batch with no documents is recorded all the same.
        """

    @abstractmethod
    def votes(self, keys: np.ndarray, before: int | None = None) -> Votes:
        """The stored boilerplate votes for these line keys, summed per (key, site); with ``before``, only those
        of batches whose documents are numbered below it."""

    @abstractmethod
    def batch_records(self) -> dict[str, BatchRecord]:
        """Every recorded batch by name (batches added before records existed are absent)."""

    @abstractmethod
    def identity(self) -> str | None:
        """A random name given to the index when its first batch is added: a restarted, emptied or
        replaced index has another one (or none), which is how a run notices."""

    @abstractmethod
    def lock(self, on_wait: LockWait | None = None) -> contextlib.AbstractContextManager[None]:
        """Hold the index for one run, so concurrent runs are serialised.

        While another run holds it, ``on_wait`` is told once who holds it (pid, host, since when).
        """

    @abstractmethod
    def stats(self) -> dict[str, object]:
        """Counts, batches, parameters and size, for ``dedup index stats``."""

    @abstractmethod
    def export(self) -> Iterator[IndexedDocument]:
        """Every stored document."""

    @abstractmethod
    def remove(self, doc_id: str) -> int:
        """Forget every stored document with this id; the number removed."""

    @abstractmethod
    def compact(self) -> None:
        """Reclaim space left by removals."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""


def signature_bytes(signature: np.ndarray) -> bytes:
    """Signatures of both schemes hold 32-bit values (datasketch masks legacy ones too): 4 bytes each."""
    return np.ascontiguousarray(signature, dtype="<u4").tobytes()


def signature_from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4")



def containment_postings(doc: IndexedDocument, coarse_cut: int) -> list[tuple[int, np.ndarray]]:
    """The pseudo-band entries of a document: its coarse samples and its anchors (none without samples)."""
    if doc.samples is None:
        return []
    anchors = doc.anchors if doc.anchors is not None else np.empty(0, dtype=np.uint32)
    return [(COARSE_BAND, doc.samples[doc.samples < coarse_cut]), (ANCHOR_BAND, anchors)]


def samples_bytes(doc: IndexedDocument) -> bytes | None:
    """Anchors and samples as one blob: the number of anchors, the anchors, the samples (little-endian uint32)."""
    if doc.samples is None:
        return None
    anchors = doc.anchors if doc.anchors is not None else np.empty(0, dtype=np.uint32)
    return np.concatenate([[len(anchors)], anchors, doc.samples]).astype("<u4").tobytes()


def samples_from_bytes(blob: bytes | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(samples, anchors) from :func:`samples_bytes`' blob; (None, None) for a document stored without."""
    if not blob:
        return None, None
    values = np.frombuffer(blob, dtype="<u4")
    count = int(values[0])
    return values[1 + count :], values[1 : 1 + count]
