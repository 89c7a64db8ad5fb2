"""--engine ray gives the local engine's outputs, report and index, and publishes like it.

These are the slowest tests of the suite (a Ray run costs seconds even on a few documents):
few, small, and all on one Ray session started once for the module. A worker is killed
by a fault the test installs in Ray's workers (``worker_process_setup_hook``), never by code
shipped in the package.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is installed by the README's test set-up") if os.environ.get("CI") != "true" else __import__("ray")

from dedup.engine.local import RunOptions, clean_paths  # noqa: E402
from dedup.match.documents import CorpusOptions  # noqa: E402
from dedup.engine.ray_engine import clean_with_ray, kept_lines  # noqa: E402
from dedup.index.sqlite import SqliteStore  # noqa: E402
from test_corpus import ENGLISH, OTHER_ENGLISH, SAMPLES, article, japanese_repost  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.timeout(1200)]  # a Ray Data run with shuffles: 6 min at load 12
OPTIONS = RunOptions(id_key="id", show_progress=False, html=False)
NEWS = ENGLISH + OTHER_ENGLISH
OPENING = "A different opening paragraph about the weather in the valley and the new bridge over the river."
SECOND = "And a second replaced paragraph, on the school board elections held last week in the old town hall."


def mix(k: int) -> str:
    return "\n\n".join(ENGLISH[(k + j) % len(ENGLISH)] for j in range(4)) + f"\n\nA closing note, number {k}, of its own."


def fault_hook(marker: str) -> Callable[[], None]:
    """A setup hook for Ray's workers: while ``marker`` is missing, the next block to be cleaned kills its
    worker (once: the marker is made first), as a node lost mid-run would."""

    def install() -> None:
        from dedup.engine.distributed import rows

        clean = rows.process_rows

        def process_rows(*args, **kwargs):
            if not os.path.exists(marker):
                open(marker, "w").close()
                os._exit(1)
            return clean(*args, **kwargs)

        rows.process_rows = process_rows  # the engine's calls pickle it by name: the workers take this one

    return install


@pytest.fixture(scope="module", autouse=True)
def fault(tmp_path_factory):
    """One local Ray for the module (``clean_with_ray`` joins it); its marker file arms the worker kill."""
    marker = tmp_path_factory.mktemp("fault") / "killed-once"
    marker.touch()
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the hook goes to the workers by value
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"worker_process_setup_hook": fault_hook(str(marker))})
    yield marker
    ray.shutdown()


@pytest.fixture(scope="module")
def days(tmp_path_factory) -> dict[str, Path]:
    """Two days of JSONL and the local engine's results on them with one SQLite index.

    Day 2 repeats day 1 (exact, near, a repost, a part of it and its copy), and holds a cluster in
    which only one member repeats day 1 (``edited``; ``edited-twice`` is near ``edited`` alone):
    it is dropped whole.
    """
    root = tmp_path_factory.mktemp("days")
    ja = [p.read_text(encoding="utf-8") for p in SAMPLES]
    day1 = [{"id": f"ja{i}", "text": t} for i, t in enumerate(ja)]
    day1 += [{"id": "en", "text": article(ENGLISH)}, {"id": "news", "text": article(NEWS)}]
    day1 += [{"id": f"mix{k}", "text": mix(k)} for k in range(4)]
    day2 = [
        {"id": "ja3-repost", "text": japanese_repost(ja[3])}, {"id": "ja0-copy", "text": ja[0]},
        {"id": "en-edit", "text": article(ENGLISH).replace("forty", "fifty")},
        {"id": "edited-twice", "text": article([OPENING, SECOND, *NEWS[2:]])},
        {"id": "edited", "text": article([OPENING, *NEWS[1:]])},
        {"id": "fresh", "text": article(OTHER_ENGLISH[:5])}, {"id": "empty", "text": ""},
        {"id": "fresh-copy", "text": article(OTHER_ENGLISH[:5])},
        *({"id": f"mix{k}", "text": mix(k)} for k in range(4, 12)),
    ]
    files = {"day1": root / "day1.jsonl", "day2": root / "day2.jsonl"}
    files["day1"].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in day1) + "{broken\n")
    files["day2"].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in day2))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))
        for day in ("day1", "day2"):
            clean_paths([files[day]], root / f"local-{day}.jsonl",
                        replace(OPTIONS, index=str(root / "local.sqlite"), batch=day))
    return {**files, "root": root}


def report_of(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def local_kept(days: dict[str, Path], day: str) -> list[dict]:
    return [json.loads(line) for line in (days["root"] / f"local-{day}.jsonl").read_text().splitlines()]


def assert_same_run(ray_report: dict, local_report: dict, outputs: bool = False) -> None:
    """Report records (but their ``output``, a part file for records), clusters in order, totals, errors, warnings."""
    def documents(report: dict) -> list[dict]:
        return [{k: v for k, v in d.items() if outputs or k != "output"} for d in report["documents"]]

    assert documents(ray_report) == documents(local_report)
    assert ray_report["clusters"] == local_report["clusters"]
    totals = [{k: v for k, v in r["totals"].items() if k != "elapsed_seconds"} for r in (ray_report, local_report)]
    assert totals[0] == totals[1]
    assert (ray_report["errors"], ray_report["warnings"]) == (local_report["errors"], local_report["warnings"])


def index_content(location: Path) -> tuple[list, list]:
    store = SqliteStore(location)
    try:
        documents = [(d.id, d.batch, d.chars, d.size, d.exact_key, d.signature.tolist()) for d in store.export()]
        batches = [(b.name, b.digest, b.first, b.documents) for b in store.batch_records().values()]
    finally:
        store.close()
    return documents, batches


def test_ray_with_an_index_over_two_days_and_a_rerun_gives_the_local_results(days, tmp_path: Path) -> None:
    index = tmp_path / "ray.sqlite"
    for day in ("day1", "day2"):
        run = clean_with_ray([days[day]], tmp_path / day, replace(OPTIONS, index=str(index), batch=day))
        local = report_of(days["root"] / f"local-{day}.jsonl.report.json")
        assert_same_run(report_of(tmp_path / day / "report.json"), local)
        assert list(kept_lines(tmp_path / day)) == local_kept(days, day)
        kept_at = [d["output"] for d in report_of(tmp_path / day / "report.json")["documents"] if d["status"] != "duplicate"]
        assert kept_at[0] == f"{tmp_path / day / run.parts[0]}:1"  # each kept record says where it was written
    assert index_content(index) == index_content(days["root"] / "local.sqlite")
    day2 = report_of(tmp_path / "day2" / "report.json")
    outcome = {d["id"]: (d["duplicate_of"], d["duplicate_of_batch"]) for d in day2["documents"]}
    assert outcome["edited-twice"] == ("news", "day1")
    # "fresh" is five paragraphs of day 1's "news": it and its copy lie inside it
    assert outcome["fresh"] == outcome["fresh-copy"] == ("news", "day1")
    assert day2["totals"]["duplicates_of_index"] == 12 and day2["totals"]["added_to_index"] == 4

    # day 1 again, published over day 2's folder, as Parquet: a re-run (matched against the index before
    # day 1, nothing added, a warning) whose output is day 1's; day 2's parts and an unlisted old part are gone
    before = index_content(index)
    (tmp_path / "day2" / "_duplicates").mkdir()
    (tmp_path / "day2" / "_duplicates" / "part-00000000000000000001.jsonl").write_text("a part of a run before manifests\n")
    again = clean_with_ray([days["day1"]], tmp_path / "day2", replace(OPTIONS, index=str(index), batch="day1"),
                           out_format="parquet")
    assert index_content(index) == before
    assert any("is already in the index with these documents (a re-run)" in w for w in again.summary.warnings)
    rerun = report_of(tmp_path / "day2" / "report.json")
    assert [(d["id"], d["status"]) for d in rerun["documents"]] == [
        (d["id"], d["status"]) for d in report_of(tmp_path / "day1" / "report.json")["documents"]]
    assert rerun["totals"]["added_to_index"] == 0
    assert sorted(p.name for p in (tmp_path / "day2").iterdir()) == [".dedup", "_duplicates", *again.parts, "report.json"]
    assert not any((tmp_path / "day2" / "_duplicates").iterdir())
    assert list(kept_lines(tmp_path / "day2")) == local_kept(days, "day1")


def test_the_distributed_path_with_a_killed_worker_gives_the_local_results(days, fault, tmp_path: Path) -> None:
    """Shuffles instead of the driver, index matches joined onto the clusters. (Star rounds instead of scipy
    would add three group-bys a round: a minute here; test_engine_distributed runs them bucket by bucket.)"""
    # the faults, the shuffles and the index; boilerplate and containment on this path are the next test's (each
    # adds group-bys: minutes of a CI machine)
    options = replace(OPTIONS, corpus=CorpusOptions(containment_min_samples=1 << 30, boilerplate_min_docs=0))
    index, local_index = tmp_path / "seen.sqlite", tmp_path / "local.sqlite"
    for day in ("day1", "day2"):
        clean_paths([days[day]], tmp_path / f"local-{day}.jsonl", replace(options, index=str(local_index), batch=day))
    clean_paths([days["day1"]], tmp_path / "day1.jsonl", replace(options, index=str(index), batch="day1"))
    fault.unlink()  # the next block to be cleaned kills its worker once
    clean_with_ray([days["day2"]], tmp_path / "out", replace(options, index=str(index), batch="day2"), max_driver_documents=0)
    assert fault.exists(), "no worker was killed"
    assert_same_run(report_of(tmp_path / "out" / "report.json"), report_of(tmp_path / "local-day2.jsonl.report.json"))
    local_lines = (tmp_path / "local-day2.jsonl").read_text(encoding="utf-8").splitlines()
    assert list(kept_lines(tmp_path / "out")) == [json.loads(line) for line in local_lines]
    assert index_content(index) == index_content(local_index)


def test_text_folders_on_ray_give_the_local_files_with_the_report_elsewhere(run_cli, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for sample in SAMPLES:
        shutil.copy(sample, folder)
    ja3 = SAMPLES[3].read_text(encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "repost.md").write_text(japanese_repost(ja3), encoding="utf-8")
    (folder / "copy.txt").write_text(SAMPLES[0].read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "bytes.txt").write_bytes(b"\xef\xbb\xbfA line with a byte \xff that is not UTF-8.\r\nAnd a second line.\r\n")
    (folder / "gone.txt").write_text(article(OTHER_ENGLISH))

    local, out = tmp_path / "local", tmp_path / "out"
    clean_paths([folder], out, OPTIONS)  # an earlier run into the same folder, with one more input
    (folder / "gone.txt").unlink()
    missing = tmp_path / "missing.txt"
    clean_paths([folder, missing], local, replace(OPTIONS, report=str(tmp_path / "local-report.json"), html=None))
    report = tmp_path / "reports" / "report.json"
    result = run_cli(["clean", folder, missing, "--engine", "ray", "--out", out, "--report", report, "--quiet"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.stderr  # the missing input
    assert f"{missing}: no such file" in result.stderr and "bytes.txt: invalid UTF-8" in result.stderr

    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file() and ".dedup" not in p.parts}

    assert files(out) == files(local)  # byte for byte; gone.txt's output and the old report went, nothing is left
    assert "articles/bytes.txt" in files(out) and "articles/copy.txt" not in files(out)  # ids of several inputs
    assert_same_run(report_of(report), report_of(tmp_path / "local-report.json"), outputs=True)
    assert (report.parent / "report.html").exists() and not (out / "report.json").exists()
    summary = run_cli(["report", report])
    assert summary.exit_code == 0 and "duplicate" in summary.stdout


def test_ray_cuts_the_same_boilerplate_and_finds_the_same_containment_as_the_local_engine(tmp_path: Path) -> None:
    import gzip

    with gzip.open(Path(__file__).parent / "data" / "real_pages" / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f][:80]  # 40 pages and their articles, chrome of real sites
    source = tmp_path / "pages.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    local = tmp_path / "local.jsonl"
    clean_paths([source], local, OPTIONS)
    clean_with_ray([source], tmp_path / "ray", OPTIONS)
    ray_report, local_report = report_of(tmp_path / "ray" / "report.json"), report_of(Path(f"{local}.report.json"))
    assert_same_run(ray_report, local_report)
    kinds = {r["kind"] for d in local_report["documents"] for r in d["removed"]}
    assert "boilerplate" in kinds
    assert sum(d["duplicate_kind"] == "contained" for d in local_report["documents"]) >= 10
    assert list(kept_lines(tmp_path / "ray")) == [json.loads(line) for line in local.read_text(encoding="utf-8").splitlines()]


def test_the_distributed_path_cuts_the_boilerplate_of_real_pages_as_the_local_engine(tmp_path: Path) -> None:
    """Votes by line buckets, the second sketch, the cut outputs and report, and the index's earlier votes, with
    containment by anchors inside the batch and against the index: the first 40 records go into the index on one
    machine, the next 40 through the distributed path."""
    import gzip

    with gzip.open(Path(__file__).parent / "data" / "real_pages" / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f][:80]
    days = {}
    for day, chunk in (("day1", records[:40]), ("day2", records[40:])):
        days[day] = tmp_path / f"{day}.jsonl"
        days[day].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chunk), encoding="utf-8")
    options = OPTIONS
    index, local_index = tmp_path / "seen.sqlite", tmp_path / "local.sqlite"
    for day in ("day1", "day2"):
        clean_paths([days[day]], tmp_path / f"local-{day}.jsonl", replace(options, index=str(local_index), batch=day))
    clean_paths([days["day1"]], tmp_path / "day1-out.jsonl", replace(options, index=str(index), batch="day1"))
    clean_with_ray([days["day2"]], tmp_path / "out", replace(options, index=str(index), batch="day2"), max_driver_documents=0)
    ray_report, local_report = report_of(tmp_path / "out" / "report.json"), report_of(tmp_path / "local-day2.jsonl.report.json")
    assert_same_run(ray_report, local_report)
    assert sum(r["kind"] == "boilerplate" for d in local_report["documents"] for r in d["removed"]) >= 20
    assert sum(d["duplicate_kind"] == "contained" and not d["duplicate_of_batch"] for d in local_report["documents"]) >= 5
    local_lines = (tmp_path / "local-day2.jsonl").read_text(encoding="utf-8").splitlines()
    assert list(kept_lines(tmp_path / "out")) == [json.loads(line) for line in local_lines]
    assert index_content(index) == index_content(local_index)
    assert votes_of(index) == votes_of(local_index)


def votes_of(location: Path) -> list[tuple[int, int, int]]:
    import sqlite3

    with sqlite3.connect(location) as db:
        return sorted(db.execute("SELECT key, site, units FROM votes").fetchall())
