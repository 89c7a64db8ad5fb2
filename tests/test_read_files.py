"""Finding input files and decoding them losslessly: discover, decode_bytes, read_file."""
from __future__ import annotations

from pathlib import Path

import pytest

from dedup.errors import InputError
from dedup.read.files import InputFile, decode_bytes, discover, read_file

BOM = b"\xef\xbb\xbf"


def make_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def ids(found) -> list[str]:
    return [f.id for f in found.files]


# --- discover -------------------------------------------------------------------------------


def test_discover_folder_ids_are_relative_paths_in_order(tmp_path, paragraphs) -> None:
    text = paragraphs[0].encode() + b"\n"
    root = make_tree(tmp_path / "news", {
        "zebra.txt": text, "apple.md": text, "2024/may/council.txt": text,
        "2024/april/harvest.md": text, "2023/old.txt": text,
    })
    found = discover([root])
    assert ids(found) == ["2023/old.txt", "2024/april/harvest.md", "2024/may/council.txt", "apple.md", "zebra.txt"]
    assert [f.path for f in found.files] == [root / i for i in ids(found)]
    assert found.errors == () and found.warnings == ()
    assert ids(discover([root])) == ids(found)  # the same every time


def test_discover_skips_other_and_hidden_files(tmp_path) -> None:
    root = make_tree(tmp_path / "site", {
        "story.txt": b"Story.\n", "NOTES.MD": b"Notes.\n", "page.html": b"<p>Page</p>\n",
        "data.json": b"{}", "story.txt.bak": b"Old.\n", ".draft.txt": b"Draft.\n",
        ".git/description.txt": b"Repository.\n", "drafts/.hidden/secret.md": b"Secret.\n",
        "drafts/idea.md": b"Idea.\n",
    })
    assert ids(discover([root])) == ["NOTES.MD", "drafts/idea.md", "story.txt"]


def test_discover_a_file_given_directly_is_named_by_its_name(tmp_path) -> None:
    root = make_tree(tmp_path / "news", {"2024/council.txt": b"Council.\n"})
    found = discover([root / "2024" / "council.txt"])
    assert found.files == (InputFile(root / "2024" / "council.txt", "council.txt"),)


def test_discover_several_folders_prefix_ids_with_the_folder_name(tmp_path) -> None:
    make_tree(tmp_path, {"monday/news.txt": b"Monday.\n", "tuesday/news.txt": b"Tuesday.\n"})
    found = discover([tmp_path / "monday", tmp_path / "tuesday"])
    assert ids(found) == ["monday/news.txt", "tuesday/news.txt"]


def test_discover_ids_stay_unique_for_folders_with_the_same_name(tmp_path) -> None:
    make_tree(tmp_path, {"a/news/today.txt": b"A.\n", "b/news/today.txt": b"B.\n"})
    found = discover([tmp_path / "a" / "news", tmp_path / "b" / "news"])
    assert len(set(ids(found))) == 2
    assert [f.path for f in found.files] == [tmp_path / "a/news/today.txt", tmp_path / "b/news/today.txt"]


def test_discover_missing_path_is_an_error_and_the_rest_is_found(tmp_path) -> None:
    root = make_tree(tmp_path / "news", {"council.txt": b"Council.\n"})
    missing = tmp_path / "gone.txt"
    found = discover([missing, root])
    assert ids(found) == ["news/council.txt"]
    (error,) = found.errors
    assert isinstance(error, InputError)
    assert error.path == str(missing)
    assert str(missing) in str(error)


def test_discover_same_file_twice_is_found_once_with_a_warning(tmp_path) -> None:
    root = make_tree(tmp_path / "news", {"council.txt": b"Council.\n", "harvest.txt": b"Harvest.\n"})
    found = discover([root, root / "council.txt", root / "." / "council.txt"])
    assert sorted(f.path.name for f in found.files) == ["council.txt", "harvest.txt"]
    assert len(found.warnings) == 2
    assert all("council.txt" in w for w in found.warnings)
    assert found.errors == ()


# --- decode_bytes ---------------------------------------------------------------------------


def test_decode_plain_utf8(paragraphs) -> None:
    data = (paragraphs[0] + "\n\n東京の天気は晴れです。\n").encode()
    doc = decode_bytes("a.txt", data, "in/a.txt")
    assert (doc.id, doc.source) == ("a.txt", "in/a.txt")
    assert doc.text == data.decode()
    assert doc.bom is False
    assert doc.invalid_utf8_at is None


def test_decode_remembers_the_bom_and_keeps_crlf(paragraphs) -> None:
    data = BOM + (paragraphs[0] + "\r\n\r\n" + paragraphs[1] + "\r\n").encode()
    doc = decode_bytes("a.txt", data, "a.txt")
    assert doc.bom is True
    assert doc.text == data[3:].decode()
    assert not doc.text.startswith("\ufeff")
    assert doc.text.count("\r\n") == 3
    assert doc.invalid_utf8_at is None


@pytest.mark.parametrize(
    "data,at",
    [
        (b"Caf\xe9 au lait.\n", 3),
        ("東京の天気".encode()[:-1], 12),
        (b"Fine line.\nSecond \xff line.\n", 18),
        (BOM + b"Caf\xe9.\n", 6),  # a byte offset in the file, BOM included
        (b"\x80", 0),
    ],
    ids=["latin-1", "truncated-multibyte-at-end", "stray-byte", "after-bom", "first-byte"],
)
def test_decode_reports_the_byte_offset_of_invalid_utf8(data, at) -> None:
    doc = decode_bytes("a.txt", data, "a.txt")
    assert doc.invalid_utf8_at == at
    assert doc.encode() == data


def test_decode_keeps_invalid_bytes_as_one_character_each() -> None:
    doc = decode_bytes("a.txt", b"Caf\xe9 \xe6\x97.", "a.txt")
    assert doc.text == "Caf\udce9 \udce6\udc97."
    assert len(doc.text) == 8


@pytest.mark.parametrize("data", [b"\x00", b"Plain text\x00with a NUL byte.\n", BOM + b"PK\x03\x04\x00\x00"])
def test_decode_refuses_binary_data(data) -> None:
    with pytest.raises(InputError) as info:
        decode_bytes("a.bin.txt", data, "in/a.bin.txt")
    assert info.value.path == "in/a.bin.txt"
    assert "binary" in info.value.reason


def test_decode_looks_for_nul_bytes_only_at_the_start() -> None:
    data = b"a" * 65536 + b"\x00"
    doc = decode_bytes("a.txt", data, "a.txt")
    assert doc.encode() == data


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"No final newline",
        BOM,
        BOM + b"Title\r\n\r\nBody line one.\r\nBody line two.\r\n",
        b"Old Mac\rline endings\r",
        b"Mixed\r\nendings\nhere\r",
        BOM + b"Caf\xe9\r\n\xff\xfe\r\n",
        "見出し\n\n本文です。\n".encode() + b"\xe3\x81",
        b"\xef\xbb",  # half a BOM: invalid, not a BOM
        BOM + BOM + b"Two BOMs.\n",
    ],
    ids=["empty", "no-final-newline", "bom-only", "bom-crlf", "cr", "mixed", "bom-crlf-invalid",
         "japanese-truncated", "half-bom", "double-bom"],
)
def test_encode_gives_back_the_exact_bytes(data) -> None:
    assert decode_bytes("a.txt", data, "a.txt").encode() == data


def test_encode_writes_cleaned_text_with_the_same_bom_and_bytes(paragraphs) -> None:
    kept = BOM + paragraphs[0].encode() + b"\r\n\r\nCaf\xe9.\r\n"
    doc = decode_bytes("a.txt", kept + paragraphs[1].encode() + b"\r\n", "a.txt")
    cleaned = doc.text[: len(doc.text) - len(paragraphs[1]) - 2]
    assert doc.encode(cleaned) == kept


# --- read_file ------------------------------------------------------------------------------


def test_read_file(tmp_path, paragraphs) -> None:
    data = BOM + (paragraphs[0] + "\r\n").encode()
    (tmp_path / "a.txt").write_bytes(data)
    doc = read_file(InputFile(tmp_path / "a.txt", "news/a.txt"))
    assert doc.id == "news/a.txt"
    assert doc.source == str(tmp_path / "a.txt")
    assert doc.bom and doc.text == paragraphs[0] + "\r\n"
    assert doc.encode() == data


def test_read_file_at_the_size_limit_and_over_it(tmp_path) -> None:
    (tmp_path / "a.txt").write_bytes(b"x" * 100)
    item = InputFile(tmp_path / "a.txt", "a.txt")
    assert read_file(item, max_bytes=100).text == "x" * 100
    with pytest.raises(InputError) as info:
        read_file(item, max_bytes=99)
    assert info.value.path == str(tmp_path / "a.txt")
    assert "too large" in info.value.reason


def test_read_file_missing(tmp_path) -> None:
    with pytest.raises(InputError) as info:
        read_file(InputFile(tmp_path / "gone.txt", "gone.txt"))
    assert info.value.path == str(tmp_path / "gone.txt")


def test_read_file_broken_symlink(tmp_path) -> None:
    (tmp_path / "x.txt").symlink_to(tmp_path / "nowhere.txt")
    with pytest.raises(InputError) as info:
        read_file(InputFile(tmp_path / "x.txt", "x.txt"))
    assert "x.txt" in str(info.value)


def test_read_file_folder_named_like_a_file(tmp_path) -> None:
    (tmp_path / "notes.txt").mkdir()
    with pytest.raises(InputError) as info:
        read_file(InputFile(tmp_path / "notes.txt", "notes.txt"))
    assert "folder" in info.value.reason


def test_read_file_permission_denied(tmp_path, monkeypatch) -> None:
    (tmp_path / "locked.txt").write_bytes(b"Private.\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(InputError) as info:
        read_file(InputFile(tmp_path / "locked.txt", "locked.txt"))
    assert info.value.path == str(tmp_path / "locked.txt")
    assert "permission denied" in info.value.reason


def test_read_file_binary(tmp_path) -> None:
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError) as info:
        read_file(InputFile(tmp_path / "photo.txt", "photo.txt"))
    assert "binary" in info.value.reason
