"""Reading one landing CSV: its encoding, its header, and a UTF-8 path DuckDB can scan."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20
_BOM = codecs.BOM_UTF8


class UnreadableFile(ValueError):
    """The file cannot be read as CSV in an accepted encoding; the message says why."""


@dataclass(frozen=True)
class Sniffed:
    encoding: str  # "utf-8", "utf-8-sig" or "cp1252"
    checksum: str  # sha256 of the bytes as received
    size: int
    header: list[str] | None  # None for a zero-byte file
    has_data_rows: bool  # False when nothing but the header (and blank lines) follows it


def sniff(path: Path) -> Sniffed:
    """One pass over the bytes: checksum, and whether they are valid UTF-8."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    pending = False  # the decoder holds the start of a multi-byte sequence from the last chunk
    size = 0
    with path.open("rb") as handle:
        first = handle.read(_CHUNK)
        chunk = first
        while chunk:
            digest.update(chunk)
            size += len(chunk)
            # An ASCII chunk is valid UTF-8 and needs no decoding (isascii is several times
            # faster than decode), unless the previous chunk ended inside a multi-byte
            # sequence: then the decoder must see this chunk to reject it.
            if utf8_ok and (pending or not chunk.isascii()):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
                pending = bool(decoder.getstate()[0])
            chunk = handle.read(_CHUNK)
    if utf8_ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    if utf8_ok:
        encoding = "utf-8-sig" if first.startswith(_BOM) else "utf-8"
    else:
        encoding = "cp1252"
        _check_cp1252(path)
    header = _read_header(first, encoding) if size else None
    has_data_rows = header is not None and (size > len(first) or _rows_follow_header(first, encoding))
    return Sniffed(encoding, digest.hexdigest(), size, header, has_data_rows)


def _check_cp1252(path: Path) -> None:
    decoder = codecs.getincrementaldecoder("cp1252")()
    offset = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise UnreadableFile(
                    f"byte 0x{chunk[exc.start]:02X} at offset {offset + exc.start} is neither "
                    "UTF-8 nor Windows-1252: save the file as UTF-8 CSV"
                ) from exc
            offset += len(chunk)


def _read_header(first_chunk: bytes, encoding: str) -> list[str]:
    text = first_chunk.decode(encoding, errors="ignore")
    try:
        header = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        raise UnreadableFile(f"header row cannot be parsed as CSV: {exc}") from exc
    if not any(name.strip() for name in header):
        raise UnreadableFile("the first line is not a header row (it is empty)")
    return header


def _rows_follow_header(whole_file: bytes, encoding: str) -> bool:
    """Whether a file read whole holds a record after its header (blank lines are none)."""
    records = csv.reader(io.StringIO(whole_file.decode(encoding, errors="replace"), newline=""))
    try:
        next(records, None)
        return any(record for record in records)
    except csv.Error:
        return True  # DuckDB will read it, and say what is wrong


def utf8_copy(path: Path, encoding: str, workdir: Path) -> Path:
    """DuckDB reads UTF-8 (with or without BOM); a Windows-1252 file is transcoded first."""
    if encoding != "cp1252":
        return path
    target = Path(tempfile.mkstemp(suffix=".csv", dir=workdir)[1])
    with (
        path.open("r", encoding="cp1252", newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        for chunk in iter(lambda: src.read(_CHUNK), ""):
            dst.write(chunk)
    return target
