"""Within-document cleaning gives byte-identical results to the code before its fast path (issue 16).

The fast path (``dedup.match.repeats``) returns a text untouched without building its
blocks and sentences, and the lines are segmented and normalised over the whole text at
once (``dedup.segment.lines``). Both claim to change nothing: this test holds them to it.
The corpus is 10,000 deterministic documents: the seed articles of ``samples/``, the real
pages of ``tests/data/real_pages`` (page text and extracted article), real pages with
repeats injected the ways scraped text repeats itself (a paragraph, a section with a
heading, a sentence restated, a paragraph with a sentence added or a word changed,
``---END---`` chunks, CRLF line ends, a cut at a random place), the property tests'
documents (drawn once with derandomized hypothesis and stored in
``tests/data/identity/property_texts.jsonl.gz``) and generated articles from the sample
and real-page paragraphs. The stored digests were computed with the code at 15e7726
(before issue 16): ``python tests/test_within_identity.py`` prints them for the code on
``PYTHONPATH``.

Every 10th document (1,000) is always checked; all 10,000 are marked ``slow``. A
``dedup clean --within-only`` run over the real pages must also write the same output and
report.json as before.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from dedup import clean_text

DATA = Path(__file__).resolve().parent / "data"
SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SEED = 20261202
SIZE = 10_000
# sha256 of the results of the code at 15e7726 (python tests/test_within_identity.py)
DIGEST_ALL = "7d67e9e1fcfb8aef56c5fe9561ed919e5592282fbde47b457907b87d83182379"
DIGEST_WITHIN_ONLY = "72411b598fd75901dd3e0438fe2987cb6d9daaa6ea0d409dc2e0c9c7336d58ca"
DIGEST_SUBSET = "adb64df27db74faa92fd56b3b31e7503e6401827f52de3dd42eba3d719f182d1"

_SENTENCE = re.compile(r"(?<=[。！？.!?])\s*")
_MARKER = "---END---"
_HEADINGS = ("## Background", "## What happens next", "### 背景", "## 今後の見通し", "Related articles", "# Summary")


def _real_pages() -> list[str]:
    with gzip.open(DATA / "real_pages" / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def _property_texts() -> list[str]:
    with gzip.open(DATA / "identity" / "property_texts.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def _paragraphs(texts: Iterable[str]) -> list[str]:
    """Distinct lines of at least 60 characters: the paragraphs generated articles are made of."""
    return list(dict.fromkeys(line.strip() for t in texts for line in t.splitlines() if len(line.strip()) >= 60))


def _sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE.split(paragraph) if s] or [paragraph]


def _edit(rng: random.Random, paragraph: str) -> str:
    """The paragraph with a word (or a few characters) changed, or a sentence added."""
    roll = rng.random()
    if roll < 0.4 and " " in paragraph:
        words = paragraph.split(" ")
        words[rng.randrange(len(words))] = rng.choice(["new", "several", "ten", "the", "2026"])
        return " ".join(words)
    if roll < 0.7:
        at = rng.randrange(len(paragraph))
        return paragraph[:at] + rng.choice(["大", "x", "の", ""]) + paragraph[at + 2 :]
    sentences = _sentences(paragraph)
    sentences.insert(rng.randint(0, len(sentences)), rng.choice(["This was confirmed on Monday.", "関係者が明らかにした。"]))
    return " ".join(sentences)


def _inject(rng: random.Random, text: str) -> str:
    """``text`` with 1-3 repeats of its own lines injected, sometimes with CRLF ends or cut short."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        long_lines = [i for i, line in enumerate(lines) if len(line) >= 50]
        op = rng.choice(["paragraph", "section", "sentence", "edited", "marker", "chunk"])
        if not long_lines or op == "marker":
            lines.insert(rng.randint(0, len(lines)), _MARKER)
            continue
        i = rng.choice(long_lines)
        at = rng.randint(i + 1, len(lines))
        if op == "paragraph":
            lines.insert(at, lines[i])
        elif op == "section":
            length = rng.randint(2, 12)
            section = lines[i : i + length]
            if rng.random() < 0.5:
                section.insert(rng.randint(0, len(section)), rng.choice(_HEADINGS))
            lines[at:at] = section
        elif op == "sentence":
            sentences = _sentences(lines[i])
            target = rng.choice(long_lines)
            lines[target] = lines[target] + " " + rng.choice(sentences)
        elif op == "edited":
            lines.insert(at, _edit(rng, lines[i]))
        else:  # a chunk cut mid-paragraph, the marker, the whole paragraph
            cut = rng.randint(1, len(lines[i]))
            lines[i:i] = [lines[i][:cut], _MARKER]
    out = "\n".join(lines)
    if rng.random() < 0.15:
        out = out.replace("\n", "\r\n")
    if rng.random() < 0.1:
        out = out[: rng.randint(0, len(out))]
    return out


def _article(rng: random.Random, paragraphs: Sequence[str]) -> str:
    """A generated article: distinct paragraphs, then (mostly) some of them again, the ways scraped text repeats."""
    body = rng.sample(list(paragraphs), rng.randint(2, 14))
    pattern = rng.choice(["clean", "clean", "twice", "added", "chunks", "sentence"])
    lines = [rng.choice(_HEADINGS)] + body
    if pattern == "twice":
        lines += [rng.choice(_HEADINGS)] + [p for p in body if rng.random() < 0.8]
    elif pattern == "added":
        lines += [_edit(rng, p) for p in body if rng.random() < 0.5]
    elif pattern == "chunks":
        lines = []
        at = 0
        while at < len(body):
            chunk = body[at : at + rng.randint(2, 4)]
            if lines:
                lines.append(_MARKER)
                lines.extend(body[max(0, at - rng.randint(0, 2)) : at])
            lines.extend(chunk)
            at += len(chunk)
    elif pattern == "sentence" and len(body) >= 2:
        source = _sentences(rng.choice(body))
        target = rng.randrange(len(lines))
        lines[target] = lines[target] + " " + rng.choice(source)
    separator = rng.choice(["\n\n", "\n"])
    return separator.join(lines) + rng.choice(["", "\n"])


def identity_corpus(size: int = SIZE) -> list[tuple[str, str]]:
    """``size`` (name, text) documents, the same on every run."""
    rng = random.Random(SEED)
    samples = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt"))]
    pages = _real_pages()
    corpus = [(f"sample-{i}", t) for i, t in enumerate(samples)]
    corpus += [(f"page-{i}", t) for i, t in enumerate(pages)]
    corpus += [(f"property-{i}", t) for i, t in enumerate(_property_texts())]
    sources = samples + pages
    corpus += [(f"injected-{i}", _inject(rng, rng.choice(sources))) for i in range(3000)]
    paragraphs = _paragraphs(sources)
    number = 0
    while len(corpus) < size:
        corpus.append((f"article-{number}", _article(rng, paragraphs)))
        number += 1
    return corpus[:size]


def result_digest(corpus: Iterable[tuple[str, str]]) -> str:
    """sha256 over every document's name, cleaned text and removals (offsets, kind, unit, similarity, kept copy)."""
    digest = hashlib.sha256()
    for name, text in corpus:
        result = clean_text(text)
        removals = [
            [r.start, r.end, r.kind.value, r.unit, r.similarity, None if r.kept is None else [r.kept.start, r.kept.end, r.kept.doc]]
            for r in result.removals
        ]
        digest.update(json.dumps([name, result.text, removals], ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def test_corpus_is_what_the_digests_were_made_of() -> None:
    corpus = identity_corpus()
    assert len(corpus) == SIZE and len({name for name, _ in corpus}) == SIZE
    kinds = {name.split("-")[0] for name, _ in corpus}
    assert kinds == {"sample", "page", "property", "injected", "article"}


def test_every_tenth_document_is_cleaned_as_before() -> None:
    assert result_digest(identity_corpus()[::10]) == DIGEST_SUBSET


@pytest.mark.slow
def test_all_documents_are_cleaned_as_before() -> None:
    assert result_digest(identity_corpus()) == DIGEST_ALL


def within_only_digest(run_cli, folder: Path) -> str:
    """sha256 of what ``dedup clean --within-only`` writes for the real pages: output and report.json.

    The report's run time, the output's own path, the inputs' folder and the working folder
    are left out: they differ from run to run and checkout to checkout; so is ``site_key``, an
    option added since (issue 13). The digest was made with 15e7726's code, so normalised.
    """
    out = folder / "out.jsonl"
    result = run_cli(["clean", DATA / "real_pages" / "pages.jsonl.gz", "--id-key", "id", "--within-only", "--out", out, "-q", "--no-html"])
    assert result.exit_code == 0, result.stderr
    text = Path(f"{out}.report.json").read_text(encoding="utf-8")
    report = json.loads(text.replace(str(out), "OUT").replace(str(DATA), "DATA"))  # the same wherever the checkout is
    report.pop("cwd", None)
    report["parameters"].pop("site_key", None)  # an option issue 13 added on purpose (per-site boilerplate)
    for value in report.values():
        if isinstance(value, dict):
            value.pop("elapsed_seconds", None)
    digest = hashlib.sha256(out.read_bytes())
    digest.update(json.dumps(report, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def test_within_only_run_writes_what_it_wrote_before(run_cli, tmp_path: Path) -> None:
    assert within_only_digest(run_cli, tmp_path) == DIGEST_WITHIN_ONLY


if __name__ == "__main__":
    documents = identity_corpus()
    print("subset", result_digest(documents[::10]), file=sys.stderr)
    print("all", result_digest(documents), file=sys.stderr)
