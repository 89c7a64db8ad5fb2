"""The library API: documents in memory in, the CLI's results out; a persistent index object."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import PARAGRAPHS
from dedup import RunOptions, clean_paths
from dedup.api import Index, deduplicate
from dedup.errors import UsageError


def article(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs) + "\n"


TEXTS = {
    "council": article(PARAGRAPHS[0], PARAGRAPHS[1], PARAGRAPHS[0]),
    "harvest": article(PARAGRAPHS[2], PARAGRAPHS[3]),
    "repost": article("Reposted from the Gazette", PARAGRAPHS[2], PARAGRAPHS[3]),
    "library": article(PARAGRAPHS[4], PARAGRAPHS[5]),
}


def test_texts_in_give_the_same_records_as_the_command(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in TEXTS.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    clean_paths([folder], tmp_path / "out", RunOptions(show_progress=False, jobs=1))
    expected = {d["id"].removesuffix(".txt"): d for d in json.loads((tmp_path / "out" / "report.json").read_text())["documents"]}

    results = list(deduplicate([{"id": k, "text": v} for k, v in TEXTS.items()], RunOptions(id_key="id")))
    assert [r.id for r in results] == list(TEXTS)
    for result in results:
        want = expected[result.id]
        assert result.status == want["status"]
        assert (result.duplicate_of or "").removesuffix(".txt") == (want["duplicate_of"] or "").removesuffix(".txt")
        assert result.similarity == want["similarity"] and result.duplicate_kind == want["duplicate_kind"]
        assert [(r.start, r.end, r.kind.value) for r in result.removed] == [(r["start"], r["end"], r["kind"]) for r in want["removed"]]
        if result.kept:
            assert result.text == (tmp_path / "out" / f"{result.id}.txt").read_text(encoding="utf-8")
    by_id = {r.id: r for r in results}
    assert by_id["harvest"].status == "duplicate" and by_id["harvest"].duplicate_of == "repost"  # the longer copy is kept
    assert by_id["council"].status == "cleaned" and by_id["council"].text == article(PARAGRAPHS[0], PARAGRAPHS[1])
    assert by_id["council"].record == {"id": "council", "text": TEXTS["council"]}


def test_plain_texts_get_numbers_as_ids_and_empty_input_gives_nothing() -> None:
    assert [r.id for r in deduplicate(list(TEXTS.values()))] == ["0", "1", "2", "3"]
    assert list(deduplicate([])) == []
    with pytest.raises(UsageError):
        list(deduplicate([42]))  # type: ignore[list-item]


def test_an_index_object_remembers_batches_and_answers_queries(tmp_path: Path) -> None:
    location = str(tmp_path / "seen.sqlite")
    with Index(location) as seen:
        day1 = list(deduplicate([TEXTS["harvest"], TEXTS["library"]], index=seen, batch="day1"))
        assert all(r.kept for r in day1)
        assert seen.query(TEXTS["library"])[0].id == "1" and seen.query(TEXTS["library"])[0].kind == "exact"
        assert seen.query(article(PARAGRAPHS[9], PARAGRAPHS[10])) == []
        day2 = list(deduplicate([TEXTS["repost"], TEXTS["council"]], index=seen, batch="day2"))
        assert (day2[0].status, day2[0].duplicate_of, day2[0].duplicate_of_batch) == ("duplicate", "0", "day1")
        again = list(deduplicate([TEXTS["harvest"], TEXTS["library"]], index=seen, batch="day1"))  # a re-run
        assert [r.status for r in again] == [r.status for r in day1]
        assert seen.store.stats()["documents"] == 3
