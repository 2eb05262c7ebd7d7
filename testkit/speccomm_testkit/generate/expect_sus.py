"""What the warehouse must publish from the current SUS extracts, computed chunk by chunk
from the written text with the contract's rules (vectorised: each distinct text is judged
once in Python, then mapped back to the rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from speccomm.quality.registry import check_ids
from speccomm_testkit.generate import rules
from speccomm_testkit.generate.erf import ErfTally
from speccomm_testkit.generate.periods import Month
from speccomm_testkit.generate.reference import Reference
from speccomm_testkit.generate.tallies import DqTally, FactTotals, InvalidValues

# Which checks count SUS rows: the ids come from the suite (one list of checks); how each row
# fails them is decided here, independently of the warehouse's check models.
# the row checks of the extract rows; service_line_ir_mismatch (current records) is predicted
# by speccomm_testkit.generate.expect_ir
SUS_CHECKS = tuple(c for c in check_ids("sus") if c != "service_line_ir_mismatch")
METHODS = ("registration", "residence", "provider_host", "unattributed")
_MONEY = (r"^-?£?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$", r"^\(£?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?\)$")


def _distinct(array: pa.Array | None, n: int) -> tuple[list[str], np.ndarray]:
    """Distinct trimmed texts and each row's index into them (a missing column = blank)."""
    if array is None:
        return [""], np.zeros(n, dtype=np.int64)
    encoded = pc.utf8_trim_whitespace(array).dictionary_encode()
    return encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def _malformed(array: pa.Array | None, code_type: str, n: int) -> np.ndarray:
    texts, index = _distinct(array, n)
    return np.array([rules.is_malformed_clinical_code(t, code_type) for t in texts])[index]


@dataclass
class SusExpectations:
    ref: Reference
    dq: DqTally
    invalid: InvalidValues
    facts: FactTotals = field(default_factory=lambda: FactTotals("tariff_price"))
    activity_cells: dict[tuple[str, str, str, int, int], float] = field(default_factory=dict)
    date_outside_file_month: int = 0
    erf: ErfTally = field(default_factory=ErfTally)

    def add_current(self, values: dict[str, pa.Array], month: Month) -> None:
        """One chunk of a current extract (all its rows, duplicates included)."""
        n = len(values["sus_record_id"])
        if n == 0:
            return
        providers, provider_of = self._providers(values, n)
        activity_day, dates_bad = self._dates(values, n, month)
        registration = self._icbs(values.get("icb_of_registration_code"), n, activity_day)
        residence = self._icbs(values.get("icb_of_residence_code"), n, activity_day)
        gp_texts, gp_index = _distinct(values.get("gp_practice_code"), n)
        gp_default = np.array([t.upper() in rules.DEFAULT_GP_CODES for t in gp_texts])[gp_index]
        sl_texts, sl_index = _distinct(values.get("service_line_code"), n)
        sl_upper = [t.upper() for t in sl_texts]
        pod_texts, pod_index = _distinct(values.get("pod_code"), n)
        pod_upper = [t.upper() for t in pod_texts]
        pence, price_bad = _money(values.get("tariff_price"), n)
        status = values.get("nhs_number_status")
        verified = (np.zeros(n, bool) if status is None
                    else pc.equal(pc.utf8_trim_whitespace(status), "01").to_numpy(zero_copy_only=False))
        blank_id = _blank_ids(values["sus_record_id"])
        first = current_records(values["sus_record_id"])
        failed = {
            "icb_of_residence_missing": residence[0],
            "icb_of_residence_invalid": residence[1],
            "icb_of_registration_missing": registration[0],
            "icb_of_registration_invalid": registration[1],
            "service_line_unknown": np.array([t != "" and t not in self.ref.service_lines
                                              for t in sl_upper])[sl_index],
            "pod_unknown": np.array([t not in self.ref.pods for t in pod_upper])[pod_index],
            "price_invalid": price_bad,
            "nhs_number_not_verified": ~verified,
            "gp_practice_default": gp_default,
            "sus_record_duplicate": ~first & ~blank_id,
            "sus_record_id_missing": blank_id,
            "sus_dates_inconsistent": dates_bad,
            # the generator writes against the shipped seeds, which dissolve no ICB
            "icb_code_superseded": np.zeros(n, bool),
            "ir_code_invalid": _malformed(values.get("primary_diagnosis_code"), "diagnosis", n)
            | _malformed(values.get("primary_procedure_code"), "procedure", n),
        }
        slots = len(providers)
        checked = np.bincount(provider_of, minlength=slots)
        for check in SUS_CHECKS:
            counts = np.bincount(provider_of, weights=failed[check], minlength=slots)
            for i, org in enumerate(providers):
                if checked[i]:
                    self.dq.add(check, "sus", org, month.fy, month.month, int(checked[i]), int(counts[i]))
        self._facts(month, providers, provider_of, first, pence, sl_upper, sl_index,
                    pod_upper, pod_index, registration[2], residence[2], gp_default)
        keep = np.flatnonzero(first)
        attributed = self._attributed(providers, provider_of, registration[3], residence[3], gp_default)
        cells = (np.array(providers, dtype=object)[provider_of[keep]], attributed[keep])
        self.erf.add(self.ref, month, cells, sl_upper, sl_index[keep], pod_upper, pod_index[keep],
                     pence[keep])

    def _attributed(
        self, providers: list[str], provider_of: np.ndarray, registration: np.ndarray,
        residence: np.ndarray, gp_default: np.ndarray,
    ) -> np.ndarray:
        """Each row's attributed ICB (the contract's rule, rules.attribute), None when unattributed."""
        hosts = np.array([self.ref.providers[p].host_icb or None if p in self.ref.providers else None
                          for p in providers], dtype=object)[provider_of]
        by_registration = np.array([r is not None for r in registration]) & ~gp_default
        by_residence = np.array([r is not None for r in residence])
        return np.where(by_registration, registration, np.where(by_residence, residence, hosts))

    def _providers(self, values: dict[str, pa.Array], n: int) -> tuple[list[str], np.ndarray]:
        texts, index = _distinct(values["provider_code"], n)
        resolved = [self.ref.resolver.provider(t) for t in texts]
        providers = sorted(set(resolved))
        lookup = np.array([providers.index(r) for r in resolved])
        return providers, lookup[index]

    def _dates(self, values: dict[str, pa.Array], n: int, month: Month) -> tuple[np.ndarray, np.ndarray]:
        """Each row's validity date (activity date's month, else the file's) and whether
        its dates are inconsistent."""
        start = month.first_day
        texts, index = _distinct(values["activity_date"], n)
        parsed = [rules.parse_date(t) for t in texts]
        ordinal = np.array([d.toordinal() if d else -1 for d in parsed])[index]
        in_month = np.array([bool(d) and (d.year, d.month) == (start.year, start.month)
                             for d in parsed])[index]
        self.date_outside_file_month += int(np.sum((ordinal > 0) & ~in_month))
        month_of = np.array([d.replace(day=1).toordinal() if d else start.toordinal()
                             for d in parsed])[index]
        bad = ~in_month
        if "discharge_date" in values:
            d_texts, d_index = _distinct(values["discharge_date"], n)
            d_parsed = [rules.parse_date(t) for t in d_texts]
            d_invalid = np.array([t != "" and d is None for t, d in zip(d_texts, d_parsed, strict=True)])
            d_ordinal = np.array([d.toordinal() if d else -1 for d in d_parsed])[d_index]
            before = (d_ordinal > 0) & (ordinal > 0) & (d_ordinal < ordinal)
            bad |= d_invalid[d_index] | before
        return month_of, bad

    def _icbs(
        self, array: pa.Array | None, n: int, on: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(missing, invalid, valid, the ICB found or None) per row for one ICB column, valid
        on the row's date."""
        texts, index = _distinct(array, n)
        combos, inverse = np.unique(index * 1_000_000 + (on - on.min()), return_inverse=True)
        low = int(on.min())
        resolved = []
        for combo in combos:
            text = texts[combo // 1_000_000]
            resolved.append(self.ref.resolver.icb(text, date.fromordinal(int(combo % 1_000_000) + low)))
        blank = np.array([t == "" for t in texts])[index]
        found = np.array(resolved, dtype=object)[inverse]
        valid = np.array([r is not None for r in resolved])[inverse]
        return blank, ~blank & ~valid, valid, found

    def _facts(self, month, providers, provider_of, first, pence, sl_upper, sl_index,
               pod_upper, pod_index, registration, residence, gp_default) -> None:
        """fct_sus_activity keeps one row per id: the first copy (copies are identical)."""
        keep = np.flatnonzero(first)
        slots = len(providers)
        rows = np.bincount(provider_of[keep], minlength=slots)
        money = np.bincount(provider_of[keep], weights=pence[keep], minlength=slots)
        for i, org in enumerate(providers):
            if rows[i]:
                self.facts.add(org, month.fy, month.month, int(rows[i]), round(money[i]))
        has_host = np.array([bool(p in self.ref.providers and self.ref.providers[p].host_icb)
                             for p in providers])
        # the contract's attribution rule (rules.attribute), vectorised over validity flags
        method = np.select(
            [registration & ~gp_default, residence, has_host[provider_of]], [0, 1, 2], 3)[keep]
        for i, count in enumerate(np.bincount(method, minlength=len(METHODS))):
            if count:
                self.facts.attribution[METHODS[i]] += int(count)
        streams = [self.ref.funding_stream(t, month.year) for t in sl_upper]
        for i, count in enumerate(np.bincount(sl_index[keep], minlength=len(sl_upper))):
            if count:
                self.facts.funding_stream[streams[i]] += int(count)
        cell = (provider_of[keep] * len(sl_upper) + sl_index[keep]) * len(pod_upper) + pod_index[keep]
        for code, count in zip(*np.unique(cell, return_counts=True), strict=True):
            p, rest = divmod(int(code), len(sl_upper) * len(pod_upper))
            s, d = divmod(rest, len(pod_upper))
            key = (providers[p], sl_upper[s], pod_upper[d], month.year, month.month)
            self.activity_cells[key] = self.activity_cells.get(key, 0.0) + int(count)

    def collect_invalid(self, values: dict[str, pa.Array]) -> None:
        """Invalid dates and money in any extract (current or not), for the validator."""
        n = len(values["sus_record_id"])
        for column, blank_allowed in (("activity_date", False), ("discharge_date", True)):
            if column in values:
                texts, index = _distinct(values[column], n)
                counts = np.bincount(index, minlength=len(texts))
                for text, count in zip(texts, counts, strict=True):
                    if count and rules.parse_date(text) is None and not (blank_allowed and text == ""):
                        self.invalid.add("sus", column, text, int(count))
        if "tariff_price" in values:
            _, bad = _money(values["tariff_price"], n)
            texts, index = _distinct(pc.filter(values["tariff_price"], pa.array(bad)), int(bad.sum()))
            for text, count in zip(texts, np.bincount(index, minlength=len(texts)), strict=True):
                if count:
                    self.invalid.add("sus", "tariff_price", text, int(count))


def _money(array: pa.Array | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(pence, invalid) per row; blank is neither valid money nor a failure here."""
    if array is None:
        return np.zeros(n, np.int64), np.zeros(n, bool)
    text = pc.utf8_trim_whitespace(array)
    valid = pc.or_(pc.match_substring_regex(text, _MONEY[0]), pc.match_substring_regex(text, _MONEY[1]))
    valid = valid.to_numpy(zero_copy_only=False)
    blank = pc.equal(text, "").to_numpy(zero_copy_only=False)
    digits = pc.replace_substring_regex(text, r"[£,()\-]", "")
    digits = pc.if_else(pa.array(valid), digits, pa.scalar("0"))
    pence = np.round(pc.cast(digits, pa.float64()).to_numpy(zero_copy_only=False) * 100).astype(np.int64)
    negative = pc.or_(pc.starts_with(text, "-"), pc.starts_with(text, "(")).to_numpy(zero_copy_only=False)
    return np.where(negative, -pence, pence), ~valid & ~blank


def _blank_ids(ids: pa.Array) -> np.ndarray:
    return pc.equal(pc.utf8_trim_whitespace(ids), "").to_numpy(zero_copy_only=False)


def current_records(ids: pa.Array) -> np.ndarray:
    """The rows of a current extract that become records of fct_sus_activity: the first copy of
    each id; a row with a blank id is no record (quarantined as sus_record_id_missing)."""
    return _first_occurrence(ids) & ~_blank_ids(ids)


def _first_occurrence(ids: pa.Array) -> np.ndarray:
    index = ids.dictionary_encode().indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(index, return_index=True)
    mask = np.zeros(index.size, bool)
    mask[first] = True
    return mask
