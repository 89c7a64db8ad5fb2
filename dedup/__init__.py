"""dedup: find repeated and near-repeated text in scraped articles, and cut it.

>>> from dedup import clean_text
>>> result = clean_text("A long paragraph that says something.\n\nA long paragraph that says something.\n")
"""
from __future__ import annotations

from typing import Any

from dedup.model import CleanOptions, CleanResult, Removal, RemovalKind
from dedup.within import clean_document, make_options

__version__ = "0.1.0"
__all__ = ["clean_text", "CleanOptions", "CleanResult", "Removal", "RemovalKind", "__version__"]


def clean_text(text: str, **options: Any) -> CleanResult:
    """Cleaned ``text`` and the spans removed from it; ``options`` are :class:`CleanOptions` fields."""
    return clean_document(text, make_options(**options))
