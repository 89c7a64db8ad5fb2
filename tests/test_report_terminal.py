"""dedup report / dedup diff: the review in a terminal, from report.json and the inputs."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from dedup.engine.local import RunOptions, clean_paths
from dedup.report.load import document_texts, load_report

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ID_001 = "001_49c849b59a745fdc.txt"
ID_003 = "003_1900c49a4f37e301.txt"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("review")
    shutil.copytree(SAMPLES, root / "in")
    repost = (SAMPLES / ID_003).read_text(encoding="utf-8").replace("Anthropic", "アンソロピック", 2)
    (root / "in" / "zz_repost.txt").write_text(repost + "\n転載元：テックニュース\n", encoding="utf-8")
    clean_paths([root / "in"], root / "out", RunOptions(show_progress=False))
    return root / "out"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_cleaned_text_is_rebuilt_from_the_report_alone(run: Path) -> None:
    report = load_report(run)
    texts = document_texts(report)
    for record in report["documents"]:
        if record["output"]:
            assert texts[record["id"]].cleaned == (run / record["output"]).read_text(encoding="utf-8")


def test_report_lists_summary_and_top_documents(run: Path) -> None:
    result = invoke("report", str(run), "--top", "3")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "6 documents: 2 cleaned, 3 unchanged, 1 duplicate in 1 clusters"
    table = lines[lines.index("") + 1:]
    assert [row.split()[0] for row in table[1:]] == [ID_003, "002_b99ba1c9dcc93368.txt", ID_001]
    assert "duplicate of zz_repost.txt" in table[1]


def test_diff_of_a_cleaned_document_shows_the_removed_copy(run: Path) -> None:
    result = invoke("diff", str(run), ID_001, "--no-color")
    assert result.exit_code == 0
    removed = [line for line in result.output.splitlines() if line.startswith("-") and not line.startswith("---")]
    assert removed[0].startswith("-2025年11月12日、人工知能会社Anthropic PBC")
    assert not any(line.startswith("+") and not line.startswith("+++") for line in result.output.splitlines())
    assert "\x1b[" not in result.output


def test_diff_of_a_duplicate_is_against_the_kept_copy(run: Path) -> None:
    result = invoke("diff", str(run), ID_003)
    assert result.exit_code == 0
    assert result.output.startswith(f"# {ID_003} is a duplicate (near, similarity")
    assert "+++ zz_repost.txt (kept)" in result.output
    assert "+転載元：テックニュース" in result.output


def test_diff_colours_on_request(run: Path) -> None:
    result = CliRunner().invoke(main, ["diff", str(run), ID_001, "--color"], color=True)
    assert "\x1b[31m-" in result.output


def test_unknown_document_and_missing_report_are_one_line_errors(run: Path, tmp_path: Path) -> None:
    result = invoke("diff", str(run), "001_49c849b59a745fdc.tx")
    assert result.exit_code == 1
    assert "did you mean 001_49c849b59a745fdc.txt" in result.output
    result = invoke("report", str(tmp_path))
    assert result.exit_code == 2 and "no report.json" in result.output
