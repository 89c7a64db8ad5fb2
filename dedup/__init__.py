"""dedup: find repeated and near-repeated text in scraped articles, and cut it.

>>> from dedup import clean_text
>>> result = clean_text("A long paragraph that says something.\\n\\nA long paragraph that says something.\\n")

The rest of the library is imported when first used (``dedup.clean_paths``,
``dedup.RunOptions`` …), so ``import dedup`` stays cheap.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dedup.model import CleanOptions, CleanResult, Removal, RemovalKind

__version__ = "0.1.0"
__all__ = [
    "clean_text", "clean_paths", "CleanOptions", "CleanResult", "CorpusOptions", "Removal", "RemovalKind",
    "RunOptions", "RunSummary", "__version__",
]
_LAZY = {
    "CleanOptions": "dedup.model",
    "CleanResult": "dedup.model",
    "Removal": "dedup.model",
    "RemovalKind": "dedup.model",
    "clean_paths": "dedup.engine.local",
    "RunOptions": "dedup.options",
    "CorpusOptions": "dedup.match.documents",
    "RunSummary": "dedup.outcome",
}


def clean_text(text: str, **options: Any) -> CleanResult:
    """Cleaned ``text`` and the spans removed from it; ``options`` are :class:`CleanOptions` fields."""
    from dedup.within import clean_document, make_options  # numpy and the cleaning passes: not for ``dedup --help``

    return clean_document(text, make_options(**options))


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'dedup' has no attribute {name!r}")
