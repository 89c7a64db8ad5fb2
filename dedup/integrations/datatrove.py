"""A datatrove pipeline step that cleans and deduplicates ``Document``s (extra ``datatrove``).

>>> from datatrove.executor import LocalPipelineExecutor            # doctest: +SKIP
>>> from dedup.integrations.datatrove import DedupStep
>>> LocalPipelineExecutor(pipeline=[reader, DedupStep(), writer]).run()   # doctest: +SKIP

Each task deduplicates the documents of its own shard (a datatrove task sees only its
shard). With ``index`` (a SQLite file every task can reach, or ``redis://``) the tasks also
drop what earlier tasks and earlier runs kept: they take turns on the index, each as a
batch of its own (``<batch>-<rank>``). Kept documents get the cleaned text and a ``dedup``
metadata field (as a JSONL output's ``dedup`` field); duplicates are dropped and counted.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dedup.api import Index, deduplicate
from dedup.extras import require
from dedup.options import RunOptions

require("datatrove", "datatrove", "dedup.integrations.datatrove")  # the step needs datatrove itself; the rest of dedup does not
from datatrove.data import Document, DocumentsPipeline  # noqa: E402
from datatrove.pipeline.base import PipelineStep  # noqa: E402


class DedupStep(PipelineStep):
    """Clean each document of what it repeats inside itself, and drop documents that repeat another."""

    name = "dedup"
    type = "🫂 - DEDUP"

    def __init__(self, options: RunOptions | None = None, index: str | None = None, batch: str = "datatrove",
                 keep_duplicates: bool = False) -> None:
        super().__init__()
        self.options = options or RunOptions()
        self.index = index
        self.batch = batch
        self.keep_duplicates = keep_duplicates

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        documents = list(data or ())
        inputs: list[dict[str, Any]] = [{"id": d.id, "text": d.text} for d in documents]
        options = RunOptions(**{**self.options.__dict__, "id_key": "id", "text_key": "text"})
        index = Index(self.index, options.corpus) if self.index and options.corpus is not None else None
        try:
            with self.track_time():
                results = list(deduplicate(inputs, options, index=index, batch=f"{self.batch}-{rank:05d}"))
        finally:
            if index is not None:
                index.close()
        for document, result in zip(documents, results):
            self.stat_update(result.status)
            if result.removed:
                self.stat_update("chars_removed", value=len(document.text) - len(result.text))
            if not result.kept and not self.keep_duplicates:
                continue
            document.text = result.text
            document.metadata["dedup"] = result.dedup_field()
            self.update_doc_stats(document)
            yield document
