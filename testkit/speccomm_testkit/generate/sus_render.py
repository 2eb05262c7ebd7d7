"""SUS extract layouts and the rendering of integer-coded chunks into Arrow text columns."""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from speccomm_testkit.generate import formats
from speccomm_testkit.generate.contract import SUS_COLUMNS
from speccomm_testkit.generate.ir import IrCoder
from speccomm_testkit.generate.periods import Month
from speccomm_testkit.generate.sus_records import NHS_STATUS_OTHER, Chunk, ChunkMaker, hex_text, mix48

DATE_OFFSETS = range(-5, 80)  # activity and discharge dates: days from the month's first day
EXTRA_COLUMNS = {"extract_date": "Extract Date", "der_financial_year": "Der Financial Year"}


@dataclass(frozen=True)
class SusStyle:
    headers: list[tuple[str, str]]  # (canonical column or "extra:<name>", header text)
    date_format: str
    bom: bool


def sus_style(dataset: str, index: int, rng: random.Random) -> SusStyle:
    """DSCRO layouts changed over time: aliases, header case, date format, extras."""
    spelling = ("as_is", "as_is", "upper_hyphen", "title_spaces")[index % 4]
    headers = []
    for name, aliases in SUS_COLUMNS.items():
        if name == "discharge_date" and dataset != "APC":
            continue
        if name == "lsoa_code" and index % 9 == 4:
            continue  # one layout without the LSOA
        if name == "activity_date":
            alias = "admission_date" if dataset == "APC" else "appointment_date"
            chosen = ("activity_date", alias)[index % 2]
        else:
            chosen = rng.choice((name, *aliases)) if index % 2 else name
        headers.append((name, formats.spell_header(chosen, spelling)))
    if index % 3 == 2:
        headers += [(f"extra:{name}", text) for name, text in EXTRA_COLUMNS.items()]
    return SusStyle(headers, formats.DATE_FORMATS[index % 2], bom=index % 5 == 1)


class SusRenderer:
    """Text for every column of a chunk, under one extract's style."""

    def __init__(self, maker: ChunkMaker) -> None:
        self.maker = maker
        w, v = maker.world, maker.vocab
        self.vocab = v
        lines = w.lines
        self._commissioner_lines: dict[int, np.ndarray] = {}
        self.pods = sorted({line.pod for line in lines} | set(formats.UNKNOWN_PODS))
        self.line_pod = np.array([self.pods.index(line.pod) for line in lines])
        self.service_lines = sorted({line.service_line for line in lines})
        self.service_lines += list(formats.UNKNOWN_SERVICE_LINES)
        self.line_sl = np.array([self.service_lines.index(line.service_line) for line in lines])
        self.line_hrg, self.hrgs = _encode([line.hrg for line in lines])
        self.line_tfc, self.tfcs = _encode([line.tfc for line in lines])
        self.ir = IrCoder(w, v, self.service_lines)
        self.provider_vocab = pa.array(v.provider_text)
        self.icb_vocab = pa.array(v.icb_text)

    def values(
        self, c: Chunk, style: SusStyle, month: Month, dataset: str, extract_date: str
    ) -> dict[str, pa.Array]:
        """Text of every column (the style picks which are written, and under what header)."""
        v, n = self.vocab, c.k.size
        salt = zlib.crc32(f"{dataset}{month.yyyymm}".encode()) << 12
        line_provider = _take(self.provider_vocab, self.maker.line_provider[c.line])
        supplied = np.where(
            c.service_line_override >= 0,
            len(self.service_lines) - len(formats.UNKNOWN_SERVICE_LINES) + c.service_line_override,
            self.line_sl[c.line])
        ir = self.ir.assign(c, supplied, month, dataset)
        values = {
            "sus_record_id": pc.if_else(pa.array(c.k < 0), "", hex_text(mix48(c.k + salt), 12)),
            "provider_code": _take(self.provider_vocab, c.provider),
            "provider_record_ref": pc.binary_join_element_wise(
                line_provider, pc.utf8_lpad(pc.cast(pa.array(c.k), pa.string()), 8, "0"),
                f"/{month.yyyymm}/"),
            "pseudo_patient_id": hex_text(mix48(c.patient * 7 + 12345), 12),
            "nhs_number_status": _take(pa.array(["01", *NHS_STATUS_OTHER]), c.nhs_status),
            "age_at_activity": pc.cast(pa.array(ir["age"]), pa.string()),
            "gp_practice_code": _take(pa.array(v.practices), c.gp),
            "icb_of_registration_code": _take(self.icb_vocab, c.registration),
            "icb_of_residence_code": _take(self.icb_vocab, c.residence),
            "lsoa_code": _take(pa.array(v.lsoas), c.patient % len(v.lsoas)),
            "commissioner_code": self._commissioner(c, month.year),
            "pod_code": _take(pa.array(self.pods), np.where(
                c.pod_override >= 0, self._unknown_pod(c.pod_override), self.line_pod[c.line])),
            "hrg_code": _take(pa.array(self.hrgs), self.line_hrg[c.line]),
            # identification-rule codes (speccomm_testkit.generate.ir): a stream apart from the rest
            "primary_diagnosis_code": ir["primary_diagnosis_code"],
            "primary_procedure_code": ir["primary_procedure_code"],
            "treatment_function_code": _take(pa.array(self.tfcs), self.line_tfc[c.line]),
            "service_line_code": _take(pa.array(self.service_lines), supplied),
            "tariff_price": _money(c),
            "extra:extract_date": pa.array(np.full(n, extract_date)),
            "extra:der_financial_year": pa.array(np.full(n, month.fy)),
        }
        values["activity_date"], values["discharge_date"] = self._dates(c, style, month)
        values["ir:target"], values["ir:kind"] = ir["ir:target"], ir["ir:kind"]
        return values

    def _unknown_pod(self, override: np.ndarray) -> np.ndarray:
        lookup = np.array([self.pods.index(p) for p in formats.UNKNOWN_PODS])
        return lookup[np.maximum(override, 0)]

    def _commissioner(self, c: Chunk, year: int) -> pa.Array:
        names = self.vocab.commissioners
        if year not in self._commissioner_lines:
            self._commissioner_lines[year] = self._commissioner_by_line(year)
        fixed = self._commissioner_lines[year][c.line]
        return _take(pa.array(names), np.where(fixed >= 0, fixed, c.reg_icb))

    def _commissioner_by_line(self, year: int) -> np.ndarray:
        """Hub for red/amber lines, host ICB for blue, -1 = the patient's ICB."""
        ref, names = self.maker.world.ref, self.vocab.commissioners
        line_code = []
        for line in self.maker.world.lines:
            stream = ref.funding_stream(line.service_line, year)
            p = ref.providers[line.provider]
            if stream in ("red", "amber"):
                line_code.append(names.index("13R") if p.region == "Y56" else names.index(
                    ref.hubs.get(p.region, "13Q")))
            elif stream == "blue":
                line_code.append(names.index(p.host_icb) if p.host_icb in names else -1)
            else:
                line_code.append(-1)
        return np.array(line_code)

    def _dates(self, c: Chunk, style: SusStyle, month: Month) -> tuple[pa.Array, pa.Array]:
        start = month.first_day
        texts = []
        for offset in DATE_OFFSETS:
            day = start.fromordinal(start.toordinal() + offset)
            texts.append(formats.date_text(day.year, day.month, day.day, style.date_format))
        base = len(texts)
        texts += list(formats.INVALID_DATES)
        vocab = pa.array(texts)
        first = -DATE_OFFSETS.start
        activity = first + c.day
        bad = c.bad_activity_date
        activity = np.where(bad == 4, first - 1 - c.day % 4, activity)  # before the month
        activity = np.where((bad >= 1) & (bad <= 3), base + bad - 1, activity)
        discharge = first + c.day + c.stay
        discharge = np.where(c.bad_discharge == 2, first + c.day - 1 - c.stay % 3, discharge)
        discharge = np.where(c.bad_discharge == 1, base, discharge)
        return _take(vocab, activity), _take(vocab, discharge)


def _money(c: Chunk) -> pa.Array:
    pounds = pc.cast(pa.array(c.pence // 100), pa.string())
    pennies = pc.utf8_lpad(pc.cast(pa.array(c.pence % 100), pa.string()), 2, "0")
    text = pc.binary_join_element_wise(pounds, pennies, ".")
    text = pc.if_else(pa.array(c.bad_price == -1), pa.scalar(""), text)
    text = pc.if_else(pa.array(c.bad_price == 1), pa.scalar("TBC"), text)
    return pc.if_else(pa.array(c.bad_price == 2), pa.scalar("n/a"), text)


def _take(vocab: pa.Array, index: np.ndarray) -> pa.Array:
    return pc.take(vocab, pa.array(index.astype(np.int64)))


def _encode(values: list[str]) -> tuple[np.ndarray, list[str]]:
    vocab = sorted(set(values))
    return np.array([vocab.index(x) for x in values]), vocab
