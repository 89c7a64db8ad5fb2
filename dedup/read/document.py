"""A document as read, with what is needed to write it back byte for byte."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


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
    record: dict[str, Any] | None = None  # the whole JSON/Parquet record, for record inputs
    text_key: str = "text"

    def encode(self, text: str | None = None) -> bytes:
        """The bytes to write for this document with ``text`` as its (cleaned) text.

        A file comes back byte for byte in its own encoding (its undecodable bytes were
        kept as lone surrogates, ``surrogateescape`` writes them back). A record comes
        back as one JSON object with the text field replaced and every other field as it
        was, always as valid UTF-8: JSON may hold a lone surrogate (``"\\ud800"``), which
        no UTF-8 can carry, and ``backslashreplace`` turns it into exactly the JSON escape
        ``\\udXXX`` it came from. A lone surrogate can only sit inside a JSON string, so
        the escape is always read back as the same string.
        """
        text = self.text if text is None else text
        if self.record is not None:
            record = {**self.record, self.text_key: text}
            return json.dumps(record, ensure_ascii=False, default=str).encode("utf-8", "backslashreplace")
        body = text.encode("utf-8", "surrogateescape")
        return (b"\xef\xbb\xbf" + body) if self.bom else body
