"""Open a source file given as a local path or an http(s) URL, maybe compressed, as a stream of bytes or lines.

The public dumps come as plain files, `.gz`, `.bz2`, `.xz` or `.zip` archives (GeoNames ships `cities500.zip`
holding `cities500.txt`). Every reader goes through here, so each of them accepts all of these forms and never
holds a whole file in memory: gzip, bz2 and xz decompress as a stream, even from a URL. Zip archives need random
access, so a zipped URL is first copied to a temporary file (streamed to disk, not to memory).
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import os
import queue
import shutil
import tempfile
import threading
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar
from urllib.parse import unquote

from tqdm import tqdm

from data_builders.gazetteer.report import BuildReport
from georeset.errors import BadInputError

PathOrUrl = str | os.PathLike
T = TypeVar("T")

COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zip")
_DECOMPRESSORS: dict[str, Callable[[BinaryIO], BinaryIO]] = {
    ".gz": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    ".bz2": lambda raw: bz2.BZ2File(raw, mode="rb"),
    ".xz": lambda raw: lzma.LZMAFile(raw, mode="rb"),
}
# What a broken compressed stream or download raises while it is read.
STREAM_ERRORS = (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)
# Lines between progress-bar updates: updating tqdm on every line would cost more than the parsing.
_PROGRESS_EVERY = 1 << 16


def is_url(path_or_url: PathOrUrl) -> bool:
    """Whether the argument is an http(s) or ftp URL rather than a local path."""
    return str(path_or_url).lower().startswith(("http://", "https://", "ftp://"))


def source_name(path_or_url: PathOrUrl) -> str:
    """The file name without folders, query string or compression suffixes (`cities500.zip` -> `cities500`)."""
    name = str(path_or_url).split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    name = name.rsplit(os.sep, 1)[-1]
    for suffix in COMPRESSION_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _compression(path_or_url: PathOrUrl) -> str:
    name = str(path_or_url).split("?", 1)[0].lower()
    for suffix in COMPRESSION_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return ""


def _open_url(url: str) -> BinaryIO:
    try:
        return urllib.request.urlopen(url, timeout=60)  # noqa: S310 (the user chose the URL)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise BadInputError(f"{url}: cannot be downloaded ({error})") from error


def _open_local(path: PathOrUrl) -> BinaryIO:
    path = Path(path).expanduser()
    if not path.is_file():
        raise BadInputError(f"{path}: no such file")
    return open(path, "rb")


@contextlib.contextmanager
def local_copy(path_or_url: PathOrUrl) -> Iterator[Path]:
    """A local path for the source: the path itself, or a temporary download of a URL (removed afterwards).

    For readers whose library needs a real file (zip archives, pyosmium's two-pass area assembly, shapefiles).
    """
    if not is_url(path_or_url):
        path = Path(path_or_url).expanduser()
        if not path.exists():
            raise BadInputError(f"{path}: no such file")
        yield path
        return
    name = str(path_or_url).split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "download"
    with tempfile.TemporaryDirectory(prefix="georeset-download-") as folder:
        target = Path(folder) / name
        try:
            with _open_url(str(path_or_url)) as response, open(target, "wb") as out:
                shutil.copyfileobj(response, out, length=1 << 20)
        except OSError as error:  # the connection broke, or the disk is full
            raise BadInputError(f"{path_or_url}: the download failed ({error})") from error
        yield target


def _zip_member(archive: zipfile.ZipFile, where: str, member: str | None) -> str:
    names = [info.filename for info in archive.infolist() if not info.is_dir()]
    if member is not None:
        matches = [name for name in names if name == member or name.rsplit("/", 1)[-1] == member]
        if not matches:
            raise BadInputError(f"{where}: the archive holds no member {member!r} (it holds {names[:10]})")
        return matches[0]
    # The official archives hold one data file and sometimes a readme: take the data file.
    data = [name for name in names if not name.lower().rsplit("/", 1)[-1].startswith(("readme", "license"))]
    if not data:
        raise BadInputError(f"{where}: the archive is empty")
    return data[0]


@contextlib.contextmanager
def open_binary(path_or_url: PathOrUrl, *, member: str | None = None) -> Iterator[BinaryIO]:
    """Open a local path or URL as a decompressed binary stream.

    Args:
        path_or_url: a file path or an http(s) URL; `.gz`, `.bz2`, `.xz` and `.zip` are decompressed.
        member: for a zip archive, the member to read (default: its one data file, skipping readmes).

    Raises:
        BadInputError: the file is missing, the URL does not answer, or the archive is not what its name says.
    """
    compression = _compression(path_or_url)
    if compression == ".zip":
        with local_copy(path_or_url) as path:
            try:
                archive = zipfile.ZipFile(path)
            except zipfile.BadZipFile as error:
                raise BadInputError(f"{path_or_url}: not a valid zip archive ({error})") from error
            with archive, archive.open(_zip_member(archive, str(path_or_url), member)) as stream:
                yield stream
        return
    raw = _open_url(str(path_or_url)) if is_url(path_or_url) else _open_local(path_or_url)
    with raw:
        decompress = _DECOMPRESSORS.get(compression)
        if decompress is None:
            yield raw
            return
        with decompress(raw) as stream:
            yield stream


def wikipedia_title(url: str) -> tuple[str, str] | None:
    """("en", "Saint Petersburg") from "https://en.wikipedia.org/wiki/Saint_Petersburg"; None for other URLs."""
    head, sep, title = url.partition(".wikipedia.org/wiki/")
    if not sep or not title:
        return None
    lang = head.rsplit("/", 1)[-1]
    return lang, unquote(title.split("#", 1)[0]).replace("_", " ")


def _size(path_or_url: PathOrUrl) -> int | None:
    if is_url(path_or_url):
        return None
    try:
        return Path(path_or_url).expanduser().stat().st_size
    except OSError:
        return None


def iter_lines(
    path_or_url: PathOrUrl,
    report: BuildReport,
    source: str,
    *,
    member: str | None = None,
    progress: bool = False,
) -> Iterator[str]:
    """Yield the text lines of a source (without line ends), decoding UTF-8 line by line.

    A line that is not valid UTF-8 is decoded as cp1252 (latin-1 for bytes cp1252 lacks), the encoding such files
    usually carry when they are not UTF-8, and counted as repaired; the rest of the file is unaffected.

    Args:
        path_or_url: the file (see `open_binary`).
        report: where repaired encodings are counted.
        source: the source name for the report ("geonames", "wikidata").
        member: the zip member to read.
        progress: show a tqdm bar (in compressed bytes when the size is known).
    """
    size = _size(path_or_url) if _compression(path_or_url) != ".zip" else None
    bar = (
        tqdm(total=size, unit="B", unit_scale=True, desc=source_name(path_or_url), leave=False)
        if progress
        else None
    )
    with open_binary(path_or_url, member=member) as stream:
        buffered = stream if isinstance(stream, io.BufferedIOBase) else io.BufferedReader(stream)
        position = _position_function(stream)
        for number, raw_line in enumerate(guarded(buffered, path_or_url, report, source, STREAM_ERRORS), 1):
            try:
                line = raw_line.decode("utf-8")
            except UnicodeDecodeError:
                line = _decode_legacy(raw_line)
                report.repair(
                    source, "line not valid UTF-8, decoded as cp1252", f"line {number}: {line[:120]}"
                )
            yield line.rstrip("\r\n")
            if bar is not None and number % _PROGRESS_EVERY == 0:
                _advance(bar, position, number)
    if bar is not None:
        bar.close()


def iter_text_blocks(
    path_or_url: PathOrUrl,
    report: BuildReport,
    source: str,
    *,
    block_bytes: int = 1 << 24,
    member: str | None = None,
    progress: bool = False,
) -> Iterator[tuple[int, str]]:
    """Yield (number of the block's first line, text of whole lines) blocks of a source, for columnar readers.

    The same contract as `iter_lines`, a block at a time: lines end with "\\n" (a last line without one is
    completed), a line that is not valid UTF-8 is decoded as cp1252 and counted as repaired, and a stream that
    breaks after some data keeps the whole lines read so far and counts the break as rejected (before any data:
    a BadInputError).

    Args:
        path_or_url: the file (see `open_binary`).
        report: where repaired encodings and breaks are counted.
        source: the source name for the report.
        block_bytes: decompressed bytes per block (about).
        member: the zip member to read.
        progress: show a tqdm bar.
    """
    size = _size(path_or_url) if _compression(path_or_url) != ".zip" else None
    bar = (
        tqdm(total=size, unit="B", unit_scale=True, desc=source_name(path_or_url), leave=False)
        if progress
        else None
    )
    first_line = 1
    with open_binary(path_or_url, member=member) as stream:
        position = _position_function(stream)
        read_some = getattr(stream, "read1", stream.read)
        pending = b""
        broken: BaseException | None = None
        while True:
            pieces = [pending]
            read = len(pending)
            try:
                while read < block_bytes:
                    # Small reads: a stream that breaks loses at most one piece, not a whole block.
                    piece = read_some(min(1 << 20, block_bytes))
                    if not piece:
                        break
                    pieces.append(piece)
                    read += len(piece)
            except STREAM_ERRORS as error:
                broken = error
            data = b"".join(pieces)
            if broken is not None:
                cut = data.rfind(b"\n") + 1
                data = data[:cut]
                if not data and first_line == 1:
                    raise BadInputError(
                        f"{path_or_url}: cannot be read ({type(broken).__name__}: {broken})"
                    ) from broken
                pending = b""
            elif read >= block_bytes:
                cut = data.rfind(b"\n") + 1 or len(data)
                data, pending = data[:cut], data[cut:]
            else:  # the end of the stream
                pending = b""
                if data and not data.endswith(b"\n"):
                    data += b"\n"
            if data:
                text = _decode_block(data, first_line, report, source)
                yield first_line, text
                first_line += data.count(b"\n")
            if bar is not None:
                _advance(bar, position, first_line)
            if broken is not None:
                report.reject(
                    source,
                    "file truncated or corrupt: the rest is unreadable",
                    f"after item {first_line - 1}: {broken}",
                )
                break
            if not data and not pending:
                break
    if bar is not None:
        bar.close()


def _decode_block(data: bytes, first_line: int, report: BuildReport, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lines = []
    for number, raw_line in enumerate(data.split(b"\n"), first_line):
        try:
            lines.append(raw_line.decode("utf-8"))
        except UnicodeDecodeError:
            line = _decode_legacy(raw_line)
            report.repair(source, "line not valid UTF-8, decoded as cp1252", f"line {number}: {line[:120]}")
            lines.append(line)
    return "\n".join(lines)


def prefetched(make: Callable[[], Iterator[T]], depth: int = 2) -> Iterator[T]:
    """The items of the generator `make()`, produced in a background thread up to `depth` ahead of the consumer.

    For readers whose work is mostly in C (decompression, Arrow compute kernels release the GIL): reading the
    next block overlaps with what the consumer does with this one, on a second core. Errors of the producer are
    raised in the consumer; a consumer that stops early stops the producer at its next item.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            with contextlib.closing(make()) as produced:  # an early stop still runs its cleanup, here
                for item in produced:
                    while not stop.is_set():
                        try:
                            items.put((item, None), timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
            items.put((done, None))
        except BaseException as error:  # noqa: BLE001 (handed to the consumer, which raises it)
            items.put((done, error))

    thread = threading.Thread(target=produce, name="prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, error = items.get()
            if item is done:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting to put
            try:
                items.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()


def guarded(
    items: Iterable[T],
    path_or_url: PathOrUrl,
    report: BuildReport,
    source: str,
    errors: tuple[type[BaseException], ...],
    problem: str = "cannot be read",
) -> Iterator[T]:
    """The items of a reader that may break (truncated download, corrupt archive), ending with a clear note.

    Broken before its first item, the file is not what its name says: a BadInputError "<path>: <problem> (...)".
    Broken later, the items read so far stand and the break is counted as rejected, like any other bad row.
    """
    count = 0
    try:
        for count, item in enumerate(items, 1):  # noqa: B007 (count is used after the loop)
            yield item
    except errors as error:
        if count == 0:
            raise BadInputError(f"{path_or_url}: {problem} ({type(error).__name__}: {error})") from error
        report.reject(
            source, "file truncated or corrupt: the rest is unreadable", f"after item {count}: {error}"
        )


def _decode_legacy(raw_line: bytes) -> str:
    try:
        return raw_line.decode("cp1252")
    except UnicodeDecodeError:
        return raw_line.decode("latin-1")


def _position_function(stream: BinaryIO) -> Callable[[], int] | None:
    # Compressed readers expose the compressed offset through their underlying file object.
    inner = getattr(stream, "fileobj", None) or getattr(stream, "_fp", None) or stream
    tell = getattr(inner, "tell", None)
    if tell is None:
        return None
    try:
        tell()
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return tell


def _advance(bar: tqdm, position: Callable[[], int] | None, lines: int) -> None:
    if position is not None and bar.total:
        with contextlib.suppress(OSError, ValueError):
            bar.n = position()
    else:
        bar.n = lines
    bar.refresh()


__all__ = [
    "COMPRESSION_SUFFIXES",
    "STREAM_ERRORS",
    "wikipedia_title",
    "guarded",
    "PathOrUrl",
    "is_url",
    "source_name",
    "local_copy",
    "open_binary",
    "iter_lines",
    "iter_text_blocks",
    "prefetched",
]
