"""How big each scale is, what it plants, and at what rates (all tunable dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field

SOUTH_LONDON_PROVIDERS = ("RJ1", "RJZ", "RJ7", "RPY", "RJ2", "RJ6", "RAX", "RVR")


@dataclass(frozen=True)
class DefectRates:
    """Chance that an eligible row carries a planted defect, one field per check id.

    `service_line_unknown` and `pod_unknown` add extra rows (so they never disturb the
    triangulation cells); the others alter existing rows. The cross-dataset checks and
    `submission_missing` are planted by `Scenarios`, not by rates.
    """

    icb_of_residence_missing: float = 0.03
    icb_of_residence_invalid: float = 0.01
    icb_of_registration_missing: float = 0.04
    icb_of_registration_invalid: float = 0.01
    service_line_unknown: float = 0.005
    pod_unknown: float = 0.005
    price_invalid: float = 0.01
    activity_invalid: float = 0.005
    activity_negative: float = 0.01
    financial_period_invalid: float = 0.004
    provider_code_mismatch: float = 0.003
    nhs_number_not_verified: float = 0.02
    gp_practice_default: float = 0.02
    sus_record_duplicate: float = 0.002
    sus_record_id_missing: float = 0.0005
    record_type_invalid: float = 0.003
    sus_dates_inconsistent: float = 0.004
    # identification rules (speccomm_testkit.generate.ir): the share of specialised records planted with
    # another line's or no line's codes, and of background records with a line's diagnosis
    service_line_ir_mismatch: float = 0.02
    # background records whose diagnosis is not a well-formed code (text after the code, or none)
    ir_code_invalid: float = 0.003


@dataclass(frozen=True)
class Scenarios:
    """Counts of planted events (submission patterns and triangulation variances)."""

    activity_variances: int = 4  # provider x service line x POD x month, >= 25% off
    spend_variances: int = 3  # provider x ICB x month, >= 25% off
    resubmissions: int = 2  # a month's SLAM file re-sent with changed figures
    corrections: int = 1  # a later file stating only one earlier month
    splits: int = 1  # an M12 statement split into M01-M06 and M07-M12 files
    late: int = 2  # a SLAM file received after the deadline (and after the next month's)
    stopped: int = 1  # a provider stops submitting before the year ends (months missing)
    monthly_only: int = 1  # a provider sending month-only files that skips one month
    skipped_covered: int = 1  # a month's file never sent but restated by the next one
    sus_resend_share: float = 0.15  # share of SUS dataset-months re-sent with changes
    ledger_reextract_share: float = 0.1  # share of ledger periods re-extracted


@dataclass(frozen=True)
class Scale:
    name: str
    providers: tuple[str, ...] | None  # None: every provider in the seed with activity
    years: tuple[int, ...]  # financial years (start year) generated, April to March
    ledger_entities: tuple[str, ...] | None  # None: every ICB
    sus_records_per_year: int  # target, specialised plus background (ignored if spend set)
    sel_swl_spend_per_year: float | None  # pathfinder: calibrate volume to this spend
    lines_by_type: dict[str, int]  # service lines per provider, by provider type
    hrgs_per_pod: int
    residence_split_flows: int  # largest flows per provider with some residence elsewhere
    other_icb_flows: int  # "rest of country" registration ICBs per provider
    plan_flows: int = 2  # Plan rows per line and month: the largest local flows
    background_share: float = 0.15  # SUS records that are not specialised (not in SLAM)
    sus_chunk_records: int = 250_000  # bounded memory: SUS rows generated per chunk
    rates: DefectRates = field(default_factory=DefectRates)
    scenarios: Scenarios = field(default_factory=Scenarios)


SCALES: dict[str, Scale] = {
    "demo": Scale(
        name="demo",
        providers=SOUTH_LONDON_PROVIDERS,
        years=(2024, 2025),
        ledger_entities=("QKK", "QWE"),
        sus_records_per_year=24_000,
        sel_swl_spend_per_year=None,
        lines_by_type={"tertiary": 3, "specialist": 3, "district_general": 2},
        hrgs_per_pod=1,
        residence_split_flows=1,
        other_icb_flows=0,
        plan_flows=1,
    ),
    "pathfinder": Scale(
        name="pathfinder",
        providers=SOUTH_LONDON_PROVIDERS,
        years=(2024, 2025),
        ledger_entities=("QKK", "QWE", "QKS", "QXU", "QNX"),
        sus_records_per_year=0,
        sel_swl_spend_per_year=1.1e9,
        lines_by_type={"tertiary": 30, "specialist": 14, "district_general": 6},
        hrgs_per_pod=2,
        residence_split_flows=3,
        other_icb_flows=4,
        scenarios=Scenarios(activity_variances=8, spend_variances=6, resubmissions=4, late=4),
    ),
    "national": Scale(
        name="national",
        providers=None,
        years=(2025,),
        ledger_entities=None,
        sus_records_per_year=20_000_000,
        sel_swl_spend_per_year=None,
        lines_by_type={
            "tertiary": 24,
            "specialist": 12,
            "district_general": 5,
            "mental_health": 3,
            "independent_sector": 2,
        },
        hrgs_per_pod=1,
        residence_split_flows=1,
        other_icb_flows=3,
        scenarios=Scenarios(
            activity_variances=30,
            spend_variances=20,
            resubmissions=10,
            corrections=5,
            splits=5,
            late=10,
            stopped=3,
            monthly_only=2,
            skipped_covered=5,
            sus_resend_share=0.1,
            ledger_reextract_share=0.03,
        ),
    ),
}
