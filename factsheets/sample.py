"""The bundled synthetic sample: deterministic fake DGDDI-like trade data for all 101 departments.

The real departmental files cannot be downloaded from the machines the project is built on,
so the project ships this sample. It is generated, not observed: only the figures printed on
the published 2024 sheets (spec section 2) are reproduced exactly, to the euro; everything
else is illustrative.

How it is built (all randomness from numpy Generators seeded from SEED, so every run gives
the same file):

1. Totals. For each year and flow the national total is split into department totals in
   whole euros, in proportion to rough department sizes (DEPARTMENT_SIZES), with a share
   left unallocated (department "00"). In 2024 the published figures are imposed: the
   nation, the Hauts-de-France region, Aisne exports, Oise exports and imports. Earlier
   years (2019-2023) follow national factors (the 2020 dip, the 2022 import surge), each
   department's own drift and its product mix. No two departments print the same total
   (0.1 M€) in a year and flow: clashes are nudged apart, keeping every sum exact.
2. Structure. For each department and flow, a set of products and partner countries is
   drawn (more of both for bigger departments), weighted by a national product mix, the
   department's specialities, partner weights, neighbourhood effects and product-country
   affinities; a sparse set of product x country cells gets a base value.
3. Years. Each year perturbs the base values a little (and, before 2024, by product trends:
   energy prices, aircraft) and scales them to the department's
   total; values are rounded down to whole euros (at least MIN_VALUE_EUR) and the rounding
   remainder goes on the largest row, so every total is exact.
4. A tie. In Lozère's 2024 exports two products are given exactly the same total, so that
   tie-breaking (value descending, then code ascending) is exercised on real sample data.

Run `python -m factsheets.sample [--out PATH]` to rewrite the Parquet file; its key-value
metadata says it is synthetic.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from .errors import FactsheetsError, error_detail
from .paths import SAMPLE_DATA
from .reference import Reference, load_reference
from .validate import FLOWS

SEED = 20240517
YEARS = (2019, 2020, 2021, 2022, 2023, 2024)
LATEST = YEARS[-1]
UNALLOCATED = "00"
MIN_VALUE_EUR = 250

# Published 2024 figures (spec section 2), in euros: imposed exactly.
NATION_2024 = {"export": 580_354_500_000, "import": 684_776_300_000}
REGION_2024 = {("32", "export"): 68_021_000_000, ("32", "import"): 85_786_300_000}
DEPARTMENT_2024 = {
    ("02", "export"): 3_517_500_000,
    ("60", "export"): 9_114_800_000,
    ("60", "import"): 11_319_000_000,
}
# National totals relative to 2024 (illustrative, shaped like French trade: the 2020 dip,
# the 2021 rebound, the 2022 import surge with energy prices, then imports easing).
YEAR_FACTORS = {
    2019: {"export": 0.8790, "import": 0.8310},
    2020: {"export": 0.7420, "import": 0.7195},
    2021: {"export": 0.8680, "import": 0.8560},
    2022: {"export": 0.9920, "import": 1.0990},
    2023: {"export": 1.0143, "import": 1.0626},
    2024: {"export": 1.0, "import": 1.0},
}
# Product weights relative to 2024, per year (both flows): energy prices (crude oil, gas,
# refined products, electricity) and the aircraft slump of 2020. 2024 is 1 for every product.
PRODUCT_YEAR_FACTORS: dict[str, dict[int, float]] = {
    "B06Z": {2019: 0.95, 2020: 0.50, 2021: 0.90, 2022: 2.00, 2023: 1.25},
    "B05Z": {2019: 0.80, 2020: 0.60, 2021: 1.00, 2022: 2.20, 2023: 1.30},
    "C19Z": {2019: 0.90, 2020: 0.55, 2021: 0.85, 2022: 1.70, 2023: 1.20},
    "D35Z": {2019: 0.60, 2020: 0.50, 2021: 0.90, 2022: 3.00, 2023: 1.60},
    "C30C": {2019: 1.10, 2020: 0.62, 2021: 0.68, 2022: 0.82, 2023: 0.93},
    "C29A": {2019: 1.05, 2020: 0.80, 2021: 0.85, 2022: 0.92, 2023: 1.02},
    "C21Z": {2019: 0.82, 2020: 0.86, 2021: 0.90, 2022: 0.95, 2023: 0.98},
}
# Year-to-year drift of each department's weight (log-normal sigma), on top of its product mix.
DEPARTMENT_DRIFT = 0.045
# Share of the national total not allocated to any department.
UNALLOCATED_SHARE = {"export": 0.031, "import": 0.027}
TIE_DEPARTMENT, TIE_FLOW, TIE_YEAR = "48", "export", 2024

# Rough department sizes, billions of euros (exports, imports): only their proportions matter.
DEPARTMENT_SIZES: dict[str, tuple[float, float]] = {
    "01": (7.0, 7.0),
    "02": (3.5, 3.3),
    "03": (1.6, 1.4),
    "04": (1.2, 0.9),
    "05": (0.25, 0.3),
    "06": (4.5, 5.5),
    "07": (1.5, 1.2),
    "08": (1.8, 1.5),
    "09": (0.6, 0.4),
    "10": (2.2, 2.0),
    "11": (1.2, 1.0),
    "12": (1.4, 1.0),
    "13": (22.0, 42.0),
    "14": (3.5, 4.0),
    "15": (0.3, 0.2),
    "16": (4.5, 1.5),
    "17": (2.8, 3.2),
    "18": (1.8, 1.5),
    "19": (0.8, 0.7),
    "2A": (0.05, 0.3),
    "2B": (0.1, 0.35),
    "21": (3.5, 3.0),
    "22": (2.2, 2.0),
    "23": (0.15, 0.12),
    "24": (1.0, 0.8),
    "25": (5.0, 4.0),
    "26": (3.2, 3.5),
    "27": (6.0, 6.5),
    "28": (4.0, 4.5),
    "29": (3.0, 3.2),
    "30": (2.5, 3.0),
    "31": (36.0, 22.0),
    "32": (0.6, 0.3),
    "33": (11.0, 10.0),
    "34": (2.5, 4.0),
    "35": (5.0, 6.0),
    "36": (0.9, 0.8),
    "37": (3.0, 2.8),
    "38": (11.0, 10.0),
    "39": (1.5, 1.2),
    "40": (2.0, 1.5),
    "41": (1.8, 1.7),
    "42": (3.2, 3.4),
    "43": (1.0, 0.8),
    "44": (13.0, 18.0),
    "45": (6.5, 7.5),
    "46": (0.5, 0.4),
    "47": (1.2, 1.0),
    "48": (0.08, 0.06),
    "49": (4.0, 4.5),
    "50": (2.0, 1.8),
    "51": (8.0, 3.5),
    "52": (1.0, 0.7),
    "53": (1.8, 1.5),
    "54": (3.2, 3.5),
    "55": (1.0, 0.8),
    "56": (2.2, 2.4),
    "57": (10.0, 12.0),
    "58": (0.5, 0.4),
    "59": (33.0, 43.0),
    "60": (9.1, 11.3),
    "61": (1.1, 1.0),
    "62": (14.0, 18.0),
    "63": (5.5, 3.5),
    "64": (5.0, 3.5),
    "65": (1.2, 0.8),
    "66": (2.5, 4.0),
    "67": (15.0, 16.0),
    "68": (10.0, 9.0),
    "69": (18.0, 24.0),
    "70": (1.0, 0.8),
    "71": (3.5, 3.0),
    "72": (3.0, 3.0),
    "73": (2.5, 2.0),
    "74": (4.5, 4.0),
    "75": (26.0, 34.0),
    "76": (20.0, 32.0),
    "77": (9.0, 14.0),
    "78": (13.0, 15.0),
    "79": (1.5, 1.3),
    "80": (8.4, 10.0),
    "81": (2.0, 1.2),
    "82": (1.2, 1.0),
    "83": (2.0, 2.8),
    "84": (2.8, 3.5),
    "85": (2.5, 2.2),
    "86": (1.5, 1.4),
    "87": (2.0, 1.6),
    "88": (1.8, 1.6),
    "89": (1.4, 1.2),
    "90": (2.2, 1.5),
    "91": (10.0, 14.0),
    "92": (27.0, 38.0),
    "93": (11.0, 17.0),
    "94": (9.0, 20.0),
    "95": (13.0, 22.0),
    "971": (0.25, 1.2),
    "972": (0.3, 1.1),
    "973": (0.25, 0.7),
    "974": (0.35, 2.0),
    "976": (0.02, 0.35),
}
# Departments given the widest breadth (120+ partner countries, 70+ products).
BIG_DEPARTMENTS = ("13", "31", "33", "38", "44", "59", "62", "67", "69", "75", "76", "78", "91", "92", "93", "94", "95")

# National product mix, % of the flow (exports, imports). C30D (military vehicles) is left
# out: the statistics exclude military equipment.
PRODUCT_WEIGHTS: dict[str, tuple[float, float]] = {
    "A01Z": (3.0, 2.5),
    "A02Z": (0.2, 0.1),
    "A03Z": (0.2, 0.6),
    "B05Z": (0.01, 0.4),
    "B06Z": (0.3, 8.0),
    "B07Z": (0.05, 0.4),
    "B08Z": (0.3, 0.4),
    "C10A": (1.0, 1.5),
    "C10B": (0.3, 0.9),
    "C10C": (0.6, 1.0),
    "C10D": (0.4, 0.6),
    "C10E": (1.2, 0.7),
    "C10F": (0.7, 0.3),
    "C10G": (0.6, 0.6),
    "C10H": (1.8, 1.8),
    "C10K": (0.5, 0.3),
    "C11Z": (4.0, 0.8),
    "C12Z": (0.2, 0.4),
    "C13Z": (0.9, 1.1),
    "C14Z": (2.0, 3.5),
    "C15Z": (2.8, 2.2),
    "C16Z": (0.4, 0.6),
    "C17A": (0.7, 0.8),
    "C17B": (0.6, 0.6),
    "C18Z": (0.05, 0.05),
    "C19Z": (3.0, 5.0),
    "C20A": (6.0, 5.5),
    "C20B": (0.5, 0.4),
    "C20C": (0.6, 0.5),
    "C20D": (5.0, 1.5),
    "C20E": (1.5, 1.5),
    "C20F": (0.1, 0.2),
    "C21Z": (6.0, 4.5),
    "C22A": (1.0, 0.9),
    "C22B": (2.0, 2.1),
    "C23A": (0.7, 0.6),
    "C23B": (0.3, 0.4),
    "C23C": (0.3, 0.4),
    "C23D": (0.3, 0.4),
    "C24A": (2.5, 3.0),
    "C24B": (2.5, 3.0),
    "C24C": (0.1, 0.1),
    "C25A": (0.3, 0.5),
    "C25B": (0.3, 0.3),
    "C25C": (0.05, 0.05),
    "C25D": (0.1, 0.1),
    "C25F": (0.6, 0.8),
    "C25G": (1.3, 1.6),
    "C26A": (1.5, 2.0),
    "C26B": (0.8, 2.8),
    "C26C": (0.6, 2.2),
    "C26D": (0.2, 0.7),
    "C26E": (2.2, 1.8),
    "C26F": (0.4, 0.4),
    "C26G": (0.3, 0.5),
    "C27A": (2.2, 2.0),
    "C27B": (0.3, 1.2),
    "C27C": (0.7, 0.8),
    "C27D": (0.2, 0.4),
    "C27E": (0.5, 1.3),
    "C27F": (0.3, 0.5),
    "C28A": (3.0, 2.5),
    "C28B": (2.2, 2.2),
    "C28C": (0.6, 0.7),
    "C28D": (0.5, 0.6),
    "C28E": (1.8, 1.6),
    "C29A": (5.0, 7.5),
    "C29B": (0.4, 0.3),
    "C29C": (3.0, 3.0),
    "C30A": (0.6, 0.4),
    "C30B": (0.4, 0.2),
    "C30C": (12.0, 6.0),
    "C30E": (0.3, 0.6),
    "C31Z": (0.4, 1.2),
    "C32A": (1.8, 1.2),
    "C32B": (0.5, 1.2),
    "C32C": (1.0, 1.2),
    "C32D": (0.4, 0.6),
    "D35Z": (0.3, 0.2),
    "E36Z": (0.01, 0.01),
    "E38Z": (0.6, 0.3),
    "J58Z": (0.2, 0.2),
    "J59Z": (0.02, 0.02),
    "R90Z": (0.3, 0.2),
    "R91Z": (0.05, 0.05),
}

# Partner pool: ISO 3166-1 partners of French trade (France itself, Monaco and the French
# overseas departments are not partners; uninhabited territories are left out) plus the
# customs codes for Kosovo, Ceuta and Melilla.
PARTNERS = (
    "AD AE AF AG AI AL AM AO AR AS AT AU AW AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BW "
    "BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER "
    "ES ET FI FJ FK FM FO GA GB GD GE GG GH GI GL GM GN GQ GR GT GU GW GY HK HN HR HT HU ID IE IL IM "
    "IN IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MD "
    "ME MG MH MK ML MM MN MO MP MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA "
    "PE PF PG PH PK PL PM PR PS PT PW PY QA RO RS RU RW SA SB SC SD SE SG SH SI SK SL SM SN SO SR SS "
    "ST SV SX SY SZ TC TD TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VG VI VN VU "
    "WF WS XC XK XL YE ZA ZM ZW"
).split()

# Main partners, % of the flow (exports, imports); the others get a small random weight.
PARTNER_WEIGHTS: dict[str, tuple[float, float]] = {
    "DE": (14.0, 17.0),
    "BE": (10.0, 11.0),
    "IT": (8.0, 8.0),
    "ES": (8.0, 8.0),
    "US": (8.0, 7.0),
    "CN": (4.5, 9.0),
    "NL": (5.5, 8.0),
    "GB": (6.0, 3.5),
    "CH": (4.0, 3.0),
    "PL": (2.2, 2.0),
    "SG": (1.5, 0.7),
    "JP": (1.4, 1.2),
    "TR": (1.2, 1.5),
    "KR": (1.0, 0.8),
    "IN": (0.9, 1.2),
    "PT": (1.5, 1.5),
    "AT": (1.2, 1.0),
    "SE": (1.2, 1.0),
    "CZ": (1.0, 1.2),
    "IE": (0.8, 2.0),
    "RO": (0.8, 0.8),
    "DK": (0.7, 0.6),
    "HU": (0.7, 0.8),
    "MA": (1.3, 1.0),
    "DZ": (1.0, 0.9),
    "TN": (0.8, 0.9),
    "AE": (1.3, 0.5),
    "SA": (0.8, 0.9),
    "HK": (1.0, 0.2),
    "CA": (0.8, 0.5),
    "MX": (0.6, 0.4),
    "BR": (0.7, 0.5),
    "NO": (0.6, 1.8),
    "FI": (0.4, 0.4),
    "GR": (0.6, 0.3),
    "SK": (0.4, 0.6),
    "SI": (0.3, 0.3),
    "HR": (0.2, 0.1),
    "BG": (0.3, 0.3),
    "LU": (0.8, 0.5),
    "QA": (0.4, 0.3),
    "IL": (0.4, 0.3),
    "EG": (0.5, 0.2),
    "AU": (0.6, 0.2),
    "TW": (0.5, 1.0),
    "VN": (0.3, 1.3),
    "TH": (0.3, 0.6),
    "MY": (0.4, 0.6),
    "ID": (0.2, 0.5),
    "BD": (0.05, 1.2),
    "ZA": (0.4, 0.3),
    "NG": (0.4, 1.0),
    "KZ": (0.1, 1.0),
    "LY": (0.1, 0.6),
    "SN": (0.4, 0.1),
    "CI": (0.4, 0.3),
    "UA": (0.3, 0.3),
    "RU": (0.3, 0.4),
    "AZ": (0.05, 0.5),
    "IQ": (0.05, 0.4),
    "LT": (0.15, 0.1),
    "LV": (0.1, 0.05),
    "EE": (0.1, 0.05),
    "CL": (0.2, 0.15),
    "AR": (0.2, 0.15),
    "CO": (0.2, 0.1),
    "PE": (0.1, 0.15),
    "NZ": (0.1, 0.1),
    "KW": (0.15, 0.1),
    "OM": (0.1, 0.05),
    "PH": (0.1, 0.2),
    "PK": (0.1, 0.4),
    "LK": (0.02, 0.1),
    "CM": (0.2, 0.1),
    "GA": (0.1, 0.1),
    "CY": (0.15, 0.05),
    "MT": (0.15, 0.05),
    "IS": (0.05, 0.05),
    "RS": (0.1, 0.1),
    "LB": (0.15, 0.02),
    "JO": (0.1, 0.02),
    "MU": (0.1, 0.05),
    "MG": (0.1, 0.1),
    "KE": (0.05, 0.05),
    "GH": (0.1, 0.1),
    "NC": (0.15, 0.02),
    "PF": (0.15, 0.02),
    "BH": (0.05, 0.05),
    "UY": (0.05, 0.05),
    "EC": (0.05, 0.1),
}

# Product x partner affinities per flow ("B06Z": {"NO": 15} = crude oil comes from Norway).
# A "*" entry scales every other partner of that product.
AFFINITIES: dict[str, dict[str, dict[str, float]]] = {
    "export": {
        "C30C": {"US": 2, "CN": 3, "DE": 2.5, "GB": 2, "SG": 4, "AE": 4, "QA": 3, "IN": 3, "JP": 2, "IE": 5, "SA": 3},
        "C11Z": {"US": 3, "GB": 3, "CN": 2, "SG": 3, "JP": 2, "HK": 4, "BE": 1.5},
        "C32A": {"CH": 6, "HK": 6, "AE": 4, "US": 2, "SG": 3},
        "C20D": {"US": 2, "CN": 2, "AE": 2, "SA": 2, "HK": 2},
        "C21Z": {"US": 2, "BE": 2, "DE": 1.5, "CH": 2},
        "C19Z": {"BE": 2, "NL": 2, "ES": 2, "GB": 2, "CH": 2},
        "A01Z": {"BE": 2, "IT": 2, "ES": 1.5, "DZ": 3, "MA": 2, "EG": 2},
    },
    "import": {
        "B06Z": {
            "*": 0.05,
            "NO": 15,
            "US": 8,
            "DZ": 8,
            "NG": 10,
            "KZ": 15,
            "LY": 12,
            "SA": 8,
            "IQ": 12,
            "AZ": 12,
            "QA": 8,
            "GB": 3,
        },
        "C19Z": {"US": 3, "BE": 3, "NL": 4, "SA": 5, "IN": 5, "AE": 3, "ES": 2, "KW": 4},
        "C14Z": {"CN": 4, "BD": 10, "TR": 3, "MA": 4, "TN": 4, "VN": 4, "IN": 3, "IT": 2, "PK": 4},
        "C15Z": {"CN": 4, "IT": 3, "VN": 6, "IN": 2},
        "C26B": {"CN": 6, "VN": 4, "TW": 4, "MY": 3, "TH": 3},
        "C26C": {"CN": 6, "VN": 4, "TW": 4, "MY": 3, "TH": 3},
        "C26D": {"CN": 6, "VN": 4, "MY": 3, "TH": 3},
        "C30C": {"US": 5, "DE": 4, "GB": 3, "CA": 3},
        "A01Z": {"ES": 4, "MA": 4, "NL": 2, "BR": 2, "CI": 3, "IT": 1.5},
        "C21Z": {"IE": 4, "CH": 3, "US": 2, "DE": 2, "BE": 2},
        "C29A": {"ES": 3, "DE": 3, "MA": 3, "SK": 5, "CZ": 3, "TR": 3, "SI": 3, "BE": 2},
        "C24B": {"CH": 3, "DE": 1.5},
    },
}

# Department specialities: product multipliers on exports (imports get them to the power
# 0.6), plus import-only multipliers.
SPECIALITIES: dict[str, str] = {
    "01": "C22B:4 C25D:3",
    "02": "C10H:8 A01Z:4 C10C:4 C10F:4 C23A:10 C11Z:1.5 C20A:1.5",
    "03": "C29C:2 C10A:2",
    "04": "C20A:3 C20D:3",
    "05": "C10H:2 A01Z:2",
    "06": "C20D:4 C30C:3 C26E:2",
    "07": "C20A:2 C10C:2",
    "08": "C24C:4 C25G:2",
    "09": "C17A:3 C24B:2",
    "10": "C13Z:5 C14Z:2",
    "11": "C11Z:6",
    "12": "C10E:4 C29C:3",
    "13": "C19Z:6 C20A:3 C24A:3 C30C:3",
    "14": "C10E:3 C29C:2",
    "15": "C10E:6",
    "16": "C11Z:25",
    "17": "C11Z:6 C30B:4",
    "18": "C29C:2 C28B:2",
    "19": "C15Z:2 C10A:2",
    "2A": "C11Z:4 C10A:3",
    "2B": "C11Z:4 A01Z:4",
    "21": "C11Z:12 C21Z:2",
    "22": "C10A:5 C10E:2 C10K:3",
    "23": "C16Z:3 C31Z:3",
    "24": "C10A:3 C11Z:2",
    "25": "C29A:3 C29C:3 C26E:5",
    "26": "C10C:2 C26A:2",
    "27": "C21Z:4 C20D:3",
    "28": "C20D:5 C21Z:3",
    "29": "C10A:5 A03Z:4 C10E:2",
    "30": "C20A:2 C10C:2",
    "31": "C30C:15 C26E:2",
    "32": "C11Z:4 A01Z:3",
    "33": "C30C:6 C11Z:12",
    "34": "C21Z:2 C26A:2",
    "35": "C10A:4 C29A:3 C10E:2",
    "36": "C15Z:2 C22B:2",
    "37": "C21Z:3 C28B:2",
    "38": "C26A:4 C20A:3 C27A:2",
    "39": "C26E:3 C31Z:2",
    "40": "A02Z:3 C16Z:4 C17A:3",
    "41": "C20D:3",
    "42": "C28E:2 C24A:2",
    "43": "C22B:2 C10G:2",
    "44": "C30C:4 C30A:10 C19Z:4",
    "45": "C20D:5 C21Z:3",
    "46": "C30C:5 C10A:2",
    "47": "C10C:3 A01Z:3",
    "48": "C10E:6 A01Z:5 C10A:4 C16Z:3",
    "49": "A01Z:3 C29C:2",
    "50": "C10E:5 A03Z:3",
    "51": "C11Z:30 C10H:3",
    "52": "C25G:3 C24C:2",
    "53": "C10E:5",
    "54": "C24A:5 C20A:2",
    "55": "C10E:3 C17A:3",
    "56": "C10A:4 A03Z:3",
    "57": "C24A:5 C29A:3 C20A:2",
    "58": "C29C:3",
    "59": "C29A:4 C24A:5 C30B:4 C10H:1.5",
    "60": "C21Z:6 C20D:6 C28B:1.5",
    "61": "C10E:3 C29C:2",
    "62": "C23A:4 C10C:2 C29C:2",
    "63": "C22A:15",
    "64": "C30C:4 C20A:2",
    "65": "C30C:4 C27A:3",
    "66": "A01Z:6",
    "67": "C21Z:3 C29C:2 C28A:2",
    "68": "C29A:3 C20A:2",
    "69": "C20A:4 C21Z:5 C29B:2",
    "70": "C29C:3",
    "71": "C24A:3 C28B:2",
    "72": "C29C:3 C10A:2",
    "73": "C24B:3 C24A:2",
    "74": "C26E:3 C25D:4",
    "75": "C32A:10 C14Z:4 C15Z:6 C20D:3",
    "76": "C19Z:15 C20A:3",
    "77": "C26A:2 C30C:2 C20D:2",
    "78": "C29A:5 C30C:2",
    "79": "C10E:2 C28C:2",
    "80": "C10C:3 C28C:3 C30C:4",
    "81": "C21Z:4 C20A:2",
    "82": "A01Z:4",
    "83": "C30A:3 C20D:2",
    "84": "C10C:3 C20D:2",
    "85": "C30A:5 C10A:2",
    "86": "C29C:2 C26A:2",
    "87": "C27A:3 C23B:5",
    "88": "C16Z:3 C17A:3 C13Z:2",
    "89": "C10F:3",
    "90": "C27A:4 C28A:2",
    "91": "C26A:2 C21Z:2",
    "92": "C30C:2 C26C:2 C21Z:2 C20D:3",
    "93": "C30C:2 C26B:2",
    "94": "C10A:2 A01Z:3 C10C:2",
    "95": "C26B:2 C32A:3 C30C:2",
    "971": "C11Z:4 A01Z:4 C10H:5",
    "972": "C11Z:4 A01Z:4 C10H:3",
    "973": "C30C:30 C24B:10 A01Z:2",
    "974": "C10H:5 C11Z:3 A03Z:3",
    "976": "A03Z:25 A01Z:10 C10B:6",
}
IMPORT_SPECIALITIES: dict[str, str] = {
    "13": "B06Z:25 C19Z:4",
    "76": "B06Z:30 C19Z:6",
    "44": "B06Z:5",
    "59": "C24A:3 B07Z:4",
    "31": "C30C:20",
    "33": "C30C:4",
    "94": "A01Z:4 C10C:2",
    "66": "A01Z:8",
    "95": "C26B:3 C26C:3",
    "971": "C19Z:4 C10A:2",
    "972": "C19Z:4 C10A:2",
    "974": "C19Z:4 C10A:2",
    "976": "C10A:3 C19Z:3",
}

# Products made in few places: their weight is multiplied by this factor in the departments
# that do not have them as a speciality, so that aircraft, refined oil or cars show up where
# they are built rather than everywhere.
CONCENTRATED: dict[str, float] = {
    "B05Z": 0.2,
    "B06Z": 0.05,
    "B07Z": 0.2,
    "C19Z": 0.1,
    "C21Z": 0.3,
    "C24A": 0.3,
    "C24B": 0.4,
    "C29A": 0.3,
    "C30A": 0.2,
    "C30B": 0.2,
    "C30C": 0.05,
    "C32A": 0.2,
    "C11Z": 0.4,
    "C20D": 0.4,
    "C22A": 0.3,
    "C12Z": 0.3,
}

# Neighbourhood: partner multipliers for a department (overseas departments trade with their
# own region of the world).
NEIGHBOURS: dict[str, str] = {
    "59": "BE:2 GB:1.5 NL:1.5",
    "62": "BE:1.5 GB:2",
    "80": "BE:1.3 GB:1.3",
    "02": "BE:1.5",
    "08": "BE:2",
    "57": "LU:3 DE:1.5",
    "54": "LU:3 DE:1.3",
    "67": "DE:2 CH:1.5",
    "68": "DE:2 CH:2",
    "25": "CH:2.5",
    "90": "CH:2 DE:1.5",
    "74": "CH:3 IT:1.5",
    "01": "CH:2.5",
    "73": "IT:2 CH:1.5",
    "06": "IT:2.5",
    "2A": "IT:4",
    "2B": "IT:4",
    "64": "ES:2.5",
    "65": "ES:2",
    "66": "ES:3",
    "31": "ES:1.5",
    "09": "ES:2",
    "11": "ES:1.5",
    "971": "US:4 DO:30 TT:30 BB:30 LC:30 DM:30 VC:20 AG:20 CW:20 SX:20 PR:20 HT:15 JM:10 BR:5 VE:5",
    "972": "US:4 TT:30 BB:30 LC:30 DM:30 VC:20 AG:20 CW:20 SX:20 DO:20 PR:15 HT:10 JM:10 BR:5 VE:5",
    "973": "BR:40 SR:40 GY:30 TT:20 US:3 VE:5 CO:5 BB:10",
    "974": "MU:60 MG:60 SC:40 KM:30 ZA:30 IN:8 CN:3 SG:5 TH:5 AU:5 MZ:15 KE:10 TZ:10 AE:5",
    "976": "KM:120 MG:80 MU:40 ZA:30 TZ:30 KE:20 MZ:20 IN:10 AE:10 SC:20 TH:5 CN:3",
}

# Customs special partner codes (geonomenclature), as (partner, product, share of the total).
SPECIAL_PARTNERS: dict[tuple[str, str], tuple[tuple[str, str, float], ...]] = {
    ("13", "export"): (("QQ", "C19Z", 0.004), ("QQ", "C10H", 0.0004)),
    ("76", "export"): (("QQ", "C19Z", 0.003), ("QS", "C19Z", 0.0006)),
    ("44", "export"): (("QQ", "C19Z", 0.002),),
    ("33", "export"): (("QQ", "C11Z", 0.0005),),
    ("59", "export"): (("QQ", "C19Z", 0.001), ("QR", "C10H", 0.0002)),
    ("29", "export"): (("QQ", "C10A", 0.0008),),
    ("974", "export"): (("QS", "C19Z", 0.01),),
    (UNALLOCATED, "export"): (("QU", "C30C", 0.01), ("QV", "C29A", 0.004), ("QX", "C28A", 0.003)),
    (UNALLOCATED, "import"): (("QU", "C26B", 0.008), ("QW", "C14Z", 0.004), ("QZ", "C30C", 0.002)),
}


def _multipliers(spec: str) -> dict[str, float]:
    """'C30C:30 C26E:2' -> {'C30C': 30.0, 'C26E': 2.0}."""
    return {code: float(value) for code, value in (item.split(":") for item in spec.split())}


def _rng(*keys: int) -> np.random.Generator:
    return np.random.default_rng([SEED, *keys])


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole-euro parts of `total` in proportion to `weights`, summing exactly to `total`.

    Largest remainder method; ties go to the first index, so the result is deterministic.
    """
    raw = weights / weights.sum() * total
    parts = np.floor(raw).astype(np.int64)
    missing = int(total - parts.sum())
    order = np.argsort(-(raw - parts), kind="stable")
    if missing >= 0:
        parts[order[:missing]] += 1
    else:  # float rounding overshoot: take it back from the largest parts
        parts[np.argsort(-parts, kind="stable")[:-missing]] -= 1
    return parts


def _department_totals(year: int, flow: str, codes: list[str], regions: dict[str, str], sizes: np.ndarray) -> dict[str, int]:
    """Whole-euro total of every department (and of UNALLOCATED) for one year and flow.

    `sizes` are the departments' weights that year (only their proportions matter).
    """
    flow_index = FLOWS.index(flow)
    factor = YEAR_FACTORS[year][flow]
    nation = round(NATION_2024[flow] * factor)
    unallocated = round(nation * UNALLOCATED_SHARE[flow])
    totals: dict[str, int] = {UNALLOCATED: unallocated}
    fixed = _fixed_totals(year, flow)
    region_codes = sorted({region for (region, region_flow) in REGION_2024 if region_flow == flow})
    # Calibrated regions: their total (scaled for other years) split among their departments.
    for region in region_codes:
        members = [i for i, code in enumerate(codes) if regions[code] == region]
        drift = 1.0 if year == LATEST else float(_rng(year, flow_index, 2).lognormal(0.0, 0.02))
        region_total = round(REGION_2024[(region, flow)] * factor * drift)
        free = [i for i in members if codes[i] not in fixed]
        parts = _split(region_total - sum(fixed.get(codes[i], 0) for i in members), sizes[free])
        totals.update({codes[i]: fixed[codes[i]] for i in members if codes[i] in fixed})
        totals.update({codes[i]: int(part) for i, part in zip(free, parts)})
    # The other departments share what is left of the nation.
    others = [i for i, code in enumerate(codes) if regions[code] not in region_codes]
    parts = _split(nation - sum(totals.values()), sizes[others])
    totals.update({codes[i]: int(part) for i, part in zip(others, parts)})
    groups = [[codes[i] for i in others]] + [[code for code in codes if regions[code] == region] for region in region_codes]
    _make_printed_totals_distinct(totals, groups, set(fixed))
    return totals


def _fixed_totals(year: int, flow: str) -> dict[str, int]:
    """The published department totals imposed that year and flow (none outside 2024)."""
    if year != LATEST:
        return {}
    return {code: value for (code, fixed_flow), value in DEPARTMENT_2024.items() if fixed_flow == flow}


def printed_tenths(total_eur: int) -> int:
    """A whole-euro total as printed on the sheet, in tenths of a million (half away from zero)."""
    return (int(total_eur) + 50_000) // 100_000


def _make_printed_totals_distinct(totals: dict[str, int], groups: list[list[str]], fixed: set[str]) -> None:
    """Nudge departments so that no two print the same total (0.1 M€), keeping every sum.

    A department sharing its printed total with an earlier one (in code order) gets 0.2 M€
    more, taken from the largest free department of its group (a calibrated region or the
    rest of France), so region and national totals stay exact. Published totals never move.
    Repeated until all printed totals differ; the few moves are far below the illustrative
    precision of the sample.
    """
    step = 200_000
    for _ in range(1000):
        seen: dict[int, str] = {}
        clash = None
        for code in sorted((code for group in groups for code in group), key=lambda c: (c not in fixed, c)):
            printed = printed_tenths(totals[code])
            if printed in seen:
                clash = code
                break
            seen[printed] = code
        if clash is None:
            return
        group = next(group for group in groups if clash in group)
        donor = max((code for code in group if code not in fixed and code != clash), key=lambda c: (totals[c], c))
        totals[clash] += step
        totals[donor] -= step
    raise FactsheetsError("génération de l'échantillon : impossible de rendre les totaux départementaux distincts")


def _department_sizes(codes: list[str], flow: str) -> np.ndarray:
    """LATEST-year weights: the rough sizes, each nudged a little so that no two are equal."""
    flow_index = FLOWS.index(flow)
    sizes = np.array([DEPARTMENT_SIZES[code][flow_index] for code in codes])
    return sizes * _rng(0, flow_index, 5).lognormal(0.0, 0.03, size=len(codes))


def _product_year_factors(products: np.ndarray, year: int) -> np.ndarray:
    """Multiplier of each cell's product for `year` (1 where the product follows the trend)."""
    return np.array([PRODUCT_YEAR_FACTORS.get(product, {}).get(year, 1.0) for product in products])


@dataclass(frozen=True)
class _Pools:
    """Product and partner pools with their national weights and affinity matrix, per flow."""

    products: list[str]
    partners: list[str]
    product_weights: dict[str, np.ndarray]
    partner_weights: dict[str, np.ndarray]
    affinity: dict[str, np.ndarray]  # flow -> products x partners multipliers

    @classmethod
    def build(cls) -> _Pools:
        products = sorted(PRODUCT_WEIGHTS)
        partners = sorted(PARTNERS)
        tail = _rng(0, 0, 3).lognormal(math.log(0.015), 0.9, size=(len(partners), 2))
        product_weights, partner_weights, affinity = {}, {}, {}
        for flow_index, flow in enumerate(FLOWS):
            product_weights[flow] = np.array([PRODUCT_WEIGHTS[code][flow_index] for code in products])
            partner_weights[flow] = np.array(
                [
                    PARTNER_WEIGHTS[code][flow_index] if code in PARTNER_WEIGHTS else tail[i, flow_index]
                    for i, code in enumerate(partners)
                ]
            )
            matrix = np.ones((len(products), len(partners)))
            for product, row in AFFINITIES[flow].items():
                p = products.index(product)
                matrix[p, :] *= row.get("*", 1.0)
                for partner, value in row.items():
                    if partner != "*":
                        matrix[p, partners.index(partner)] = value
            affinity[flow] = matrix
        return cls(products, partners, product_weights, partner_weights, affinity)


def _breadth(code: str, total_2024: int, rng: np.random.Generator, pools: _Pools) -> tuple[int, int]:
    """How many partner countries and products a department trades with, by size."""
    decades = math.log10(max(total_2024, 1) / 1e8)
    countries = int(round(45 + 35 * decades + rng.integers(-5, 6)))
    products = int(round(32 + 14 * decades + rng.integers(-3, 4)))
    if code in BIG_DEPARTMENTS:
        countries = max(countries, 125 + int(rng.integers(0, 41)))
        products = max(products, 72 + int(rng.integers(0, 9)))
    countries = min(max(countries, 42), len(pools.partners))
    products = min(max(products, 31), len(pools.products))
    return countries, products


def _top_k(weights: np.ndarray, k: int, rng: np.random.Generator, forced: np.ndarray) -> np.ndarray:
    """k indices drawn without replacement with probability ~ weights (Gumbel top-k), `forced` first."""
    keys = np.log(weights) + rng.gumbel(size=weights.size)
    keys[forced] = np.inf
    return np.sort(np.argsort(-keys, kind="stable")[:k])


@dataclass(frozen=True)
class _Structure:
    """The cells a department trades in one flow, with their base values (any scale)."""

    products: np.ndarray  # product code per cell
    partners: np.ndarray  # partner code per cell
    base: np.ndarray  # positive base value per cell


def _structure(code: str, flow: str, total_2024: int, index: int, pools: _Pools) -> _Structure:
    flow_index = FLOWS.index(flow)
    rng = _rng(index, flow_index, 4)
    n_countries, n_products = _breadth(code, total_2024, rng, pools)

    speciality = _multipliers(SPECIALITIES.get(code, ""))
    multipliers = {p: (m if flow == "export" else m**0.6) for p, m in speciality.items()}
    if flow == "import":
        multipliers.update(_multipliers(IMPORT_SPECIALITIES.get(code, "")))
    product_mult = np.array([multipliers.get(p, CONCENTRATED.get(p, 1.0)) for p in pools.products])
    product_w = pools.product_weights[flow] * product_mult * rng.lognormal(0.0, 0.6, size=len(pools.products))
    forced_products = np.flatnonzero(product_mult >= 3)
    chosen_p = _top_k(product_w, n_products, rng, forced_products)

    neighbours = _multipliers(NEIGHBOURS.get(code, ""))
    partner_mult = np.array([neighbours.get(c, 1.0) for c in pools.partners])
    partner_w = pools.partner_weights[flow] * partner_mult * rng.lognormal(0.0, 0.5, size=len(pools.partners))
    chosen_c = _top_k(partner_w, n_countries, rng, np.flatnonzero(partner_mult >= 10))

    weights = product_w[chosen_p][:, None] * partner_w[chosen_c][None, :] * pools.affinity[flow][np.ix_(chosen_p, chosen_c)]
    # Every chosen product and partner gets at least its strongest cell; then a sparse draw.
    mask = np.zeros(weights.shape, dtype=bool)
    mask[np.arange(len(chosen_p)), weights.argmax(axis=1)] = True
    mask[weights.argmax(axis=0), np.arange(len(chosen_c))] = True
    wanted = int(round(4.5 * (len(chosen_p) + len(chosen_c))))
    keys = 0.5 * np.log(weights) + rng.gumbel(size=weights.shape)
    keys[mask] = -np.inf
    extra = max(0, min(wanted - int(mask.sum()), int((~mask).sum())))
    flat = np.argsort(-keys, axis=None, kind="stable")[:extra]
    mask.flat[flat] = True

    rows, cols = np.nonzero(mask)
    base = weights[rows, cols] * rng.lognormal(0.0, 0.8, size=rows.size)
    products = np.array(pools.products)[chosen_p][rows]
    partners = np.array(pools.partners)[chosen_c][cols]
    specials = SPECIAL_PARTNERS.get((code, flow), ())
    if specials:
        share = np.array([s for _, _, s in specials])
        special_base = share / (1 - share.sum()) * base.sum()
        products = np.concatenate([products, [p for _, p, _ in specials]])
        partners = np.concatenate([partners, [c for c, _, _ in specials]])
        base = np.concatenate([base, special_base])
    return _Structure(products, partners, base)


def _year_values(structure: _Structure, total: int, rng: np.random.Generator, year: int) -> np.ndarray:
    """Whole-euro values of the cells for one year, each >= MIN_VALUE_EUR, summing to `total`."""
    weights = structure.base * rng.lognormal(0.0, 0.12, size=structure.base.size)
    if year != LATEST:
        weights = weights * _product_year_factors(structure.products, year)
    values = np.maximum(np.floor(weights / weights.sum() * total), MIN_VALUE_EUR).astype(np.int64)
    values[np.argmax(values)] += total - int(values.sum())  # rounding remainder on the largest row
    return values


def _make_tie(products: np.ndarray, values: np.ndarray) -> None:
    """Give two neighbouring top products exactly the same total, keeping the overall total.

    Picks the first adjacent pair among the top ten whose totals are within 15 % (else the
    second and third), preferring a pair where the larger total has the larger code, so the
    code tie-break visibly reorders them.
    """
    codes, inverse = np.unique(products, return_inverse=True)
    totals = np.bincount(inverse, weights=values).astype(np.int64)
    ranking = sorted(range(len(codes)), key=lambda i: (-totals[i], codes[i]))[:10]
    pairs = list(zip(ranking, ranking[1:]))
    close = [(a, b) for a, b in pairs if totals[a] <= 1.15 * totals[b]]
    preferred = [(a, b) for a, b in close if codes[a] > codes[b]]
    a, b = (preferred or close or pairs[1:2] or pairs)[0]
    difference = int(totals[a] - totals[b])
    half, odd = divmod(difference, 2)
    top = ranking[0] if ranking[0] not in (a, b) else next(i for i in ranking if i not in (a, b))

    def largest_row(product: int) -> int:
        rows = np.flatnonzero(inverse == product)
        return int(rows[np.argmax(values[rows])])

    values[largest_row(a)] -= half + odd
    values[largest_row(b)] += half
    values[largest_row(top)] += odd
    if values.min() < MIN_VALUE_EUR:
        raise FactsheetsError("génération de l'échantillon : l'ajustement de l'égalité a vidé une ligne ; changez TIE_DEPARTMENT")


def generate_sample(reference: Reference) -> pl.DataFrame:
    """The synthetic sample in the canonical layout, sorted by year, flow, department, product, country."""
    codes = reference.departments["code"].to_list()
    regions = dict(zip(codes, reference.departments["region"].to_list()))
    unknown = sorted(set(codes) ^ set(DEPARTMENT_SIZES))
    if unknown:
        raise FactsheetsError(
            f"génération de l'échantillon : les tailles des départements ne correspondent pas à la table de référence ({unknown[0]})"
        )
    special_codes = {partner for rows in SPECIAL_PARTNERS.values() for partner, _, _ in rows}
    missing = sorted(
        (set(PRODUCT_WEIGHTS) - set(reference.products["code"]))
        | ((set(PARTNERS) | special_codes) - set(reference.countries["code"]))
    )
    if missing:
        raise FactsheetsError(
            f"génération de l'échantillon : le code « {missing[0]} » ne figure pas dans les tables de référence"
        )
    pools = _Pools.build()
    latest_sizes = {flow: _department_sizes(codes, flow) for flow in FLOWS}
    totals = {(LATEST, flow): _department_totals(LATEST, flow, codes, regions, latest_sizes[flow]) for flow in FLOWS}
    structures = {
        (code, flow): _structure(code, flow, totals[(LATEST, flow)][code], index, pools)
        for index, code in enumerate([*codes, UNALLOCATED])
        for flow in FLOWS
    }
    for flow_index, flow in enumerate(FLOWS):
        # Earlier years: each department's weight follows its own drift (a random walk back
        # from LATEST) and its product mix (an oil refiner's imports surge in 2022).
        steps = _rng(0, flow_index, 6).lognormal(0.0, DEPARTMENT_DRIFT, size=(len(YEARS) - 1, len(codes)))
        walk = np.cumprod(steps[::-1], axis=0)[::-1]  # walk[i]: from YEARS[i] to LATEST
        for position, year in enumerate(YEARS[:-1]):
            mix = np.array(
                [
                    float((s.base * _product_year_factors(s.products, year)).sum() / s.base.sum())
                    for s in (structures[(code, flow)] for code in codes)
                ]
            )
            sizes = latest_sizes[flow] * walk[position] * mix
            totals[(year, flow)] = _department_totals(year, flow, codes, regions, sizes)

    names = ("year", "flow", "department", "product", "country", "value_eur")
    columns: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for index, code in enumerate([*codes, UNALLOCATED]):
        for flow_index, flow in enumerate(FLOWS):
            structure = structures[(code, flow)]
            for year in YEARS:
                values = _year_values(structure, totals[(year, flow)][code], _rng(index, flow_index, year), year)
                if (code, flow, year) == (TIE_DEPARTMENT, TIE_FLOW, TIE_YEAR):
                    _make_tie(structure.products, values)
                size = values.size
                columns["year"].append(np.full(size, year, dtype=np.int32))
                columns["flow"].append(np.full(size, flow))
                columns["department"].append(np.full(size, code))
                columns["product"].append(structure.products)
                columns["country"].append(structure.partners)
                columns["value_eur"].append(values.astype(np.float64))

    frame = pl.DataFrame(
        {
            "year": pl.Series(np.concatenate(columns["year"]), dtype=pl.Int32),
            "flow": pl.Series(np.concatenate(columns["flow"]).tolist(), dtype=pl.String),
            "department": pl.Series(np.concatenate(columns["department"]).tolist(), dtype=pl.String),
            "product": pl.Series(np.concatenate(columns["product"]).tolist(), dtype=pl.String),
            "country": pl.Series(np.concatenate(columns["country"]).tolist(), dtype=pl.String),
            "value_eur": pl.Series(np.concatenate(columns["value_eur"]), dtype=pl.Float64),
        }
    )
    return frame.sort(["year", "flow", "department", "product", "country"])


SAMPLE_METADATA = {
    "factsheets.synthetic": "true",
    "factsheets.description": (
        "Données synthétiques, générées par factsheets.sample : ce ne sont pas des statistiques "
        "réelles. Seuls les chiffres publiés des fiches 2024 (France entière, Hauts-de-France, "
        "Aisne, Oise) sont reproduits à l'euro près ; tout le reste est illustratif."
    ),
    "factsheets.generator": "factsheets.sample",
    "factsheets.seed": str(SEED),
}


def write_sample(frame: pl.DataFrame, path: Path) -> None:
    """Write the frame as Parquet with the synthetic-data metadata, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        # One row group and the strongest zstd level: the repository ships this file (~3.6 MB).
        frame.write_parquet(
            temporary, compression="zstd", compression_level=22, row_group_size=len(frame) + 1, metadata=SAMPLE_METADATA
        )
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m factsheets.sample",
        description="Génère l'échantillon synthétique de commerce extérieur (Parquet, format canonique).",
    )
    parser.add_argument("--out", type=Path, default=SAMPLE_DATA, help=f"fichier Parquet à écrire (défaut : {SAMPLE_DATA})")
    arguments = parser.parse_args(argv)
    try:
        frame = generate_sample(load_reference())
        write_sample(frame, arguments.out)
    except FactsheetsError as error:
        print(f"factsheets : erreur : {error}", file=sys.stderr)
        return 2
    except (OSError, pl.exceptions.PolarsError) as error:
        reason = getattr(error, "strerror", None) or error_detail(error)
        print(
            f"factsheets : erreur : {arguments.out} : écriture impossible ({reason}) ; choisissez un autre --out", file=sys.stderr
        )
        return 2
    print(arguments.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
