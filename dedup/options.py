"""Everything a run can be told, in one frozen dataclass every engine takes, and its checks.

Options are checked once, here, for the command line and the library alike: a NaN or
out-of-range threshold would otherwise switch matching off without a word (NaN compares
false with everything) and write ``NaN`` into report.json, which is not JSON.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from dedup.errors import UsageError
from dedup.match.documents import CorpusOptions
from dedup.model import CleanOptions
from dedup.read.files import DEFAULT_MAX_BYTES
from dedup.read.records import DEFAULT_MAX_RECORD_BYTES

HTML_AUTO_LIMIT = 50_000


@dataclass(frozen=True)
class RunOptions:
    """Everything ``dedup clean`` can be told, beyond the paths."""

    clean: CleanOptions = field(default_factory=CleanOptions)
    corpus: CorpusOptions | None = field(default_factory=CorpusOptions)
    fmt: str = "auto"
    text_key: str = "text"
    id_key: str | None = None
    site_key: str | None = None  # record field naming a document's site [default: the host of a "url" field]
    jobs: int | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    write_duplicates: bool = False
    index: str | None = None  # persistent index location: a SQLite file or redis://host:port/db
    batch: str | None = None  # name of this batch in the index [default: the start time, UTC]
    report: str | None = None  # report path for record outputs; folder outputs put it in the folder
    html: bool | None = None  # report.html beside report.json [default: for runs of up to 50,000 documents]
    show_progress: bool | None = None

    def parameters(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("show_progress")
        return values

    def writes_html(self, documents: int) -> bool:
        """Whether a run of ``documents`` writes report.html: when asked, else up to HTML_AUTO_LIMIT (a bigger
        page is slow to open; ``dedup report`` can still make one)."""
        return self.html if self.html is not None else documents <= HTML_AUTO_LIMIT


_SHARES = ("near_threshold", "containment_threshold", "cover_threshold", "threshold", "lsh_threshold",
           "containment_min_jaccard")
_COUNTS = {"shingle_size": 2, "min_block_weight": 1, "min_sentence_weight": 1, "min_fragment_weight": 1,
           "guard_sentence_weight": 1, "max_gap": 0, "max_posting": 1, "jobs": 1, "max_bytes": 1,
           "max_record_bytes": 1, "num_perm": 16, "char_ngram": 1, "word_ngram": 1, "boilerplate_min_docs": 0,
           "containment_min_samples": 1, "containment_anchors": 1, "containment_max_posting": 2, "sample_scale": 1}


def check_options(options: RunOptions) -> RunOptions:
    """``options`` if every threshold is a number from 0 to 1 and every size and count is positive, else UsageError."""
    groups: list[Any] = [options, options.clean]
    if options.corpus is not None:
        groups += [options.corpus, options.corpus.minhash]
    for group in groups:
        for f in fields(group):
            value = getattr(group, f.name)
            if f.name in _SHARES and value is not None:
                if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or not 0 <= value <= 1:
                    raise UsageError(f"--{f.name.replace('_', '-')} must be a number from 0 to 1, not {value!r}")
            elif f.name in _COUNTS and value is not None:
                if not isinstance(value, int) or isinstance(value, bool) or value < _COUNTS[f.name]:
                    raise UsageError(f"--{f.name.replace('_', '-')} must be a whole number of at least {_COUNTS[f.name]}, not {value!r}")
    if options.corpus is not None:
        weights = options.corpus.lsh_weights
        if len(weights) != 2 or not all(isinstance(w, (int, float)) and math.isfinite(w) and w >= 0 for w in weights) or sum(weights) <= 0:
            raise UsageError(f"lsh_weights must be two non-negative numbers, not {weights!r}")
    return options
