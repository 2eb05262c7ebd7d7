"""Writing landing files: text CSV in any accepted encoding, and fast streamed SUS extracts."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv

BOM = b"\xef\xbb\xbf"


@dataclass
class WrittenFile:
    """One landing file as the manifest lists it."""

    path: str  # relative to the landing root, e.g. slam/RJ1_ACM_2526_M05_….csv
    feed: str
    rows: int
    bytes: int
    encoding: str  # utf-8, utf-8-sig (BOM) or cp1252
    outcome: str = "loaded"  # loaded / rejected
    reason: str | None = None  # bad_name, missing_column:<col>
    kind: str = "regular"  # what the generator meant it to be (regular, resubmission, …)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.path, "feed": self.feed, "rows": self.rows, "bytes": self.bytes,
            "encoding": self.encoding, "outcome": self.outcome, "reason": self.reason,
            "kind": self.kind,
        }


def write_text_csv(
    root: Path, relative: str, header: Sequence[str] | None, rows: Iterable[Sequence[str]],
    encoding: str = "utf-8", newline: str = "\n", quote_all: bool = False,
) -> tuple[int, int, str]:
    """Write header and rows with the csv module; header None = a zero-byte file.
    Returns (data rows, bytes, encoding a reader will detect)."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding=encoding, newline="") as handle:
        if header is not None:
            quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
            writer = csv.writer(handle, lineterminator=newline, quoting=quoting)
            writer.writerow(header)
            for row in rows:
                writer.writerow(row)
                count += 1
    return count, path.stat().st_size, detectable_encoding(path, encoding)


def detectable_encoding(path: Path, written: str) -> str:
    """A Windows-1252 file with no byte above 0x7F is plain ASCII: it reads as UTF-8."""
    if written == "cp1252" and path.read_bytes().isascii():
        return "utf-8"
    return written


class StreamedCsv:
    """A large CSV written chunk by chunk from Arrow string columns (values never need quotes)."""

    def __init__(self, root: Path, relative: str, header: Sequence[str], bom: bool) -> None:
        self.path = root / relative
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: BinaryIO = self.path.open("wb")
        if bom:
            self._handle.write(BOM)
        self._handle.write((",".join(header) + "\n").encode("utf-8"))
        self._writer: pacsv.CSVWriter | None = None
        self.rows = 0

    def write(self, columns: list[pa.Array]) -> None:
        table = pa.table({f"c{i}": column for i, column in enumerate(columns)})
        if self._writer is None:
            options = pacsv.WriteOptions(include_header=False, quoting_style="none")
            self._writer = pacsv.CSVWriter(self._handle, table.schema, write_options=options)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> int:
        if self._writer is not None:
            self._writer.close()
        self._handle.close()
        return self.path.stat().st_size
