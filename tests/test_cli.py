"""``dedup clean`` as a user sees it: files written, report.json, messages and exit codes.

Inputs are the seed articles in samples/ (never written to: every run writes under
tmp_path) and short English articles written for these tests.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

BOM = b"\xef\xbb\xbf"
SAMPLE_PREFIXES = ["000", "001", "002", "003", "004"]
REMOVAL_KINDS = {"exact", "near", "contained", "marker"}


# --- helpers ------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """Text as dedup counts offsets: BOM not counted, an undecodable byte is one character."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    return data.decode("utf-8", "surrogateescape")


def cut_spans(text: str, spans: list[dict]) -> str:
    """``text`` with every ``[start, end)`` span cut out; the spans must not overlap."""
    pieces, pos = [], 0
    for span in sorted(spans, key=lambda s: s["start"]):
        assert span["start"] >= pos, f"removed spans overlap at {span['start']}"
        pieces.append(text[pos : span["start"]])
        pos = span["end"]
    pieces.append(text[pos:])
    return "".join(pieces)


def load_report(out: Path) -> dict:
    """report.json, which must be valid UTF-8 JSON."""
    return json.loads((out / "report.json").read_bytes().decode("utf-8"))


def output_files(out: Path) -> dict[str, bytes]:
    """Every file written under ``out`` except the reports, by relative path."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.relative_to(out).as_posix() not in ("report.json", "report.html")
        and not p.relative_to(out).as_posix().startswith(".dedup/")  # the run's own bookkeeping
    }


def message_lines(stream: str) -> list[str]:
    return [line for line in stream.splitlines() if line.strip()]


def assert_no_crash(result) -> None:
    """The command ended normally (sys.exit), with no traceback printed."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr


def assert_one_error_naming(result, name: str, reason: str) -> None:
    """Exactly one ``dedup: ...`` line on stderr names ``name`` and says ``reason``."""
    lines = message_lines(result.stderr)
    for line in lines:
        assert line.startswith("dedup: "), f"not a one-line dedup message: {line!r}"
    hits = [line for line in lines if name in line]
    assert len(hits) == 1, lines
    assert reason.lower() in hits[0].lower(), hits[0]


# --- the seed articles, through the installed command -------------------------------------


@pytest.fixture(scope="module")
def samples_run(tmp_path_factory, samples_dir, dedup_exe, hash_tree):
    """``dedup clean samples --out OUT`` run once as a real process."""
    before = hash_tree(samples_dir)
    out = tmp_path_factory.mktemp("samples_run") / "out"
    proc = subprocess.run(
        [str(dedup_exe), "clean", str(samples_dir), "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    after = hash_tree(samples_dir)
    return SimpleNamespace(proc=proc, out=out, before=before, after=after)


@pytest.fixture(scope="module")
def samples_report(samples_run) -> dict:
    assert samples_run.proc.returncode == 0, samples_run.proc.stderr
    return load_report(samples_run.out)


def record_of(report: dict, prefix: str) -> dict:
    (record,) = [d for d in report["documents"] if d["id"].startswith(prefix + "_")]
    return record


def test_samples_exit_0_with_summary(samples_run) -> None:
    proc = samples_run.proc
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no errors, no warnings
    assert "Traceback" not in proc.stdout
    assert "read 5 documents" in proc.stdout
    assert str(samples_run.out) in proc.stdout


def test_samples_inputs_are_not_modified(samples_run) -> None:
    assert samples_run.proc.returncode == 0, samples_run.proc.stderr
    assert samples_run.after == samples_run.before
    assert len(samples_run.before) == 5


def test_samples_one_output_per_input(samples_run, samples_dir) -> None:
    assert samples_run.proc.returncode == 0, samples_run.proc.stderr
    assert set(output_files(samples_run.out)) == {p.name for p in samples_dir.glob("*.txt")}


@pytest.mark.parametrize("prefix", ["000", "003", "004"])
def test_samples_clean_posts_are_byte_identical(samples_run, sample_file, prefix) -> None:
    source = sample_file(prefix)
    assert (samples_run.out / source.name).read_bytes() == source.read_bytes()


@pytest.mark.parametrize("prefix", ["001", "002"])
def test_samples_repeating_posts_are_shorter(samples_run, sample_file, prefix) -> None:
    source = sample_file(prefix)
    written = (samples_run.out / source.name).read_bytes()
    assert 0 < len(written) < len(source.read_bytes())
    assert "---END---" not in written.decode("utf-8")


def test_samples_report_format(samples_report, samples_dir) -> None:
    report = samples_report
    assert report["schema_version"] == 1
    ids = [d["id"] for d in report["documents"]]
    assert sorted(ids) == sorted(p.name for p in samples_dir.glob("*.txt"))
    assert len(set(ids)) == len(ids)
    for record in report["documents"]:
        for key in ("id", "status", "duplicate_of", "output", "removed"):
            assert key in record, (record["id"], key)
        assert record["output"] == record["id"]
        assert record["duplicate_of"] is None
        assert record["status"] in {"unique", "cleaned", "duplicate"}


def test_samples_statuses(samples_report) -> None:
    statuses = {d["id"][:3]: d["status"] for d in samples_report["documents"]}
    assert statuses == {"000": "unique", "001": "cleaned", "002": "cleaned", "003": "unique", "004": "unique"}
    for record in samples_report["documents"]:
        assert bool(record["removed"]) == (record["status"] == "cleaned")


def test_samples_totals_match_records(samples_report, samples_dir) -> None:
    docs = samples_report["documents"]
    totals = samples_report["totals"]
    assert totals["documents"] == len(docs) == 5
    for status in ("unique", "cleaned", "duplicate"):
        assert totals[status] == sum(d["status"] == status for d in docs), status
    assert totals["errors"] == 0
    assert totals["removals"] == sum(len(d["removed"]) for d in docs)
    for record in docs:
        span_total = sum(s["end"] - s["start"] for s in record["removed"])
        if record["status"] == "cleaned":
            assert record["chars_removed"] == span_total > 0, record["id"]
        elif record["status"] == "unique":
            assert record["chars_removed"] == span_total == 0, record["id"]
        assert record["chars"] == len(decode((samples_dir / record["id"]).read_bytes()))
    assert totals["chars_removed"] == sum(d["chars_removed"] for d in docs)
    assert totals["chars_in"] == sum(d["chars"] for d in docs)


def test_samples_removed_spans_are_well_formed(samples_report) -> None:
    ids = {d["id"] for d in samples_report["documents"]}
    spans = 0
    for record in samples_report["documents"]:
        for span in record["removed"]:
            spans += 1
            where = (record["id"], span["start"])
            assert 0 <= span["start"] < span["end"] <= record["chars"], where
            assert span["kind"] in REMOVAL_KINDS, where
            assert 0.0 <= span["similarity"] <= 1.0, where
            if span["kind"] == "marker":
                assert span["kept"] is None, where
                continue
            kept = span["kept"]
            assert kept is not None, where
            assert set(kept) >= {"doc", "start", "end"}, where
            assert kept["doc"] in ids, where
            assert 0 <= kept["start"] < kept["end"], where
    assert spans > 0


@pytest.mark.parametrize("prefix", SAMPLE_PREFIXES)
def test_samples_output_is_input_minus_removed_spans(samples_run, samples_report, sample_file, prefix) -> None:
    record = record_of(samples_report, prefix)
    original = decode(sample_file(prefix).read_bytes())
    written = decode((samples_run.out / record["output"]).read_bytes())
    assert cut_spans(original, record["removed"]) == written


def test_samples_markers_are_reported(samples_report) -> None:
    record = record_of(samples_report, "002")
    markers = [s for s in record["removed"] if s["kind"] == "marker"]
    assert len(markers) == 5  # samples/002 has five ---END--- lines


# --- where the output goes ------------------------------------------------------------------


@pytest.mark.parametrize("arg", ["samples", "samples/"])
def test_default_out_is_beside_the_input(run_cli, samples_copy, monkeypatch, arg) -> None:
    monkeypatch.chdir(samples_copy.parent)
    result = run_cli(["clean", arg])
    assert_no_crash(result)
    assert result.exit_code == 0, result.stderr
    out = samples_copy.parent / "samples-dedup"
    assert (out / "report.json").is_file()
    assert set(output_files(out)) == {p.name for p in samples_copy.glob("*.txt")}
    assert not list(samples_copy.glob("*-dedup"))  # nothing inside the input folder
    assert "samples-dedup" in result.stdout


def test_default_out_for_an_absolute_path(run_cli, samples_copy) -> None:
    result = run_cli(["clean", samples_copy])
    assert result.exit_code == 0, result.stderr
    out = samples_copy.parent / "samples-dedup"
    assert len(output_files(out)) == 5
    assert len(load_report(out)["documents"]) == 5


@pytest.mark.parametrize("where", ["sub", "sub/deeper", "."])
def test_out_inside_the_input_folder_is_refused(run_cli, samples_copy, hash_tree, where) -> None:
    before = hash_tree(samples_copy)
    out = samples_copy / where
    result = run_cli(["clean", samples_copy, "--out", out])
    assert_no_crash(result)
    assert result.exit_code == 2
    explaining = [line for line in message_lines(result.stderr) if "inside input folder" in line]
    assert len(explaining) == 1, result.stderr
    assert result.stdout == ""
    assert hash_tree(samples_copy) == before  # nothing written
    assert sorted(p.name for p in samples_copy.iterdir()) == sorted(before)
    assert not (samples_copy.parent / "samples-dedup").exists()


def test_out_that_would_overwrite_an_input_file_is_refused(run_cli, samples_copy, sample_file, hash_tree) -> None:
    source = samples_copy / sample_file("000").name
    before = hash_tree(samples_copy)
    result = run_cli(["clean", source, "--out", samples_copy])
    assert_no_crash(result)
    assert result.exit_code == 2
    assert any("overwrite" in line for line in message_lines(result.stderr)), result.stderr
    assert hash_tree(samples_copy) == before
    assert not (samples_copy / "report.json").exists()


# --- which inputs, under which ids ----------------------------------------------------------


def test_two_folders_with_the_same_file_name(run_cli, tmp_path, paragraphs, article) -> None:
    (tmp_path / "monday").mkdir()
    (tmp_path / "tuesday").mkdir()
    monday = article(paragraphs[0:2])
    tuesday = article([paragraphs[2], paragraphs[3], paragraphs[2]])
    (tmp_path / "monday" / "news.txt").write_bytes(monday)
    (tmp_path / "tuesday" / "news.txt").write_bytes(tuesday)
    out = tmp_path / "out"
    result = run_cli(["clean", tmp_path / "monday", tmp_path / "tuesday", "--out", out])
    assert result.exit_code == 0, result.stderr
    report = load_report(out)
    ids = [d["id"] for d in report["documents"]]
    assert len(ids) == len(set(ids)) == 2
    written = output_files(out)
    assert len(written) == 2
    by_input = {Path(d["input"]).parent.name: d for d in report["documents"]}
    assert written[by_input["monday"]["output"]] == monday
    assert written[by_input["tuesday"]["output"]] == article(paragraphs[2:4])
    assert by_input["tuesday"]["status"] == "cleaned"


def test_two_folders_with_the_same_name(run_cli, tmp_path, paragraphs, article) -> None:
    for parent, text in (("a", article(paragraphs[4:6])), ("b", article(paragraphs[6:8]))):
        (tmp_path / parent / "news").mkdir(parents=True)
        (tmp_path / parent / "news" / "today.txt").write_bytes(text)
    out = tmp_path / "out"
    result = run_cli(["clean", tmp_path / "a" / "news", tmp_path / "b" / "news", "--out", out])
    assert result.exit_code == 0, result.stderr
    ids = [d["id"] for d in load_report(out)["documents"]]
    assert len(ids) == len(set(ids)) == 2
    assert sorted(output_files(out).values()) == sorted([article(paragraphs[4:6]), article(paragraphs[6:8])])


def test_nested_folders_are_mirrored(run_cli, tmp_path, paragraphs, article) -> None:
    inputs = {
        "front.txt": article(paragraphs[0:2]),
        "2024/march/council.md": article([paragraphs[2], paragraphs[3], paragraphs[2]]),
        "2024/april/harvest.txt": article(paragraphs[4:7]),
        "2025/bakery.txt": article(paragraphs[7:9]),
    }
    src = tmp_path / "news"
    for rel, data in inputs.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    out = tmp_path / "out"
    result = run_cli(["clean", src, "--out", out])
    assert result.exit_code == 0, result.stderr
    written = output_files(out)
    assert set(written) == set(inputs)
    assert written["2024/march/council.md"] == article(paragraphs[2:4])
    for rel in ("front.txt", "2024/april/harvest.txt", "2025/bakery.txt"):
        assert written[rel] == inputs[rel]
    assert sorted(d["id"] for d in load_report(out)["documents"]) == sorted(inputs)


def test_other_files_are_ignored(run_cli, tmp_path, paragraphs, article) -> None:
    src = tmp_path / "site"
    src.mkdir()
    (src / "story.txt").write_bytes(article(paragraphs[0:2]))
    (src / "notes.md").write_bytes(article(paragraphs[2:4]))
    (src / "page.html").write_text(f"<p>{paragraphs[0]}</p>\n<p>{paragraphs[0]}</p>\n")
    (src / "data.json").write_text(json.dumps({"text": paragraphs[1]}))
    (src / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (src / "README").write_text(paragraphs[3] + "\n")
    (src / "story.txt.bak").write_bytes(article(paragraphs[0:2]))
    out = tmp_path / "out"
    result = run_cli(["clean", src, "--out", out])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert set(output_files(out)) == {"story.txt", "notes.md"}
    assert sorted(d["id"] for d in load_report(out)["documents"]) == ["notes.md", "story.txt"]


# --- options --------------------------------------------------------------------------------


def test_keep_markers(run_cli, samples_dir, sample_file, tmp_path) -> None:
    out = tmp_path / "out"
    result = run_cli(["clean", samples_dir, "--out", out, "--keep-markers"])
    assert result.exit_code == 0, result.stderr
    name = sample_file("002").name
    written = (out / name).read_text(encoding="utf-8")
    assert written.splitlines().count("---END---") == 5
    record = [d for d in load_report(out)["documents"] if d["id"] == name][0]
    assert not [s for s in record["removed"] if s["kind"] == "marker"]
    assert cut_spans(sample_file("002").read_text(encoding="utf-8"), record["removed"]) == written


@pytest.fixture
def eleven_files(tmp_path, samples_dir, paragraphs, article) -> Path:
    """Eleven articles (more than the 8 from which workers are used), some with repeats."""
    src = tmp_path / "many"
    shutil.copytree(samples_dir, src)
    p = paragraphs
    extra = [
        [p[0], p[1], p[0]], [p[2], p[3]], [p[4], p[5], p[4]],
        [p[6], p[7], p[6], p[7]], [p[8], p[9]], [p[10], p[11], p[12], p[11]],
    ]
    for i, paras in enumerate(extra):
        (src / f"english_{i}.txt").write_bytes(article(paras))
    return src


def add_generated_articles(folder: Path, paragraphs, article, count: int) -> None:
    """``count`` more short articles mixing the paragraphs, some repeating one inside."""
    p = paragraphs
    for i in range(count):
        paras = [p[i % 16], p[(i * 5 + 3) % 16], p[(i * 11 + 7) % 16]]
        if i % 3 == 0:
            paras.append(paras[0])
        (folder / f"generated_{i:03d}.txt").write_bytes(article(paras))


@pytest.mark.parametrize("extra", [0, 150], ids=["11-files", "161-files"])
def test_jobs_2_gives_the_same_outputs_as_jobs_1(run_cli, eleven_files, tmp_path, paragraphs, article, extra) -> None:
    add_generated_articles(eleven_files, paragraphs, article, extra)
    reports, outputs = [], []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        result = run_cli(["clean", eleven_files, "--out", out, "--jobs", jobs])
        assert_no_crash(result)
        assert result.exit_code == 0, result.stderr
        outputs.append(output_files(out))
        reports.append(load_report(out))
    assert len(reports[0]["documents"]) == 11 + extra
    assert outputs[0] == outputs[1]
    assert reports[0]["documents"] == reports[1]["documents"]
    totals = [{k: v for k, v in r["totals"].items() if k != "elapsed_seconds"} for r in reports]
    assert totals[0] == totals[1]


def test_jobs_2_with_a_bad_file_among_many(run_cli, eleven_files, tmp_path) -> None:
    (eleven_files / "broken.txt").write_bytes(b"PK\x03\x04\x00\x00binary archive\x00")
    out = tmp_path / "out"
    result = run_cli(["clean", eleven_files, "--out", out, "--jobs", "2"])
    assert_no_crash(result)
    assert result.exit_code == 1
    assert_one_error_naming(result, "broken.txt", "binary")
    assert len(output_files(out)) == 11
    assert len(load_report(out)["documents"]) == 11


# --- bad input, next to good files ----------------------------------------------------------


@pytest.fixture
def good(tmp_path, paragraphs, article, sample_file):
    """A folder ``in`` with three good articles, and the bytes each must be written as."""
    folder = tmp_path / "in"
    folder.mkdir()
    p = paragraphs
    sample = sample_file("000")
    cases = {
        "council.txt": (article(p[0:3]), article(p[0:3])),
        "harvest.txt": (article([p[3], p[4], p[5], p[4]]), article(p[3:6])),
        sample.name: (sample.read_bytes(), sample.read_bytes()),
    }
    for name, (data, _) in cases.items():
        (folder / name).write_bytes(data)
    return SimpleNamespace(folder=folder, expected={name: want for name, (_, want) in cases.items()}, out=tmp_path / "out")


def assert_good_written(good, prefix: str = "", report: bool = True) -> None:
    written = output_files(good.out)
    for name, want in good.expected.items():
        assert written.get(prefix + name) == want, name
    if not report:
        return
    report = load_report(good.out)
    ids = {d["id"] for d in report["documents"]}
    assert {prefix + name for name in good.expected} <= ids


def test_binary_file_is_an_error_and_the_rest_is_written(run_cli, good) -> None:
    (good.folder / "archive.txt").write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03compressed\x00data")
    result = run_cli(["clean", good.folder, "--out", good.out])
    assert_no_crash(result)
    assert result.exit_code == 1
    assert_one_error_naming(result, "archive.txt", "binary")
    assert_good_written(good)
    assert "archive.txt" not in output_files(good.out)
    report = load_report(good.out)
    assert report["totals"]["errors"] == 1
    assert len(report["documents"]) == 3
    assert any("archive.txt" in line for line in report["errors"])


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("Le café du marché ouvre à sept heures.\n".encode("latin-1"), id="latin-1"),
        pytest.param("東京の天気は晴れです。".encode("utf-8")[:-2], id="truncated-multibyte"),
        pytest.param(b"Prices rose by 5\x80 this year.\n\nThe end \xff\xfe.\n", id="stray-bytes"),
    ],
)
def test_invalid_utf8_is_kept_byte_for_byte_with_a_warning(run_cli, good, data) -> None:
    (good.folder / "mojibake.txt").write_bytes(data)
    result = run_cli(["clean", good.folder, "--out", good.out])
    assert_no_crash(result)
    assert result.exit_code == 0
    assert_one_error_naming(result, "mojibake.txt", "invalid UTF-8")
    assert (good.out / "mojibake.txt").read_bytes() == data
    assert_good_written(good)


def invalid_utf8_article(paragraphs) -> tuple[bytes, bytes]:
    """An article whose repeated paragraph holds a Latin-1 byte, and its cleaned bytes."""
    p = [s.encode() for s in paragraphs]
    odd = p[13].replace(b"cafe", b"caf\xe9")  # 'café' in Latin-1
    assert odd != p[13]
    data = b"\n\n".join([p[12], odd, p[14], odd]) + b"\n"
    return data, b"\n\n".join([p[12], odd, p[14]]) + b"\n"


def test_invalid_utf8_with_a_repeated_paragraph_is_cleaned(run_cli, good, paragraphs) -> None:
    data, want = invalid_utf8_article(paragraphs)
    (good.folder / "mojibake.txt").write_bytes(data)
    result = run_cli(["clean", good.folder, "--out", good.out])
    assert_no_crash(result)
    assert result.exit_code == 0
    assert_one_error_naming(result, "mojibake.txt", "invalid UTF-8")
    assert (good.out / "mojibake.txt").read_bytes() == want
    assert_good_written(good, report=False)  # report.json: see the next test


def test_report_is_valid_utf8_when_a_removed_span_has_invalid_bytes(run_cli, good, paragraphs) -> None:
    data, _ = invalid_utf8_article(paragraphs)
    (good.folder / "mojibake.txt").write_bytes(data)
    result = run_cli(["clean", good.folder, "--out", good.out])
    assert_no_crash(result)
    assert result.exit_code == 0
    report = load_report(good.out)  # must decode as UTF-8 (the raw byte 0xE9 must not leak in)
    (record,) = [d for d in report["documents"] if d["id"] == "mojibake.txt"]
    assert record["status"] == "cleaned"


@pytest.mark.parametrize("crlf,bom", [(True, True), (True, False), (False, True)], ids=["bom+crlf", "crlf", "bom"])
def test_bom_and_crlf_without_repeats_are_byte_identical(run_cli, good, paragraphs, article, crlf, bom) -> None:
    data = article(paragraphs[6:10], crlf=crlf, bom=bom)
    (good.folder / "windows.txt").write_bytes(data)
    result = run_cli(["clean", good.folder, "--out", good.out])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert (good.out / "windows.txt").read_bytes() == data
    assert_good_written(good)


def test_bom_and_crlf_with_a_repeat_are_cleaned_and_kept(run_cli, good, paragraphs, article) -> None:
    p = paragraphs
    data = article([p[6], p[7], p[8], p[7], p[9]], crlf=True, bom=True)
    (good.folder / "windows.txt").write_bytes(data)
    result = run_cli(["clean", good.folder, "--out", good.out])
    assert result.exit_code == 0, result.stderr
    written = (good.out / "windows.txt").read_bytes()
    assert written == article([p[6], p[7], p[8], p[9]], crlf=True, bom=True)
    assert written.startswith(BOM) and not written[3:].startswith(BOM)
    assert written.count(b"\n") == written.count(b"\r\n")
    record = [d for d in load_report(good.out)["documents"] if d["id"] == "windows.txt"][0]
    assert record["status"] == "cleaned"
    assert cut_spans(decode(data), record["removed"]) == decode(written)
    assert_good_written(good)


def test_lone_cr_line_endings_are_kept(run_cli, good, paragraphs) -> None:
    p = paragraphs
    data = "\r\r".join([p[10], p[11], p[10]]).encode() + b"\r"
    (good.folder / "classic-mac.txt").write_bytes(data)
    result = run_cli(["clean", good.folder, "--out", good.out])
    assert result.exit_code == 0, result.stderr
    assert (good.out / "classic-mac.txt").read_bytes() == "\r\r".join([p[10], p[11]]).encode() + b"\r"


def test_empty_file_is_written_empty(run_cli, good) -> None:
    (good.folder / "empty.txt").write_bytes(b"")
    result = run_cli(["clean", good.folder, "--out", good.out])
    assert_no_crash(result)
    assert result.exit_code == 0
    assert (good.out / "empty.txt").read_bytes() == b""
    assert_one_error_naming(result, "empty.txt", "empty")
    assert_good_written(good)


def test_file_over_max_bytes_is_an_error(run_cli, good, sample_file) -> None:
    big = sample_file("003")  # 17,934 bytes; the good files are all under 10,000
    shutil.copy(big, good.folder / "long-read.txt")
    result = run_cli(["clean", good.folder, "--out", good.out, "--max-bytes", "10000"])
    assert_no_crash(result)
    assert result.exit_code == 1
    assert_one_error_naming(result, "long-read.txt", "too large")
    assert "long-read.txt" not in output_files(good.out)
    assert_good_written(good)


def test_missing_path_is_an_error_and_the_rest_is_processed(run_cli, good) -> None:
    missing = good.folder.parent / "no-such-article.txt"
    result = run_cli(["clean", good.folder, missing, "--out", good.out])
    assert_no_crash(result)
    assert result.exit_code == 1
    assert_one_error_naming(result, "no-such-article.txt", "no such file")
    assert len(output_files(good.out)) == 3
    assert_good_written(good, prefix="in/")  # several inputs: ids carry the folder name
    assert load_report(good.out)["totals"]["errors"] == 1


def test_same_file_twice_is_processed_once(run_cli, good) -> None:
    path = good.folder / "harvest.txt"
    result = run_cli(["clean", path, path, "--out", good.out])
    assert_no_crash(result)
    assert result.exit_code == 0
    assert_one_error_naming(result, "harvest.txt", "once")
    assert output_files(good.out) == {"harvest.txt": good.expected["harvest.txt"]}
    assert [d["id"] for d in load_report(good.out)["documents"]] == ["harvest.txt"]


def test_file_inside_a_folder_given_too_is_processed_once(run_cli, good) -> None:
    result = run_cli(["clean", good.folder, good.folder / "council.txt", "--out", good.out])
    assert_no_crash(result)
    assert result.exit_code == 0
    assert_one_error_naming(result, "council.txt", "once")
    assert len(output_files(good.out)) == 3
    assert len(load_report(good.out)["documents"]) == 3
    assert_good_written(good, prefix="in/")


def test_broken_symlink_is_an_error(run_cli, good) -> None:
    (good.folder / "x.txt").symlink_to(good.folder / "deleted-long-ago.txt")
    result = run_cli(["clean", good.folder, "--out", good.out])
    assert_no_crash(result)
    assert result.exit_code == 1
    assert_one_error_naming(result, "x.txt", "cannot read")
    assert "x.txt" not in output_files(good.out)
    assert_good_written(good)


def test_unreadable_file_is_an_error(run_cli, good, monkeypatch) -> None:
    (good.folder / "locked.txt").write_bytes(b"Private notes.\n")
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):  # as for a chmod 000 file, which root could still read
        if os.fspath(path).endswith("locked.txt"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    result = run_cli(["clean", good.folder, "--out", good.out, "--jobs", "1"])
    monkeypatch.undo()
    assert_no_crash(result)
    assert result.exit_code == 1
    assert_one_error_naming(result, "locked.txt", "permission denied")
    assert "locked.txt" not in output_files(good.out)
    assert_good_written(good)


def test_several_bad_inputs_at_once(run_cli, good, paragraphs) -> None:
    (good.folder / "archive.txt").write_bytes(b"\x00\x01\x02")
    (good.folder / "mojibake.txt").write_bytes(b"caf\xe9\n")
    (good.folder / "empty.md").write_bytes(b"")
    missing = good.folder.parent / "gone.txt"
    result = run_cli(["clean", good.folder, missing, "--out", good.out])
    assert_no_crash(result)
    assert result.exit_code == 1
    lines = message_lines(result.stderr)
    for name in ("archive.txt", "mojibake.txt", "empty.md", "gone.txt"):
        assert sum(name in line for line in lines) == 1, (name, lines)
    assert_good_written(good, prefix="in/")
    report = load_report(good.out)
    assert report["totals"]["errors"] == 2
    assert report["totals"]["documents"] == 5


# --- an interrupted run ---------------------------------------------------------------------


def report_bytes(out: Path) -> bytes | None:
    path = out / "report.json"
    return path.read_bytes() if path.exists() else None


def visible_state(out: Path) -> tuple[dict[str, bytes], dict | None]:
    """What a user sees in ``out``: the outputs and the report without its run-dependent fields."""
    report = None
    if (out / "report.json").exists():
        report = load_report(out)
        for name in ("totals", "output", "cwd"):
            report.pop(name)
        report["warnings"] = [w for w in report["warnings"] if "the interrupted run" not in w]
    return output_files(out), report


@pytest.mark.parametrize("fail_in", ["replace", "fsync", "unlink"])
def test_an_interrupted_run_changes_nothing_or_is_finished_by_the_next(
    run_cli, samples_copy, sample_file, tmp_path, monkeypatch, hash_tree, paragraphs, article, fail_in
) -> None:
    """Ctrl-C at every os.replace / fsync / unlink of a re-run: the output folder shows the old run whole, or
    (interrupted after the commit point) the next run finishes the new one; never a mix."""
    out = tmp_path / "out"
    assert run_cli(["clean", samples_copy, "--out", out, "--jobs", "1"]).exit_code == 0
    old = visible_state(out)
    first = samples_copy / sample_file("000").name
    first.write_bytes(article([paragraphs[0], paragraphs[1], paragraphs[0]]))  # now it has a repeat
    (samples_copy / sample_file("004").name).unlink()  # and an input is gone
    reference = tmp_path / "reference"
    assert run_cli(["clean", samples_copy, "--out", reference, "--jobs", "1"]).exit_code == 0
    new = visible_state(reference)
    assert new != old
    before = hash_tree(samples_copy)

    real = getattr(os, fail_in)
    for k in range(1, 40):
        calls = []

        def interrupt_kth(*args, **kwargs):
            calls.append(args)
            if len(calls) == k:
                raise KeyboardInterrupt
            return real(*args, **kwargs)

        snapshot = tmp_path / f"try{k}"
        shutil.copytree(out, snapshot, symlinks=True)
        monkeypatch.setattr(os, fail_in, interrupt_kth)
        result = run_cli(["clean", samples_copy, "--out", snapshot, "--jobs", "1"])
        monkeypatch.undo()
        assert hash_tree(samples_copy) == before
        if len(calls) < k:  # the run got through without reaching call k: the sweep is complete
            assert result.exit_code == 0
            assert visible_state(snapshot) == new
            break
        assert result.exit_code == 130, result.stderr
        assert "Traceback" not in result.stderr
        assert len(message_lines(result.stderr)) == 1, result.stderr
        journal = snapshot / ".dedup" / "journal.json"
        if not journal.exists():
            assert visible_state(snapshot) == old, f"call {k} of os.{fail_in}"
        again = run_cli(["clean", samples_copy, "--out", snapshot, "--jobs", "1"])
        assert again.exit_code == 0, again.stderr
        assert visible_state(snapshot) == new
        assert not [p for p in snapshot.rglob("*.dedup-tmp")], k
        assert not list((snapshot / ".dedup").glob("staging-*")), k
    else:
        pytest.fail("the run never completed")


def test_the_local_engine_writes_parquet_when_out_ends_in_parquet(tmp_path: Path, dedup_exe) -> None:
    import pyarrow.parquet as pq

    source = tmp_path / "in.jsonl"
    rows = [{"id": "a", "text": "One document about the harbour market and its many traders.", "n": 1},
            {"id": "b", "text": "One document about the harbour market and its many traders.", "n": 2},
            {"id": "c", "text": "Another about an orchard on the slope above the railway.", "tag": "x"}]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    proc = subprocess.run([str(dedup_exe), "clean", str(source), "--id-key", "id", "--out", str(tmp_path / "kept.parquet")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    table = pq.read_table(tmp_path / "kept.parquet").to_pylist()
    assert [r["id"] for r in table] == ["a", "c"]
    assert table[0]["n"] == 1 and table[0]["tag"] is None and table[1]["tag"] == "x"  # fields of every record
    assert json.loads(table[0]["dedup"])["status"] == "unique"
    refused = subprocess.run([str(dedup_exe), "clean", str(source), "--out-format", "parquet", "--out", str(tmp_path / "k.jsonl")],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "Parquet" in refused.stderr, refused.stderr
    assert not (tmp_path / "k.jsonl").exists()
