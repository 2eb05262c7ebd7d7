"""SLAM feed: plan, build, render and write every provider's files; feed the expectations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from speccomm_testkit.generate.expect_slam import SlamExpectations, SlamFileText
from speccomm_testkit.generate.periods import Month
from speccomm_testkit.generate.rand import random_for
from speccomm_testkit.generate.slam_render import SlamRenderer, SlamStyle, columns_for, file_name, style_for
from speccomm_testkit.generate.slam_schedule import SlamFile, YearPlan, schedule_year
from speccomm_testkit.generate.slam_statements import Columns, SlamRow, StatementBuilder
from speccomm_testkit.generate.world import World
from speccomm_testkit.generate.writers import WrittenFile, write_text_csv

MISSING_COLUMN = "price"  # the required column the broken file leaves out


@dataclass
class SlamOutput:
    files: list[WrittenFile] = field(default_factory=list)
    late: list[dict[str, object]] = field(default_factory=list)
    scenarios: list[dict[str, object]] = field(default_factory=list)
    columns: dict[tuple[str, int], Columns] = field(default_factory=dict)  # optional columns sent
    builder: StatementBuilder | None = None  # the statements, for the months never sent


def generate_slam(
    world: World, root: Path, plans: dict[tuple[str, int], YearPlan],
    planted_cells: set[tuple[str, str, str, Month]], expectations: SlamExpectations,
) -> SlamOutput:
    scale, seed = world.scale, world.seed
    builder = StatementBuilder(world, planted_cells)
    renderer = SlamRenderer(world.ref, seed)
    order = sorted(plans, key=lambda key: (key[1], key[0]))
    offset = random_for(seed, "slam", "style-offset").randrange(6)
    output = SlamOutput(builder=builder)
    for provider in tqdm(world.providers, desc=f"SLAM ({scale.name})", unit="provider", disable=None):
        texts: list[SlamFileText] = []
        for year in scale.years:
            plan = plans[(provider, year)]
            index = order.index((provider, year)) + offset
            style = style_for(plan, index, seed, world.ref, scale.years[0])
            files = schedule_year(plan, seed)
            renderer.new_template()
            output.columns[(provider, year)] = columns_for(plan, index)
            truth = {
                m: builder.truth(provider, Month(year, m), output.columns[(provider, year)], plan.has_plan)
                for m in sorted({m for f in files for m in f.stated})
            }
            for f in files:
                texts.append(_write_file(root, f, plan, style, truth, builder, renderer, output))
            output.scenarios += _describe(plan)
        expectations.add_provider(texts)
    return output


def _write_file(
    root: Path, f: SlamFile, plan: YearPlan, style: SlamStyle, truth: dict[int, list[SlamRow]],
    builder: StatementBuilder, renderer: SlamRenderer, output: SlamOutput,
) -> SlamFileText:
    statements = {
        m: truth[m] if f.versions[m] == "truth" else builder.draft(truth[m], (f.provider, f.received_text, m))
        for m in f.stated
    }
    rows = renderer.render(f, style, statements)
    headers = style.headers
    if f.kind == "missing_column":
        headers = [(c, h) for c, h in headers if c != MISSING_COLUMN]
    relative = f"slam/{file_name(f, plan)}"
    header = None if f.kind == "zero_byte" else [h for _, h in headers]
    count, size, encoding = write_text_csv(
        root, relative, header, ([row[c] for c, _ in headers] for row in rows),
        encoding=style.encoding, newline=style.newline, quote_all=style.quote_all,
    )
    if f.kind == "missing_column":
        rows = [{c: v for c, v in row.items() if c != MISSING_COLUMN} for row in rows]
    written = WrittenFile(relative, "slam", count, size, encoding, kind=f.kind)
    if f.kind == "misnamed":
        written.outcome, written.reason = "rejected", "bad_name"
    elif f.kind == "missing_column":
        written.outcome, written.reason = "rejected", f"missing_column:{MISSING_COLUMN}"
    output.files.append(written)
    if f.kind == "late":
        output.late.append({"file": relative, "provider_code": f.provider,
                            "financial_year": Month(f.year, f.name_month).fy,
                            "financial_month": f.name_month, "due_by": f.due_by.isoformat(),
                            "received": f.received_text})
    return SlamFileText(relative, f.provider, f.year, f.name_month, f.received_text, rows, f.loaded)


def _describe(plan: YearPlan) -> list[dict[str, object]]:
    """The plan's scenarios in words for the manifest (files are listed separately)."""
    base = {"provider_code": plan.provider, "financial_year": Month(plan.year, 1).fy}
    events: list[dict[str, object]] = []
    if plan.last_month < 12:
        events.append({**base, "scenario": "stopped_after", "financial_month": plan.last_month})
    if not plan.cumulative:
        events.append({**base, "scenario": "month_only_files"})
    for attribute in ("resubmitted", "late", "skipped"):
        for month in getattr(plan, attribute):
            events.append({**base, "scenario": attribute, "financial_month": month})
    for attribute in ("correction", "header_only", "zero_byte", "missing_column", "misnamed"):
        if getattr(plan, attribute):
            events.append({**base, "scenario": attribute, "financial_month": getattr(plan, attribute)})
    for attribute in ("split", "lower_case_names", "upper_case_extension", "no_registration_column"):
        if getattr(plan, attribute):
            events.append({**base, "scenario": attribute})
    if not plan.has_plan:
        events.append({**base, "scenario": "no_plan_rows"})
    return events


def withheld_months(
    output: SlamOutput, plans: dict[tuple[str, int], YearPlan], missing: list[dict[str, object]],
    expectations: SlamExpectations,
) -> list[dict[str, object]]:
    """Every provider-month the warehouse sees as missing (`submission_missing`), why, and what
    its statement would have published: the month's truth, built as for a sent file (statements
    are seeded per provider-month, so building one here changes no file) and attributed by the
    contract's rules. The test of the warehouse's estimates compares with `would_have_been`."""
    assert output.builder is not None
    withheld = []
    for entry in missing:
        provider, month = str(entry["provider_code"]), int(entry["financial_month"])  # type: ignore[call-overload]
        year = int(str(entry["financial_year"])[:4])
        plan = plans[(provider, year)]
        columns = output.columns[(provider, year)]
        rows = [_row_text(provider, row, columns)
                for row in output.builder.truth(provider, Month(year, month), columns, plan.has_plan)]
        reason = ("stopped_after" if month > plan.last_month
                  else "skipped" if month in plan.skipped else "not_stated")
        withheld.append({**entry, "reason": reason,
                         "would_have_been": expectations.would_have_been(provider, year, month, rows)})
    return withheld


def _row_text(provider: str, row: SlamRow, columns: Columns) -> dict[str, str]:
    """One statement row as the warehouse would read it (planted values as written)."""
    text = {
        "provider_code": provider, "record_type": row.record_type if columns.record_type else "",
        "service_line_code": row.service_line, "pod_code": row.pod,
        "gp_practice_code": row.gp if columns.gp_practice else "",
        "icb_of_registration_code": row.registration if columns.registration else "",
        "icb_of_residence_code": row.residence, "activity": repr(row.activity),
        "price": f"{row.price / 100:.2f}",
    }
    text.update(row.raw)
    if not columns.registration:
        text["icb_of_registration_code"] = ""
    return text
