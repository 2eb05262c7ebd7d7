"""Small, plausible clinical code lists by National Programme of Care (illustrative only)."""

from __future__ import annotations

# HRG chapter letters by NPoC (the HRG4+ chapters are real; the full codes built from them are not)
HRG_CHAPTERS = {
    "IM": "EDFLGK",
    "CA": "SJWL",
    "WC": "PNM",
    "TR": "AHV",
    "BI": "SW",
    "MH": "U",
    "": "W",
}
OP_HRG = {"OPFA": "WF01B", "OPFUP": "WF01A"}

TREATMENT_FUNCTIONS = {
    "IM": ("320", "361", "301", "340", "306"),
    "CA": ("370", "800", "303", "103"),
    "WC": ("420", "422", "501", "321"),
    "TR": ("110", "150", "160", "190"),
    "BI": ("303", "350", "309"),
    "MH": ("710", "711", "715"),
    "": ("100", "300", "101", "502"),
}

DIAGNOSES = {
    "IM": ("I21.4", "I35.0", "N18.5", "I50.0", "K74.6", "E84.0"),
    "CA": ("C50.9", "C34.1", "C18.7", "C61.X", "C91.0", "C71.9"),
    "WC": ("P07.3", "Q21.0", "P22.0", "O36.5", "Q90.9"),
    "TR": ("S06.5", "S32.0", "G35.X", "M41.1", "S72.0"),
    "BI": ("D57.1", "B20.X", "D66.X", "D61.9"),
    "MH": ("F50.0", "F20.0", "F31.2"),
    "": ("R10.4", "J18.9", "K80.2", "M17.1", "H25.9", "N39.0"),
}

PROCEDURES = {
    "IM": ("K40.1", "K57.1", "M01.2", "X40.3", "K63.1"),
    "CA": ("X72.1", "B27.4", "E54.1", "H33.3", "X65.3"),
    "WC": ("X70.1", "K17.1", "R17.2", "E85.1"),
    "TR": ("A02.1", "V25.2", "W37.1", "V38.2"),
    "BI": ("X33.1", "X36.1", "X34.1"),
    "MH": ("",),
    "": ("W40.1", "C75.1", "J18.3", "H22.9", ""),
}

# SUS ages by NPoC: (mean, spread) of a clipped normal
AGES = {
    "IM": (62, 16), "CA": (60, 14), "WC": (4, 6), "TR": (48, 20), "BI": (40, 18), "MH": (24, 9),
    "": (55, 22),
}
