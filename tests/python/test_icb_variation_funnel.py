"""rpt_icb_variation's funnel (issue 24): Spiegelhalter's over-dispersed limits as NHS-R's
FunnelPlotR draws them for a standardised ratio (square-root transform, z-scores winsorised at
10 %, φ, additive τ²), the centre line from outside the ICBs tested, no flag with fewer than
5 comparators, NULL (never a failed night) for a negative rate.

The fixture is the dbt unit test `icb_variation_funnel_known_phi` in
models/after_marts/finance/_finance__unit_tests.yml with the leaves of its step's test
`icb_variation_z_scores_known_phi` (the ICBs' rates and the reference rates; the funnel's test
is given the step's z-scores): dbt checks the models give their expected rows (they run with
every `dbt build` of the models); this module recomputes the funnel's expected rows and the
z-scores it is given from the leaves, independently of the SQL (Python's statistics module:
R's type-7 quantiles are `statistics.quantiles(method="inclusive")`), so the fixture's figures
are not the model's own output copied back. Method: docs/marts/icb-variation.md."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import yaml

FINANCE = Path(__file__).resolve().parents[2] / "models" / "after_marts" / "finance"
UNIT_TESTS = FINANCE / "_finance__unit_tests.yml"
Z95 = statistics.NormalDist().inv_cdf(0.975)
Z998 = statistics.NormalDist().inv_cdf(0.999)
MIN_COMPARATORS = 5


@dataclass
class Unit:
    line: str
    icb: str
    expected: float  # activity the centre line expects
    expected_spend: float
    observed: float
    observed_spend: float
    centre: float  # per 100k for the months covered
    centre_spend: float
    reason: str | None

    def z(self, spend: bool = False) -> float:
        ratio = self.observed_spend / self.expected_spend if spend else self.observed / self.expected
        return (math.sqrt(ratio) - 1) * 2 * math.sqrt(self.expected)


def unit_test(name: str) -> dict:
    tests = yaml.safe_load(UNIT_TESTS.read_text(encoding="utf-8"))["unit_tests"]
    return next(t for t in tests if t["name"] == name)


def given(test: dict, ref: str) -> list[dict]:
    """The rows `test` gives for `ref`; a funnel test's leaves are its z-scores step's test's."""
    if test["model"] == "int_finance__icb_variation_funnel":
        test = unit_test(test["name"].replace("_funnel_", "_z_scores_"))
    return next(g["rows"] for g in test["given"] if g["input"] == f"ref('{ref}')")


def given_z_scores(test: dict) -> dict[tuple[str, str], dict]:
    """The z-scores step's rows a funnel test is given (SQL), by line and ICB."""
    sql = next(g["rows"] for g in test["given"] if g["input"] == "ref('int_finance__icb_variation_z_scores')")
    relation = duckdb.sql(sql)
    return {(r["service_line_code"], r["icb_code"]): r
            for r in (dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall())}


def reference_rate(rates: list[dict], line: str, year: str, region: str) -> dict | None:
    """The region's row before England's; the year, else the latest earlier, else the earliest."""
    rows = [r for r in rates if r["service_line_code"] == line and r["geography_code"] in (region, "ENG")]
    if not rows:
        return None
    return min(rows, key=lambda r: (r["geography_code"] != region, r["financial_year"] > year,
                                    _year_order(r["financial_year"], year)))


def _year_order(candidate: str, year: str) -> tuple:
    earlier = candidate <= year
    return (-int(candidate[:4]),) if earlier else (int(candidate[:4]),)


def units(test: dict) -> list[Unit]:
    rates = given(test, "stg_reference__service_line_reference_rates")
    national = {r["footprint_setting"] for r in given(test, "int_reference__footprint")} == {"national"}
    lines = given(test, "int_finance__icb_line_rates")
    pooled = {}
    for r in lines:
        key = (r["service_line_code"], r["financial_year"])
        a, s, p = pooled.get(key, (0.0, 0.0, 0.0))
        pooled[key] = (a + r["activity"] + r["estimated_activity"],
                       s + r["spend_gbp"] + r["estimated_spend_gbp"], p + r["weighted_population"])
    found = []
    for r in lines:
        key = (r["service_line_code"], r["financial_year"])
        if national:
            a, s, p = pooled[key]
            centre, centre_spend = 1e5 * a / p, 1e5 * s / p
        else:
            ref = reference_rate(rates, *key, r["region_code"])
            centre = ref["activity_per_100k"] * r["year_fraction"]
            centre_spend = ref["spend_per_100k"] * r["year_fraction"]
        observed = r["activity"] + r["estimated_activity"]
        observed_spend = r["spend_gbp"] + r["estimated_spend_gbp"]
        reason = None
        if not (r["is_in_footprint"] or national):
            reason = "outside_footprint"
        elif centre <= 0 or centre_spend <= 0:
            reason = "centre_not_positive"
        elif observed < 0 or observed_spend < 0:
            reason = "negative_rate"
        population = r["weighted_population"]
        found.append(Unit(*key[:1], r["icb_code"], centre * population / 1e5, centre_spend * population / 1e5,
                          observed, observed_spend, centre, centre_spend, reason))
    return found


def dispersion(judged: list[Unit], spend: bool) -> tuple[float, float]:
    """φ from the z-scores winsorised at their 10th and 90th percentiles; τ² (DerSimonian-Laird)
    with weights 1 / s² = 4E."""
    z = [u.z(spend) for u in judged]
    deciles = statistics.quantiles(z, n=10, method="inclusive")
    low, high = deciles[0], deciles[-1]
    k = len(z)
    phi = sum(min(max(v, low), high) ** 2 for v in z) / k
    w = [4 * u.expected for u in judged]
    tau2 = max(0.0, (k * phi - (k - 1)) / (sum(w) - sum(x * x for x in w) / sum(w)))
    return phi, tau2


def places(value: float, n: int) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.000001"), ROUND_HALF_UP).quantize(
        Decimal(1).scaleb(-n), ROUND_HALF_UP)


def limits_and_flags(u: Unit, judged: bool, tau2: float, spend_tau2: float) -> dict:
    """The 95 % and 99.8 % limits at the ICB's expected count, τ² added to the sampling
    variance 1 / 4E on the square-root scale, and the flags (None when not judged)."""
    row: dict = {}
    for measure, centre, observed, expected, between in (
        ("activity", u.centre, u.observed, u.expected, tau2),
        ("spend", u.centre_spend, u.observed_spend, u.expected_spend, spend_tau2),
    ):
        sd = math.sqrt(1 / (4 * u.expected) + between)
        digits = 4 if measure == "activity" else 2
        flag = "is_outlier" if measure == "activity" else "is_spend_outlier"
        for level, z in (("95", Z95), ("998", Z998)):
            row[f"{measure}_lower_{level}_per_100k"] = places(centre * max(1 - z * sd, 0) ** 2, digits)
            row[f"{measure}_upper_{level}_per_100k"] = places(centre * (1 + z * sd) ** 2, digits)
            row[f"{flag}_{level}"] = abs(math.sqrt(observed / expected) - 1) > z * sd if judged else None
    return row


def expected_rows(test: dict) -> dict[tuple[str, str], dict]:
    everything = units(test)
    rows = {}
    for line in sorted({u.line for u in everything}):
        members = [u for u in everything if u.line == line]
        judged = [u for u in members if u.reason is None]
        k = len(judged)
        phi, tau2 = dispersion(judged, False) if k >= MIN_COMPARATORS else (None, 0.0)
        spend_phi, spend_tau2 = dispersion(judged, True) if k >= MIN_COMPARATORS else (None, 0.0)
        for u in members:
            reason = u.reason or (None if k >= MIN_COMPARATORS else "fewer_than_5_comparators")
            row = {"comparators": k, "no_flag_reason": reason,
                   "phi": None if phi is None else places(phi, 6),
                   "spend_phi": None if spend_phi is None else places(spend_phi, 6)}
            if u.expected <= 0:  # no funnel at all: nothing to draw, nothing judged
                row |= {"is_outlier_95": None, "is_outlier_998": None}
            else:
                row |= limits_and_flags(u, reason is None, tau2, spend_tau2)
            rows[(u.line, u.icb)] = row
    return rows


def stated_rows(test: dict) -> dict[tuple[str, str], dict]:
    stated = {}
    for row in test["expect"]["rows"]:
        values = {k: (Decimal(str(v)) if isinstance(v, float | int) and not isinstance(v, bool)
                      and k not in ("comparators",) else v) for k, v in row.items()}
        stated[(row["service_line_code"], row["icb_code"])] = values
    return stated


def test_the_fixtures_expected_funnel_is_recomputed_independently() -> None:
    test = unit_test("icb_variation_funnel_known_phi")
    recomputed, stated = expected_rows(test), stated_rows(test)
    assert set(recomputed) == set(stated)
    for key, row in stated.items():
        for column, value in row.items():
            if column in ("service_line_code", "icb_code", "financial_year"):
                continue
            assert recomputed[key][column] == value, (key, column, recomputed[key][column], value)


def test_the_fixture_has_a_known_over_dispersion_and_flags_it_changes() -> None:
    """φ of line L1 is far above 1 (τ² > 0 widens the limits): without τ², more ICBs would
    flag; the extreme ICB still does."""
    test = unit_test("icb_variation_funnel_known_phi")
    judged = [u for u in units(test) if u.line == "L1" and u.reason is None]
    phi, tau2 = dispersion(judged, False)
    assert phi > 20 and tau2 > 0
    poisson_flags = sum(abs(math.sqrt(u.observed / u.expected) - 1) > Z95 / (2 * math.sqrt(u.expected))
                        for u in judged)
    rows = stated_rows(test)
    flagged = sum(bool(rows[("L1", u.icb)]["is_outlier_95"]) for u in judged)
    assert poisson_flags > flagged >= 1


def test_fewer_than_five_comparators_never_flag_and_say_why() -> None:
    rows = stated_rows(unit_test("icb_variation_funnel_known_phi"))
    few = [r for (line, _), r in rows.items() if line == "L2"]
    assert few and all(r["comparators"] < MIN_COMPARATORS for r in few)
    assert all(r["is_outlier_95"] is None and r["is_outlier_998"] is None for r in few)
    assert {r["no_flag_reason"] for r in few} == {"fewer_than_5_comparators"}


def test_a_negative_rate_is_not_judged_and_the_night_does_not_fail() -> None:
    """An adjustment-only line (activity −2, −£500) has no square root: NULL with the reason
    (it used to fail the build on 'Could not cast value -nan'); the national test of the same
    case, whose pooled centre is itself negative, says centre_not_positive."""
    rows = stated_rows(unit_test("icb_variation_funnel_known_phi"))
    assert rows[("L3", "A01")]["no_flag_reason"] == "negative_rate"
    assert rows[("L3", "A01")]["is_outlier_95"] is None
    national = unit_test("icb_variation_funnel_national_negative_centre")
    recomputed, stated = expected_rows(national), stated_rows(national)
    assert {r["no_flag_reason"] for r in stated.values()} == {"centre_not_positive"}
    assert {k: r["no_flag_reason"] for k, r in recomputed.items()} == {
        k: r["no_flag_reason"] for k, r in stated.items()}


def test_the_funnels_given_z_scores_are_its_leaves_recomputed() -> None:
    """The funnel's tests are given the z-scores step's rows: they are what the step's tests'
    leaves give (centre, expected counts, the reason an ICB is not judged, z), so the two
    fixtures tell one story."""
    for name in ("icb_variation_funnel_known_phi", "icb_variation_funnel_national_negative_centre"):
        test = unit_test(name)
        rows = given_z_scores(test)
        found = units(test)
        assert set(rows) == {(u.line, u.icb) for u in found}
        for u in found:
            row = rows[(u.line, u.icb)]
            assert row["unit_reason"] == u.reason, (name, u.line, u.icb)
            for column, value in (
                ("expected_activity", u.expected), ("expected_spend_gbp", u.expected_spend),
                ("centre_activity_per_100k", u.centre), ("centre_spend_per_100k", u.centre_spend),
                ("observed_activity", u.observed), ("observed_spend_gbp", u.observed_spend),
            ):
                assert math.isclose(float(row[column]), value, rel_tol=1e-12), (name, u.line, u.icb, column)
            if u.reason is None:
                assert math.isclose(row["z_score"], u.z(), rel_tol=1e-9, abs_tol=1e-12)
                assert math.isclose(row["spend_z_score"], u.z(spend=True), rel_tol=1e-9, abs_tol=1e-12)
            else:
                assert row["z_score"] is None and row["spend_z_score"] is None
