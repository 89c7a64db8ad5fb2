"""What this machine last saw of each index, to notice one that was emptied or replaced.

A Redis server restarted without persistence comes back empty, and a deleted SQLite file
is recreated empty: both look like a new index, and every re-post of an earlier batch
would quietly come out as unique. Each run that adds a batch writes the index's identity
(a random name the index got with its first batch) and size to a small file in the
user's cache folder (``$XDG_CACHE_HOME/dedup/indexes.json``); the next run compares.
The file is a cache: a failure to read or write it only loses the check.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from dedup.write.atomic import write_atomic


def memory_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dedup" / "indexes.json"


def _load() -> dict[str, Any]:
    try:
        data = json.loads(memory_file().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def remember(location: str, identity: str | None, documents: int, batch: str) -> None:
    """Note that ``location`` holds ``documents`` documents under ``identity`` after ``batch``."""
    if identity is None:
        return
    data = _load()
    data[location] = {"identity": identity, "documents": documents, "batch": batch,
                      "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    try:
        write_atomic(memory_file(), json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8", "backslashreplace"))
    except OSError:
        pass


def changed_warning(location: str, identity: str | None) -> str | None:
    """A warning when ``location`` is not the index this machine last used there, else None."""
    seen = _load().get(location)
    if not isinstance(seen, dict) or not seen.get("documents") or seen.get("identity") == identity:
        return None
    what = "is empty" if identity is None else "is another index"
    return (f"{location}: the index {what}, but it held {seen['documents']} documents (up to batch "
            f"{seen.get('batch')!r}, {seen.get('when')}) when this machine last used it: was it restarted without "
            "persistence or deleted? Earlier batches will not be recognised")
