"""The datatrove step in a real datatrove pipeline (LocalPipelineExecutor, JSONL writer)."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from conftest import PARAGRAPHS

datatrove = pytest.importorskip("datatrove")

from datatrove.data import Document  # noqa: E402
from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402

from dedup.integrations.datatrove import DedupStep  # noqa: E402


def article(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs) + "\n"


def written(folder: Path) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            rows += [json.loads(line) for line in handle]
    return rows


def test_a_datatrove_pipeline_cleans_and_deduplicates(tmp_path: Path) -> None:
    documents = [
        Document(text=article(PARAGRAPHS[0], PARAGRAPHS[1], PARAGRAPHS[0]), id="council"),
        Document(text=article(PARAGRAPHS[2], PARAGRAPHS[3]), id="harvest"),
        Document(text=article(PARAGRAPHS[2], PARAGRAPHS[3]), id="harvest-copy"),
        Document(text=article(PARAGRAPHS[4], PARAGRAPHS[5]), id="library"),
    ]
    index = tmp_path / "seen.sqlite"
    LocalPipelineExecutor(
        pipeline=[documents, DedupStep(index=str(index)), JsonlWriter(str(tmp_path / "out"))],
        tasks=1, logging_dir=str(tmp_path / "logs"),
    ).run()
    rows = written(tmp_path / "out")
    assert [r["id"] for r in rows] == ["council", "harvest", "library"]
    assert rows[0]["text"] == article(PARAGRAPHS[0], PARAGRAPHS[1])
    assert rows[0]["metadata"]["dedup"]["status"] == "cleaned"

    # a second run on the same index: what the first kept is dropped
    LocalPipelineExecutor(
        pipeline=[[Document(text=article(PARAGRAPHS[4], PARAGRAPHS[5]), id="library-again"),
                   Document(text=article(PARAGRAPHS[6], PARAGRAPHS[7]), id="railway")],
                  DedupStep(index=str(index), batch="second"), JsonlWriter(str(tmp_path / "out2"))],
        tasks=1, logging_dir=str(tmp_path / "logs2"),
    ).run()
    assert [r["id"] for r in written(tmp_path / "out2")] == ["railway"]
