"""Clinical codes on SUS records that agree with the identification-rule seeds, and the planted
mis-assignments (docs/identification-rules.md, "The synthetic data").

Every record of a specialised line carries a primary diagnosis and procedure from that line's
rules (age kept inside the rules' band), so the rules derive the supplied line; background
records carry codes no rule knows. A few records are planted wrong, chosen by a hash of the
record number (so duplicate copies and re-sent extracts agree, and no other generated value
moves: this stream is apart from every other):
  wrong_line               a procedure of another line, which wins on precedence;
  non_specialised_flagged  a line supplied, but codes no rule knows;
  specialised_not_flagged  no line supplied (background), but a diagnosis of a line.
Records of a line whose rules need a designated provider, at a provider not designated, are
not derived either (provider_not_designated), nor are supplied codes unknown to the reference
(service_line_unknown). The intended derived line of every record is returned with its codes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from speccomm.config import SEEDS_DIR
from speccomm_testkit.generate import codes
from speccomm_testkit.generate.rand import rng_for
from speccomm_testkit.generate.sus_records import Chunk, mix48

KINDS = (
    "agree",
    "wrong_line",
    "non_specialised_flagged",
    "specialised_not_flagged",
    "provider_not_designated",
    "service_line_unknown",
)
OUTCOME_OF_KIND = {
    "agree": "agree",
    "wrong_line": "different_line",
    "non_specialised_flagged": "supplied_not_derived",
    "specialised_not_flagged": "derived_not_supplied",
    "provider_not_designated": "supplied_not_derived",
    "service_line_unknown": "supplied_not_derived",
}
WRONG_LINE_SHARE = 0.4  # of the planted share on specialised records; the rest: not derived


@dataclass(frozen=True)
class Rule:
    rule_id: str
    line: str
    code_type: str
    code: str  # a code of the rule's code set, written as SUS writes it (C50.1)
    age_from: int
    age_to: int
    designation: bool
    precedence: int
    valid_from: date
    valid_to: date | None


def _rows(seeds: Path, name: str) -> list[dict[str, str]]:
    with (seeds / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _example_code(pattern: str) -> str:
    """A code the pattern matches, written with the dot after three characters."""
    code = pattern.replace(".", "").replace(" ", "").upper().rstrip("*").split("-")[0]
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def _load_rules(seeds: Path) -> list[Rule]:
    sets: dict[str, tuple[str, str]] = {}
    for row in _rows(seeds, "ir_code_sets"):
        sets.setdefault(row["code_set_id"].upper(), (row["code_type"], _example_code(row["code_pattern"])))
    rules = []
    for row in _rows(seeds, "ir_rules"):
        code_type, code = sets[row["code_set_id"].upper()]
        rules.append(
            Rule(
                rule_id=row["rule_id"],
                line=row["service_line_code"].upper(),
                code_type=code_type,
                code=code,
                age_from=int(row["age_from"] or 0),
                age_to=int(row["age_to"] or 120),
                designation=row["requires_designation"] == "true",
                precedence=int(row["precedence"]),
                valid_from=date.fromisoformat(row["valid_from"]),
                valid_to=date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
            )
        )
    return rules


class IrCoder:
    """The codes of a chunk's records and the line the rules will derive for each."""

    def __init__(self, world, vocab, supplied_texts: list[str], seeds: Path = SEEDS_DIR) -> None:
        self.world, self.rate = world, world.scale.rates.service_line_ir_mismatch
        first, last = world.months[0].first_day, world.months[-1].first_day
        rules = [r for r in _load_rules(seeds) if r.code_type in ("diagnosis", "procedure")]
        self.by_line: dict[str, dict[str, Rule]] = {}
        for rule in rules:
            if rule.valid_from <= first and (rule.valid_to is None or rule.valid_to >= last):
                self.by_line.setdefault(rule.line, {}).setdefault(rule.code_type, rule)
        designated = {
            (r["service_line_code"].upper(), r["provider_code"].upper())
            for r in _rows(seeds, "ir_designated_providers")
            if not r["valid_to"]
        }
        lines = world.lines
        self.providers = sorted({line.provider for line in lines})
        self.supplied = supplied_texts
        self.diagnoses = sorted(
            {r["diagnosis"].code for r in self.by_line.values() if "diagnosis" in r}
            | set(codes.DIAGNOSES[""])
        )
        self.procedures = sorted(
            {r["procedure"].code for r in self.by_line.values() if "procedure" in r}
            | set(codes.PROCEDURES[""])
        )
        self.neutral_dx = np.array([self.diagnoses.index(x) for x in codes.DIAGNOSES[""]])
        # malformed diagnoses (check ir_code_invalid): a code with a note after it, or no code
        malformed = [f"{code} see clinic letter" for code in codes.DIAGNOSES[""][:3]] + ["NOT KNOWN"]
        self.malformed_dx = np.arange(len(self.diagnoses), len(self.diagnoses) + len(malformed))
        self.diagnoses += malformed
        self.invalid_rate = world.scale.rates.ir_code_invalid
        self.diagnosis_vocab, self.procedure_vocab = pa.array(self.diagnoses), pa.array(self.procedures)
        self.neutral_px = np.array([self.procedures.index(x) for x in codes.PROCEDURES[""]])
        self.targets = sorted(self.by_line)  # lines the rules can derive
        self.target_index = {line: i for i, line in enumerate(self.targets)}
        self._tables(designated)
        # per world line: its own target (-1 = none: background, 99999999, unknown to the rules)
        self.line_target = np.array([self.target_index.get(line.service_line, -1) for line in lines])
        self.line_provider = np.array([self.providers.index(line.provider) for line in lines])
        self.vocab_provider = np.array([self._provider_slot(t) for t in vocab.provider_text])

    def _provider_slot(self, text: str) -> int:
        code = self.world.ref.resolver.provider(text)
        return self.providers.index(code) if code in self.providers else -1

    def _tables(self, designated: set[tuple[str, str]]) -> None:
        t = len(self.targets)
        self.dx = np.full(t, -1)
        self.px = np.full(t, -1)
        self.age_from, self.age_to = np.zeros(t, np.int64), np.full(t, 120)
        self.fires_at = np.zeros((t, len(self.providers) + 1), bool)  # last column: unknown provider
        for i, line in enumerate(self.targets):
            rules = self.by_line[line]
            if "diagnosis" in rules:
                self.dx[i] = self.diagnoses.index(rules["diagnosis"].code)
            if "procedure" in rules:
                self.px[i] = self.procedures.index(rules["procedure"].code)
            self.age_from[i] = max(r.age_from for r in rules.values())
            self.age_to[i] = min(r.age_to for r in rules.values())
            for p, provider in enumerate(self.providers):
                self.fires_at[i, p] = all(
                    not r.designation or (line, provider) in designated for r in rules.values()
                )
        self.with_px = np.flatnonzero(self.px >= 0)
        self.with_dx = np.flatnonzero(self.dx >= 0)

    def assign(self, c: Chunk, supplied: np.ndarray, month, dataset: str) -> dict[str, object]:
        """Diagnosis and procedure texts, ages, and per record the intended derived line
        (index into self.targets, -1 = none) and kind (index into KINDS)."""
        n = c.k.size
        rng = rng_for(self.world.seed, "sus", "ir", dataset, month.yyyymm)
        salt = np.uint64(int(rng.integers(0, 2**40)))
        u = (mix48(c.k.astype(np.uint64) ^ salt) % np.uint64(1_000_000)).astype(np.float64) / 1e6
        pick = mix48(c.k.astype(np.uint64) * np.uint64(3) + salt)
        provider = self.vocab_provider[c.provider]
        provider = np.where(provider < 0, len(self.providers), provider)
        own = self.line_target[c.line]
        known = np.array([t in self.by_line or t in ("", "99999999") for t in self.supplied])
        supplied_known = known[supplied]
        supplied_blank = np.array([t == "" for t in self.supplied])[supplied]
        dx = self.neutral_dx[c.patient % self.neutral_dx.size]
        px = self.neutral_px[c.k % self.neutral_px.size]
        target = np.full(n, -1)
        kind = np.zeros(n, np.int64)
        specialised = own >= 0
        wrong = specialised & (u < self.rate * WRONG_LINE_SHARE)
        unflagged = specialised & ~wrong & (u < self.rate)
        normal = specialised & ~wrong & ~unflagged
        # the line's own codes: derived when its rules fire at the provider
        dx = np.where(normal & (self.dx[np.maximum(own, 0)] >= 0), self.dx[np.maximum(own, 0)], dx)
        px = np.where(normal & (self.px[np.maximum(own, 0)] >= 0), self.px[np.maximum(own, 0)], px)
        fires = self.fires_at[np.maximum(own, 0), provider]
        target = np.where(normal & fires, own, target)
        kind = np.where(normal & ~fires, KINDS.index("provider_not_designated"), kind)
        kind = np.where(unflagged, KINDS.index("non_specialised_flagged"), kind)
        # wrong line: the line's diagnosis, another line's procedure (precedence 100 beats 200)
        other = self._other_line(self.with_px, own, provider, pick)
        wrong &= other >= 0
        dx = np.where(wrong & (self.dx[np.maximum(own, 0)] >= 0), self.dx[np.maximum(own, 0)], dx)
        px = np.where(wrong, self.px[np.maximum(other, 0)], px)
        target = np.where(wrong, other, target)
        kind = np.where(wrong, KINDS.index("wrong_line"), kind)
        # not flagged: no line supplied (background records), a line's diagnosis
        background = (own < 0) & supplied_blank
        flagged = background & (u < self.rate)
        derived = self._other_line(self.with_dx, np.full(n, -1), provider, pick)
        flagged &= derived >= 0
        dx = np.where(flagged, self.dx[np.maximum(derived, 0)], dx)
        target = np.where(flagged, derived, target)
        kind = np.where(flagged, KINDS.index("specialised_not_flagged"), kind)
        kind = np.where(~supplied_known & (target < 0), KINDS.index("service_line_unknown"), kind)
        # a background record's diagnosis written malformed: it stays derived by no rule
        malformed = background & ~flagged & (_uniform(c.k, salt ^ np.uint64(0x1C0DE)) < self.invalid_rate)
        which = (pick % np.uint64(self.malformed_dx.size)).astype(np.int64)
        dx = np.where(malformed, self.malformed_dx[which], dx)
        low, high = self.age_from[np.maximum(target, 0)], self.age_to[np.maximum(target, 0)]
        age = np.where(target >= 0, np.clip(c.age, low, high), c.age)
        return {
            "primary_diagnosis_code": pc.take(self.diagnosis_vocab, pa.array(dx.astype(np.int64))),
            "primary_procedure_code": pc.take(self.procedure_vocab, pa.array(px.astype(np.int64))),
            "age": age,
            "ir:target": target,
            "ir:kind": kind,
        }

    def _other_line(
        self, pool: np.ndarray, own: np.ndarray, provider: np.ndarray, pick: np.ndarray
    ) -> np.ndarray:
        """A line of `pool` other than `own` whose rules fire at the record's provider (-1: none),
        chosen by the record's hash."""
        result = np.full(own.size, -1)
        for p in np.unique(provider):
            rows = np.flatnonzero(provider == p)
            choices = pool[self.fires_at[pool, p]]
            if choices.size < 2:
                continue
            chosen = choices[(pick[rows] % np.uint64(choices.size)).astype(np.int64)]
            clash = chosen == own[rows]
            chosen[clash] = choices[(np.searchsorted(choices, chosen[clash]) + 1) % choices.size]
            result[rows] = chosen
        return result


def _uniform(k: np.ndarray, salt: np.uint64) -> np.ndarray:
    """A uniform [0, 1) per record number, from its hash (no random stream is drawn)."""
    return (mix48(k.astype(np.uint64) ^ salt) % np.uint64(1_000_000)).astype(np.float64) / 1e6
