"""Finding input files and decoding them losslessly: discover, decode_bytes, read_file, read_text_input."""
from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest

from dedup.errors import InputError
import dedup.read.files as files_module
from dedup.read.files import InputFile, decode_bytes, discover, read_file, read_text_input

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


def refuse_to_open(monkeypatch, name: str) -> None:
    """Make opening ``name`` fail as for a file without read permission (tests run as root)."""
    real_open = os.open

    def fake_open(path, flags, *args, **kwargs):
        if os.fspath(path).endswith(name):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)


def test_read_file_permission_denied(tmp_path, monkeypatch) -> None:
    (tmp_path / "locked.txt").write_bytes(b"Private.\n")
    refuse_to_open(monkeypatch, "locked.txt")
    with pytest.raises(InputError) as info:
        read_file(InputFile(tmp_path / "locked.txt", "locked.txt"))
    assert info.value.path == str(tmp_path / "locked.txt")
    assert "permission denied" in info.value.reason


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_read_file_without_read_permission(tmp_path) -> None:
    (tmp_path / "locked.txt").write_bytes(b"Private.\n")
    (tmp_path / "locked.txt").chmod(0)
    with pytest.raises(InputError) as info:
        read_file(InputFile(tmp_path / "locked.txt", "locked.txt"))
    assert info.value.reason == "permission denied"


def test_read_file_binary(tmp_path) -> None:
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError) as info:
        read_file(InputFile(tmp_path / "photo.txt", "photo.txt"))
    assert "binary" in info.value.reason


# --- inputs that are not plain readable files -------------------------------------------------


@pytest.fixture
def no_hang():
    """Fail a test in 10 s instead of hanging forever on a FIFO."""

    def give_up(signum, frame):
        raise TimeoutError("blocked: a FIFO or device was opened for reading")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def only_error(found) -> InputError:
    (error,) = found.errors
    assert isinstance(error, InputError)
    assert "\n" not in str(error)
    return error


def test_discover_symlink_loop_in_a_folder_is_an_error_and_the_rest_is_found(tmp_path) -> None:
    root = make_tree(tmp_path / "news", {"council.txt": b"Council.\n"})
    (root / "loop.txt").symlink_to(root / "loop.txt")
    (root / "ping.txt").symlink_to(root / "pong.txt")
    (root / "pong.txt").symlink_to(root / "ping.txt")
    found = discover([root])
    assert ids(found) == ["council.txt"]
    assert [e.path for e in found.errors] == [str(root / n) for n in ("loop.txt", "ping.txt", "pong.txt")]
    assert all(e.reason == "cannot read (symlink loop)" for e in found.errors)


def test_discover_symlink_loop_given_directly_is_an_error(tmp_path) -> None:
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    (tmp_path / "good.txt").write_bytes(b"Good.\n")
    found = discover([tmp_path / "loop.txt", tmp_path / "good.txt"])
    assert ids(found) == ["good.txt"]
    error = only_error(found)
    assert error.path == str(tmp_path / "loop.txt")
    assert error.reason == "cannot read (symlink loop)"


def test_discover_broken_symlink_in_a_folder_is_an_error(tmp_path) -> None:
    root = make_tree(tmp_path / "news", {"council.txt": b"Council.\n"})
    (root / "x.txt").symlink_to(root / "deleted.txt")
    found = discover([root])
    assert ids(found) == ["council.txt"]
    assert only_error(found).reason == "cannot read (broken symlink)"


def test_discover_file_name_that_is_not_utf8_keeps_its_bytes(tmp_path) -> None:
    name = os.fsdecode(b"caf\xe9.txt")
    root = make_tree(tmp_path / "news", {name: b"Caf\xc3\xa9 au lait.\n", "tea.txt": b"Tea.\n"})
    found = discover([root])
    assert ids(found) == ["caf\udce9.txt", "tea.txt"]
    assert os.fsencode(found.files[0].id) == b"caf\xe9.txt"
    assert (tmp_path / "out" / found.files[0].id).parent.mkdir(parents=True) is None
    (tmp_path / "out" / found.files[0].id).write_bytes(b"written")  # usable as an output file name
    assert b"caf\xe9.txt" in os.listdir(os.fsencode(tmp_path / "out"))
    doc = read_file(found.files[0])
    assert doc.text == "Café au lait.\n"
    assert doc.source == str(root / name)


def test_discover_fifo_in_a_folder_is_an_error_and_is_not_opened(tmp_path, no_hang) -> None:
    root = make_tree(tmp_path / "news", {"council.txt": b"Council.\n"})
    os.mkfifo(root / "pipe.txt")
    found = discover([root])
    assert ids(found) == ["council.txt"]
    error = only_error(found)
    assert error.path == str(root / "pipe.txt")
    assert error.reason == "not a regular file (FIFO), skipped"


def test_discover_fifo_given_directly_is_an_error(tmp_path, no_hang) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    assert only_error(discover([tmp_path / "pipe.txt"])).reason == "not a regular file (FIFO), skipped"


def test_discover_socket_in_a_folder_is_an_error(tmp_path) -> None:
    root = make_tree(tmp_path / "s", {"council.txt": b"Council.\n"})  # short: a socket path has a length limit
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(root / "sock.txt"))
    except OSError:
        pytest.skip("cannot create a Unix socket here")
    try:
        assert only_error(discover([root])).reason == "not a regular file (socket), skipped"
    finally:
        server.close()


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_discover_device_given_directly_is_an_error(device, no_hang) -> None:
    error = only_error(discover([device]))
    assert error.path == device
    assert error.reason == "not a regular file (character device), skipped"


def test_discover_other_special_files_in_a_folder_are_ignored(tmp_path, no_hang) -> None:
    root = make_tree(tmp_path / "news", {"council.txt": b"Council.\n"})
    os.mkfifo(root / "pipe")  # not a text-file name: ignored like page.html
    (root / "loop.html").symlink_to(root / "loop.html")
    found = discover([root])
    assert ids(found) == ["council.txt"] and found.errors == ()


def test_discover_unreadable_subfolder_is_an_error(tmp_path, monkeypatch) -> None:
    root = make_tree(tmp_path / "news", {"council.txt": b"Council.\n", "private/diary.txt": b"Diary.\n"})
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path).endswith("private"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = discover([root])
    assert ids(found) == ["council.txt"]
    error = only_error(found)
    assert error.path == str(root / "private")
    assert error.reason == "cannot read folder (Permission denied), skipped"


def test_discover_folder_named_like_a_text_file_is_searched(tmp_path) -> None:
    root = make_tree(tmp_path / "notes.txt", {"monday.txt": b"Monday.\n"})
    make_tree(tmp_path / "news", {"archive.txt/old.txt": b"Old.\n"})
    assert ids(discover([root])) == ["monday.txt"]
    assert ids(discover([tmp_path / "news"])) == ["archive.txt/old.txt"]


def test_discover_never_raises(tmp_path, monkeypatch) -> None:
    def broken_walk(*args, **kwargs):
        raise RuntimeError("something nobody thought of\nsecond line")

    root = make_tree(tmp_path / "news", {"council.txt": b"Council.\n"})
    monkeypatch.setattr(os, "walk", broken_walk)
    error = only_error(discover([root]))
    assert error.path == str(root)
    assert error.reason == "cannot search (RuntimeError: something nobody thought of), skipped"


def test_read_file_fifo_does_not_block(tmp_path, no_hang) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(InputError) as info:
        read_file(InputFile(tmp_path / "pipe.txt", "pipe.txt"))
    assert info.value.reason == "not a regular file (FIFO), skipped"


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_read_file_device_is_refused(device, no_hang) -> None:
    with pytest.raises(InputError) as info:
        read_file(InputFile(Path(device), "device.txt"))
    assert info.value.reason == "not a regular file (character device), skipped"


def test_read_file_symlink_loop(tmp_path) -> None:
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    with pytest.raises(InputError) as info:
        read_file(InputFile(tmp_path / "loop.txt", "loop.txt"))
    assert info.value.reason == "cannot read (symlink loop)"


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="needs Linux /proc")
def test_read_file_whose_stat_size_lies_is_still_bounded() -> None:
    assert os.stat("/proc/self/maps").st_size == 0
    with pytest.raises(InputError) as info:
        read_file(InputFile(Path("/proc/self/maps"), "maps"), max_bytes=50)
    assert info.value.reason == "file too large (more than the limit of 50 bytes), skipped"


def test_read_file_reads_no_more_than_the_limit_plus_one(tmp_path, monkeypatch) -> None:
    (tmp_path / "big.txt").write_bytes(b"x" * 1_000_000)
    real_fstat, real_open_regular = os.fstat, files_module.open_regular
    read = []

    def lying_fstat(fd):  # a size of 0, as /proc and devices report
        st = real_fstat(fd)
        return os.stat_result((st.st_mode, *st[1:6], 0, *st[7:]))

    def counting_open(path):
        stream = real_open_regular(path)
        real_read = stream.read
        stream.read = lambda n=-1: read.append(len(chunk := real_read(n))) or chunk  # type: ignore[method-assign]
        return stream

    monkeypatch.setattr(files_module, "open_regular", counting_open)
    monkeypatch.setattr(os, "fstat", lying_fstat)
    with pytest.raises(InputError):
        read_file(InputFile(tmp_path / "big.txt", "big.txt"), max_bytes=1000)
    assert sum(read) == 1001


# --- UTF-16 and UTF-32 --------------------------------------------------------------------------


TEXT = "The council met on Tuesday.\r\nIt agreed the budget.\r\n"


@pytest.mark.parametrize(
    "data,encoding",
    [
        (b"\xff\xfe" + TEXT.encode("utf-16-le"), "UTF-16"),
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "UTF-16"),
        (TEXT.encode("utf-16-le"), "UTF-16"),
        (TEXT.encode("utf-16-be"), "UTF-16"),
        ("東京の天気は晴れです。".encode("utf-16"), "UTF-16"),  # BOM, and no NUL byte at all
        (TEXT.encode("utf-32"), "UTF-32"),
    ],
    ids=["le-bom", "be-bom", "le-no-bom", "be-no-bom", "japanese-bom", "utf-32-bom"],
)
def test_decode_names_utf16_instead_of_calling_it_binary(data, encoding) -> None:
    with pytest.raises(InputError) as info:
        decode_bytes("a.txt", data, "in/a.txt")
    assert info.value.reason == f"{encoding} text is not supported (convert to UTF-8), skipped"


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 8,  # NULs, but not every other byte
        b"\x01\x00\x02\x00\x03\x00\x04\x00" * 100,  # NUL every other byte, but control characters
        TEXT.encode("utf-32-le"),  # NUL three bytes in four: binary, not UTF-16
    ],
    ids=["all-bytes", "int16-array", "utf-32-no-bom"],
)
def test_decode_binary_that_only_resembles_utf16_is_binary(data) -> None:
    with pytest.raises(InputError) as info:
        decode_bytes("a.txt", data, "a.txt")
    assert "binary" in info.value.reason


def test_decode_odd_length_after_a_utf16_bom_is_kept_as_invalid_utf8() -> None:
    data = b"\xff\xfeOdd"
    doc = decode_bytes("a.txt", data, "a.txt")
    assert doc.invalid_utf8_at == 0 and doc.encode() == data


# --- the one guarded read ----------------------------------------------------------------------


def test_read_text_input_turns_any_failure_into_an_error(tmp_path, monkeypatch) -> None:
    (tmp_path / "a.txt").write_bytes(b"Fine.\n")

    def surprise(*args):
        raise LookupError("unknown codec\nmore detail")

    monkeypatch.setattr(files_module, "decode_bytes", surprise)
    error = read_text_input(InputFile(tmp_path / "a.txt", "a.txt"))
    assert isinstance(error, InputError)
    assert str(error) == f"{tmp_path / 'a.txt'}: cannot read (LookupError: unknown codec), skipped"


def test_read_text_input_lets_an_interrupt_through(tmp_path, monkeypatch) -> None:
    (tmp_path / "a.txt").write_bytes(b"Fine.\n")

    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(files_module, "decode_bytes", interrupt)
    with pytest.raises(KeyboardInterrupt):
        read_text_input(InputFile(tmp_path / "a.txt", "a.txt"))


def test_read_text_input_gives_the_document_or_the_error(tmp_path) -> None:
    (tmp_path / "a.txt").write_bytes(b"Fine.\n")
    assert read_text_input(InputFile(tmp_path / "a.txt", "a.txt")).text == "Fine.\n"
    assert isinstance(read_text_input(InputFile(tmp_path / "gone.txt", "gone.txt")), InputError)


def test_error_for_a_file_name_with_a_newline_is_one_line(tmp_path) -> None:
    (tmp_path / "two\nlines.txt").write_bytes(b"\x00binary")
    (error,) = [read_text_input(f) for f in discover([tmp_path]).files]
    assert str(error) == f"{tmp_path}/two\\nlines.txt: binary file (contains NUL bytes), skipped"
