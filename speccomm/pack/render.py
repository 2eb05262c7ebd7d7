"""Pack pages to HTML: one self-contained file per page (styles inline, charts as inline SVG,
no script, no font and no image fetched; a Content-Security-Policy that forbids fetching)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from speccomm.pack.pages import WITHHELD, Icon, Page, Table

TEMPLATES = Path(__file__).with_name("templates")
ICON_COLOURS = {
    "common": "#7b7d7d",
    "improvement": "#289de0",
    "concern": "#e46c0a",
    "neutral": "#361475",
    "pass": "#289de0",
    "fail": "#e46c0a",
    "hit-and-miss": "#7b7d7d",
    "none": "#aeb7bd",
}


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(table=table_html, icon_svg=icon_svg)
    return env


def render_page(
    page: Page,
    *,
    built: datetime,
    run_id: str | None,
    warehouse: str,
    suppression: str,
    links: list[tuple[str, str]],
) -> str:
    return (
        environment()
        .get_template("page.html.j2")
        .render(
            page=page,
            built=built.strftime("%Y-%m-%d %H:%M UTC"),
            run_id=run_id,
            warehouse=warehouse,
            suppression=suppression,
            withheld=WITHHELD,
            links=links,
        )
    )


def table_html(table: Table) -> Markup:
    head = "".join(f'<th scope="col"{_num(i, table)}>{escape(h)}</th>' for i, h in enumerate(table.headers))
    body = "".join(
        "<tr>"
        + "".join(
            (
                f'<th scope="row"{_num(i, table)}>{escape(cell)}</th>'
                if i == 0
                else f"<td{_num(i, table)}>{escape(cell)}</td>"
            )
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in table.rows
    )
    if not table.rows:
        body = f'<tr><td colspan="{len(table.headers)}">None.</td></tr>'
    more = (
        f'<p class="note">… and {table.more} more rows (the full table: speccomm extract).</p>'
        if table.more
        else ""
    )
    return Markup(
        f'<div class="table-wrap"><table><caption>{escape(table.caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{more}"
    )


def _num(index: int, table: Table) -> str:
    if index in table.numeric:
        return ' class="num"'
    return ' class="wrap"' if index in table.wrap else ""


def icon_svg(icon: Icon) -> Markup:
    """Making Data Count's icons drawn small: a ring in the icon's colour with its letter
    (H/L high or low for variation, P/F/? for assurance); the label beside it says it in words."""
    family = icon.code.split("-")[0] if icon.kind == "variation" else icon.code
    colour = ICON_COLOURS.get(family, ICON_COLOURS["none"])
    inner = (
        f'<path d="M8 24 L14 19 L20 26 L26 17 L32 22 L40 20" fill="none" stroke="{colour}" '
        'stroke-width="2.5"/>'
        if icon.code == "common"
        else f'<text x="24" y="31" text-anchor="middle" font-size="20" font-weight="bold" '
        f'font-family="Arial, sans-serif" fill="{colour}">{escape(icon.letter)}</text>'
    )
    return Markup(
        f'<svg viewBox="0 0 48 48" aria-hidden="true" focusable="false">'
        f'<circle cx="24" cy="24" r="21" fill="#fff" stroke="{colour}" stroke-width="4"/>{inner}</svg>'
    )
