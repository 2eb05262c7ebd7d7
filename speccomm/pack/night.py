"""The nightly's ICB pack: after publishing, the footprint's pack is written for the version just
published (`<warehouse dir>/pack/<run id>/`), packs of versions no longer kept are removed, and
`pack/index.html` links each kept version's pack, the published one first. A failure here is
reported by the night and never fails or un-publishes it (docs/icb-pack.md)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import duckdb

from speccomm.pack.write import INDEX, PackWritten, write_pack
from speccomm.publish.atomic import ROLLED_BACK, list_versions
from speccomm.state import StateLayout


def footprint_of(published: Path) -> list[str]:
    """The footprint the warehouse was built for: today's codes of its footprint ICBs."""
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(
            "select distinct current_icb_code from marts.fct_icb_spend_monthly"
            " where is_in_footprint and current_icb_code is not null order by 1"
        ).fetchall()
    return [code for (code,) in rows]


def write_night_pack(layout: StateLayout, run_id: str) -> PackWritten | None:
    """The pack of the version `run_id` just published; None when the footprint has no ICB
    (an empty landing: nothing to show)."""
    icbs = footprint_of(layout.warehouse)
    if not icbs:
        return None
    staged = layout.pack_root / f".{run_id}.tmp"
    shutil.rmtree(staged, ignore_errors=True)
    result = write_pack(layout.warehouse, icbs, staged)
    final = layout.pack_root / run_id
    shutil.rmtree(final, ignore_errors=True)
    staged.rename(final)
    prune_packs(layout)
    write_pack_index(layout, published_run=run_id)
    return PackWritten(final, tuple(final / page.name for page in result.pages), result.seconds)


def prune_packs(layout: StateLayout) -> list[Path]:
    """Remove the packs whose warehouse version is no longer kept (nor rolled back)."""
    kept = {v.stem for v in list_versions(layout.versions_dir)}
    kept |= {v.stem for v in list_versions(layout.versions_dir / ROLLED_BACK)}
    removed = []
    for folder in sorted(layout.pack_root.iterdir()) if layout.pack_root.is_dir() else []:
        if folder.is_dir() and folder.name not in kept:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def write_pack_index(layout: StateLayout, published_run: str) -> Path:
    """pack/index.html: the kept packs, newest first, the published one marked."""
    folders = sorted((f for f in layout.pack_root.iterdir() if f.is_dir() and not f.name.startswith(".")),
                     reverse=True)
    items = "".join(
        f'<li><a href="{escape(f.name)}/{INDEX}">{escape(f.name)}</a>'
        + (" (published now)" if f.name == published_run else "")
        + "".join(f' · <a href="{escape(f.name)}/{escape(p.name)}">{escape(p.stem)}</a>'
                  for p in sorted(f.glob("*.html")) if p.name != INDEX)
        + "</li>"
        for f in folders
    )
    page = (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>ICB packs</title><style>body{font-family:Arial,sans-serif;margin:1rem;line-height:1.6}"
        "</style></head><body><h1>ICB packs</h1><p>One pack per published warehouse version kept "
        f"(newest first). Written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.</p><ul>{items}</ul></body></html>\n"
    )
    index = layout.pack_root / INDEX
    index.write_text(page, encoding="utf-8")
    return index
