"""--engine ray: the Ray Data path gives the single-machine path's clusters and outputs."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is installed by the README's test set-up") if os.environ.get("CI") != "true" else __import__("ray")

from dedup.engine.local import RunOptions, clean_paths  # noqa: E402
from dedup.engine.ray_engine import clean_with_ray, kept_lines  # noqa: E402
from test_corpus import ENGLISH  # noqa: E402  (the same news paragraphs as the local corpus tests)

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "samples").glob("*.txt"))
OPTIONS = RunOptions(id_key="id", show_progress=False, html=False)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[str]]:
    """Two JSONL files: the samples, re-posts with edits, exact copies, mixed English articles, a bad line."""
    root = tmp_path_factory.mktemp("raycorpus")
    texts = [p.read_text(encoding="utf-8") for p in SAMPLES]
    rows = [{"id": f"ja{i}", "text": t} for i, t in enumerate(texts)]
    rows += [
        {"id": "ja3-repost", "text": "転載：テックニュース\n" + texts[3].replace("Anthropic", "アンソロピック", 2)},
        {"id": "en", "text": "\n\n".join(ENGLISH)},
        {"id": "en-edit", "text": "\n\n".join(ENGLISH).replace("forty", "fifty")},
        {"id": "ja0-copy", "text": texts[0]},
    ]
    for k in range(12):
        picked = [ENGLISH[(k + j) % len(ENGLISH)] for j in range(4)]
        rows.append({"id": f"mix{k}", "text": "\n\n".join(picked) + f"\n\nA closing note, number {k}, of its own."})
    half = len(rows) // 2
    files = [root / "a.jsonl", root / "b.jsonl"]
    files[0].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[:half]) + "{broken\n")
    files[1].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[half:]))
    local = root / "local.jsonl"
    clean_paths(files, local, OPTIONS)
    return root, [str(f) for f in files]


@pytest.fixture(scope="module", autouse=True)
def local_ray(tmp_path_factory):
    """A local Ray on this machine's cores; a marker file arms the worker-kill test."""
    marker = tmp_path_factory.mktemp("kill") / "killed-once"
    marker.touch()
    os.environ["DEDUP_RAY_FAIL_ONCE"] = str(marker)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"DEDUP_RAY_FAIL_ONCE": str(marker)}})
    yield marker
    ray.shutdown()
    del os.environ["DEDUP_RAY_FAIL_ONCE"]


def local_result(root: Path) -> tuple[list[dict], list[tuple[str, tuple[str, ...]]]]:
    kept = [json.loads(line) for line in (root / "local.jsonl").read_text().splitlines()]
    report = json.loads((root / "local.jsonl.report.json").read_text())
    return kept, clusters_of(report)


def ray_result(out: Path) -> tuple[list[dict], list[tuple[str, tuple[str, ...]]]]:
    report = json.loads((out / "report.json").read_text())
    return list(kept_lines(out)), clusters_of(report)


def clusters_of(report: dict) -> list[tuple[str, tuple[str, ...]]]:
    """(canonical, members) of every cluster, comparable across runs."""
    return sorted((c["canonical"], tuple(sorted(m["id"] for m in c["members"]))) for c in report["clusters"])


def test_ray_gives_the_local_clusters_and_outputs(corpus, tmp_path: Path) -> None:
    root, files = corpus
    run = clean_with_ray(files, tmp_path / "out", OPTIONS)
    assert ray_result(tmp_path / "out") == local_result(root)
    clusters = dict(local_result(root)[1])
    assert clusters["ja0"] == ("ja0", "ja0-copy") and clusters["ja3-repost"] == ("ja3", "ja3-repost")
    assert run.summary.errors == (f"{files[0]}:11: invalid JSON (Expecting property name enclosed in double quotes at column 2); skipped",)
    ray_report = json.loads((tmp_path / "out" / "report.json").read_text())
    local_report = json.loads((root / "local.jsonl.report.json").read_text())
    assert ray_report["clusters"] == local_report["clusters"]  # same records, same order
    without_output = lambda report: [{k: v for k, v in d.items() if k != "output"} for d in report["documents"]]  # noqa: E731
    assert without_output(ray_report) == without_output(local_report)
    elapsed_aside = lambda report: {k: v for k, v in report["totals"].items() if k != "elapsed_seconds"}  # noqa: E731
    assert elapsed_aside(ray_report) == elapsed_aside(local_report)
    assert ray_report["errors"] == local_report["errors"]
    kept_at = [d["output"] for d in ray_report["documents"] if d["status"] != "duplicate"]
    assert kept_at[0] == f"{tmp_path / 'out' / run.parts[0]}:1"  # each kept record says where it was written
    assert not (tmp_path / "out" / ".report-parts").exists()


def test_distributed_components_agree_with_the_local_ones(corpus, tmp_path: Path) -> None:
    root, files = corpus
    clean_with_ray(files, tmp_path / "out", OPTIONS, max_local_edges=0)  # large-star/small-star rounds
    assert ray_result(tmp_path / "out") == local_result(root)


def test_a_killed_worker_is_retried_and_the_result_is_unchanged(corpus, local_ray, tmp_path: Path) -> None:
    root, files = corpus
    local_ray.unlink()  # the next block to be cleaned kills its worker once
    clean_with_ray(files, tmp_path / "out", OPTIONS)
    assert local_ray.exists(), "no worker was killed"
    assert ray_result(tmp_path / "out") == local_result(root)


def test_the_cli_runs_on_ray_and_its_report_reads_like_a_local_one(corpus, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dedup.cli import main

    root, files = corpus
    out = tmp_path / "out"
    (out / "part-00000000000000000000.jsonl").parent.mkdir()
    (out / "part-00000000000000000000.jsonl").write_text("a stale part of an earlier run\n")
    missing = str(tmp_path / "missing.jsonl")
    result = CliRunner().invoke(main, ["clean", *files, missing, "--engine", "ray", "--id-key", "id", "--out", str(out), "--quiet"])
    assert result.exit_code == 1, result.output  # the broken line, the missing file
    assert "invalid JSON" in result.output and "missing.jsonl" in result.output
    assert [d["id"] for d in kept_lines(out)] == [d["id"] for d in local_result(root)[0]]  # the stale part is gone
    assert (out / "report.html").exists()
    summary = CliRunner().invoke(main, ["report", str(out)])
    assert summary.exit_code == 0 and "duplicate" in summary.output


def test_parquet_in_gives_parquet_parts_with_the_local_results(corpus, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    root, files = corpus
    parquet = []
    for path in files:
        rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.startswith('{"')]
        target = tmp_path / (Path(path).stem + ".parquet")
        pq.write_table(pa.Table.from_pylist(rows), target)
        parquet.append(str(target))
    run = clean_with_ray(parquet, tmp_path / "out", OPTIONS)
    assert run.parts and all(p.endswith(".parquet") for p in run.parts)
    kept = list(kept_lines(tmp_path / "out"))
    local = local_result(root)[0]
    assert [(d["id"], d["text"], d["dedup"]["status"]) for d in kept] == [(d["id"], d["text"], d["dedup"]["status"]) for d in local]
    assert pq.read_table(tmp_path / "out" / run.parts[0]).column_names == ["id", "text", "dedup"]


def test_text_folders_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    shutil.copy(SAMPLES[0], folder)
    from dedup.errors import OutputError

    with pytest.raises(OutputError, match="JSONL or Parquet"):
        clean_with_ray([folder], tmp_path / "out", OPTIONS)
