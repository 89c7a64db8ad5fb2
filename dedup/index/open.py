"""Open an index by location: ``redis://host:port/db`` for the shared server backend, a file path otherwise."""
from __future__ import annotations

from dedup.index.bands import IndexParams
from dedup.index.store import IndexParamsError, IndexStore


def open_index(location: str, create: bool = True) -> IndexStore:
    """The index at ``location``; with ``create=False`` (the ``dedup index`` commands) a missing SQLite file is an
    error instead of a new empty index."""
    if location.startswith(("redis://", "rediss://", "unix://")):
        from dedup.index.redis_store import RedisStore

        return RedisStore(location)  # nothing is created by looking: an empty location reads as an empty index
    from dedup.index.sqlite import SqliteStore

    return SqliteStore(location, create=create)


def check_params(store: IndexStore, params: IndexParams) -> None:
    """Refuse to mix signatures or bands made with other parameters into an index."""
    stored = store.read_meta()
    if stored is None:
        return
    differences = params.differences(stored)
    if differences:
        raise IndexParamsError(
            f"{store.location}: index built with other parameters ({'; '.join(differences)}); "
            "use the same options or another index"
        )
