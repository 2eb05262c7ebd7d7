"""Writing the pack: `speccomm pack --icb CODE [--icb …] --out DIR [--warehouse FILE]`, and the
nightly's copy for the footprint beside the published file (speccomm.nightly)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from speccomm.config import Paths
from speccomm.footprint import icb_codes
from speccomm.pack.data import PackData, PackDataMissing, read_pack_data
from speccomm.pack.pages import Page, build_page
from speccomm.pack.render import render_page
from speccomm.publish.extract import UnknownIcb
from speccomm.publish.suppression import Suppression
from speccomm.state import ProtectedTarget, StateLayout

INDEX = "index.html"


@dataclass(frozen=True)
class PackWritten:
    folder: Path
    pages: tuple[Path, ...]
    seconds: float


def write_pack(
    published: Path,
    icbs: Sequence[str],
    out: Path,
    *,
    suppression: Suppression | None = None,
    built: datetime | None = None,
) -> PackWritten:
    """The footprint page (index.html) and one page per ICB; raises UnknownIcb for a code not in
    marts.dim_icb (nothing written)."""
    started = time.monotonic()
    data = read_pack_data(published, icbs, suppression)
    codes = data.footprint.icbs
    pages = [build_page(data, codes, INDEX, _title(data, codes))]
    if len(codes) > 1:
        pages += [build_page(data, (code,), f"{code}.html", _title(data, (code,))) for code in codes]
    out.mkdir(parents=True, exist_ok=True)
    links = [("Footprint", INDEX)] + ([(code, f"{code}.html") for code in codes] if len(codes) > 1 else [])
    when = built or datetime.now(UTC)
    written = tuple(_write(out / page.file_name, _html(page, data, published, when, links)) for page in pages)
    return PackWritten(out, written, time.monotonic() - started)


def _title(data: PackData, codes: Sequence[str]) -> str:
    if len(codes) == 1:
        return f"{data.icb_names.get(codes[0]) or codes[0]} ({codes[0]})"
    return "Footprint " + " + ".join(codes)


def _html(page: Page, data: PackData, published: Path, built: datetime, links: list[tuple[str, str]]) -> str:
    return render_page(
        page,
        built=built,
        run_id=data.run.get("run_id"),
        warehouse=published.name,
        suppression=data.suppression.describe(),
        links=links,
    )


def _write(path: Path, text: str) -> Path:
    staged = path.with_name(f".{path.name}.tmp")
    staged.write_text(text, encoding="utf-8")
    os.replace(staged, path)
    return path


def pack_command(paths: Paths, icbs: Sequence[str], out: Path) -> int:
    """CLI entry: 0 when written, 1 on an unknown ICB, a missing warehouse or a protected path."""
    if not paths.warehouse.exists():
        print(f"speccomm pack: no published warehouse at {paths.warehouse}", file=sys.stderr)
        return 1
    try:
        StateLayout.of(paths).refuse_protected(out)
        result = write_pack(paths.warehouse, icb_codes(icbs), out)
    except (UnknownIcb, ProtectedTarget, PackDataMissing) as exc:
        print(f"speccomm pack: {exc}", file=sys.stderr)
        return 1
    for page in result.pages:
        print(f"  {page}  {page.stat().st_size / 1024:,.0f} KB")
    print(f"speccomm pack: {len(result.pages)} page(s) in {result.folder} ({result.seconds:.1f} s)")
    return 0
