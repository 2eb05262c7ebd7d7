"""SUS feed: one APC and one OP extract per calendar month, streamed to disk chunk by chunk.

Some months are re-sent (the later extract replaces the earlier wholesale, and differs);
one month has a header-only first extract, one a re-send that lacks a required column (it
is rejected, so the earlier extract stays current), one a misnamed copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from tqdm import tqdm

from speccomm_testkit.generate.expect_ir import IrExpectations
from speccomm_testkit.generate.expect_sus import SusExpectations
from speccomm_testkit.generate.periods import Month
from speccomm_testkit.generate.rand import random_for
from speccomm_testkit.generate.sus_records import ChunkMaker, Vocabulary
from speccomm_testkit.generate.sus_render import SusRenderer, SusStyle, sus_style
from speccomm_testkit.generate.world import World
from speccomm_testkit.generate.writers import StreamedCsv, WrittenFile

DATASETS = ("APC", "OP")
MISSING_COLUMN = "pod_code"


@dataclass
class Extract:
    """One SUS file to write: which version of the month, when received, what is odd."""

    dataset: str
    month: Month
    received: datetime
    version: str  # final / early / header_only / missing_column / misnamed
    lower_case: bool = False

    @property
    def name(self) -> str:
        stamp = self.received.strftime("%Y%m%d%H%M%S")
        if self.version == "misnamed":
            return f"{self.dataset}_{self.month.yyyymm[:4]}-{self.month.yyyymm[4:]}_{stamp}.csv"
        name = f"{self.dataset}_{self.month.yyyymm}_{stamp}.csv"
        return name.lower() if self.lower_case else name


@dataclass
class SusOutput:
    files: list[WrittenFile] = field(default_factory=list)
    current: list[dict[str, object]] = field(default_factory=list)
    scenarios: list[dict[str, object]] = field(default_factory=list)
    ir: IrExpectations | None = None  # what the identification-rules monitoring must find


def plan_extracts(world: World) -> dict[tuple[str, Month], list[Extract]]:
    """Extracts per dataset-month in received order; the last loadable one is current."""
    rng = random_for(world.seed, "sus", "plan")
    share = world.scale.scenarios.sus_resend_share
    plans: dict[tuple[str, Month], list[Extract]] = {}
    for mi, month in enumerate(world.months):
        for di, dataset in enumerate(DATASETS):
            after = month.shifted(1)
            first = datetime(after.year, after.month, rng.randint(10, 19), 6, rng.randint(0, 59),
                             rng.randint(0, 59))
            lower = (mi * 2 + di) % 7 == 5
            resent = rng.random() < share or (mi, di) == (2, 0)
            extracts = []
            if (mi, di) == (1, 1):
                extracts.append(Extract(dataset, month, first - timedelta(hours=2), "header_only"))
            if resent:
                extracts.append(Extract(dataset, month, first, "early", lower))
                later = month.shifted(2)
                first = datetime(later.year, later.month, rng.randint(20, 27), 5, rng.randint(0, 59),
                                 rng.randint(0, 59))
            extracts.append(Extract(dataset, month, first, "final", lower))
            if (mi, di) == (3, 0):
                extracts.append(Extract(dataset, month, first + timedelta(days=9), "missing_column"))
            if (mi, di) == (4, 1):
                extracts.append(Extract(dataset, month, first + timedelta(minutes=5), "misnamed"))
            plans[(dataset, month)] = extracts
    return plans


def generate_sus(
    world: World, root: Path, drop_cells: set[tuple[str, str, str, Month]],
    expectations: SusExpectations,
) -> SusOutput:
    vocab = Vocabulary(world)
    maker = ChunkMaker(world, vocab, world.scale.rates)
    renderer = SusRenderer(maker)
    plans = plan_extracts(world)
    in_dataset = {ds: np.array([line.dataset == ds for line in world.lines])[world.pair_line]
                  for ds in DATASETS}
    total = int(sum(world.counts[:, in_dataset[ds]].sum() for ds in DATASETS))
    output = SusOutput(ir=IrExpectations(world.ref, expectations.dq, renderer.ir.targets))
    style_rng = random_for(world.seed, "sus", "styles")
    with tqdm(total=total, unit="rec", desc=f"SUS ({world.scale.name})", disable=None) as bar:
        for mi, month in enumerate(world.months):
            for di, dataset in enumerate(DATASETS):
                style = sus_style(dataset, mi * 2 + di, style_rng)
                pairs = np.flatnonzero(in_dataset[dataset] & (world.counts[mi] > 0))
                drop = _dropped_pairs(world, pairs, month, drop_cells)
                for extract in plans[(dataset, month)]:
                    _write_extract(world, root, extract, style, pairs, drop, maker, renderer,
                                   expectations, output, bar)
    return output


def _dropped_pairs(world: World, pairs: np.ndarray, month: Month, cells) -> np.ndarray:
    chosen = []
    for pair in pairs:
        line = world.lines[world.pair_line[pair]]
        if (line.provider, line.service_line, line.pod, month) in cells:
            chosen.append(pair)
    return np.array(chosen, dtype=np.int64)


def _chunks(world: World, pairs: np.ndarray, month_index: int) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """Consecutive pairs grouped so each chunk holds at most `sus_chunk_records` records
    (a single larger cell gets a chunk of its own); `first_k` numbers records per month."""
    counts = world.counts[month_index, pairs]
    size = world.scale.sus_chunk_records
    chunks, start, running, first_k = [], 0, 0, 0
    for i, n in enumerate(counts.tolist()):
        if running and running + n > size:
            chunks.append((pairs[start:i], counts[start:i], first_k))
            first_k += running
            start, running = i, 0
        running += n
    if running:
        chunks.append((pairs[start:], counts[start:], first_k))
    return chunks


def _write_extract(
    world: World, root: Path, extract: Extract, style: SusStyle, pairs: np.ndarray,
    drop: np.ndarray, maker: ChunkMaker, renderer: SusRenderer,
    expectations: SusExpectations, output: SusOutput, bar: tqdm,
) -> None:
    headers = [(c, h) for c, h in style.headers
               if not (extract.version == "missing_column" and c == MISSING_COLUMN)]
    relative = f"sus/{extract.name}"
    writer = StreamedCsv(root, relative, [h for _, h in headers], style.bom)
    mi = world.month_index(extract.month)
    chunks = [] if extract.version == "header_only" else _chunks(world, pairs, mi)
    if extract.version in ("missing_column", "misnamed"):
        chunks = chunks[:1]  # not loaded: a sample is enough
    stamp = extract.received.strftime("%Y-%m-%d")
    for chunk_no, (chunk_pairs, counts, first_k) in enumerate(chunks):
        chunk = maker.make(chunk_pairs, counts, first_k, extract.month, extract.dataset, chunk_no,
                           drop if extract.version == "final" else drop[:0],
                           early=extract.version == "early", force=chunk_no == 0)
        values = renderer.values(chunk, style, extract.month, extract.dataset, stamp)
        writer.write([values[c] for c, _ in headers])
        present = {c: values[c] for c, _ in headers if not c.startswith("extra:")}
        expectations.collect_invalid(present)
        if extract.version == "final":
            expectations.add_current(present, extract.month)
            assert output.ir is not None
            output.ir.add_current(present, values, extract.month)
            bar.update(int(counts.sum()))
    size = writer.close()
    encoding = "utf-8-sig" if style.bom else "utf-8"
    written = WrittenFile(relative, "sus", writer.rows, size, encoding, kind=extract.version)
    if extract.version == "misnamed":
        written.outcome, written.reason = "rejected", "bad_name"
    elif extract.version == "missing_column":
        written.outcome, written.reason = "rejected", f"missing_column:{MISSING_COLUMN}"
    output.files.append(written)
    if extract.version == "final":
        output.current.append({"dataset": extract.dataset, "activity_month": extract.month.yyyymm,
                               "file": relative})
    if extract.version != "final":
        output.scenarios.append({"dataset": extract.dataset, "activity_month": extract.month.yyyymm,
                                 "scenario": extract.version, "file": relative})
