"""A document as read, with what is needed to write it back byte for byte."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    """Text of one input, plus how its bytes were encoded.

    ``text`` is decoded UTF-8 with any undecodable byte kept as a lone surrogate
    (``surrogateescape``), so :meth:`encode` gives back the exact input bytes and a
    document with nothing to remove is written byte-identical.
    """

    id: str
    text: str
    source: str
    bom: bool = False
    invalid_utf8_at: int | None = None

    def encode(self, text: str | None = None) -> bytes:
        body = (self.text if text is None else text).encode("utf-8", "surrogateescape")
        return (b"\xef\xbb\xbf" + body) if self.bom else body
