import pytest

from factsheets.numbers import NO_BREAK_SPACE, format_millions, format_share_of_nation, format_share_of_region


def plain(text: str) -> str:
    return text.replace(NO_BREAK_SPACE, " ")


@pytest.mark.parametrize(
    ("euros", "printed"),
    [
        (3_517_500_000, "3 517.5"),
        (68_021_000_000, "68 021"),
        (580_354_500_000, "580 354.5"),
        (11_319_000_000, "11 319"),
        (9_114_800_000, "9 114.8"),
        (85_786_300_000, "85 786.3"),
        (684_776_300_000, "684 776.3"),
        (999_949_999, "999.9"),
        (999_950_000, "1 000"),  # half away from zero, then the ".0" is dropped
        (50_000, "0.1"),
        (49_999, "0"),
        (0, "0"),
    ],
)
def test_format_millions_matches_published_sheets(euros, printed):
    assert plain(format_millions(euros)) == printed


def test_thousands_separator_is_a_no_break_space():
    assert format_millions(3_517_500_000) == "3\u00a0517.5"


@pytest.mark.parametrize(
    ("part", "whole", "region", "nation"),
    [
        (3_517.5, None, "5.2%", "0.61%"),  # Aisne exports
        (9_114.8, None, "13.4%", "1.57%"),  # Oise exports
    ],
)
def test_published_export_shares(part, whole, region, nation):
    assert format_share_of_region(part / 68_021) == region
    assert format_share_of_nation(part / 580_354.5) == nation


def test_published_oise_import_shares():
    assert format_share_of_region(11_319 / 85_786.3) == "13.2%"
    assert format_share_of_nation(11_319 / 684_776.3) == "1.65%"


def test_shares_round_half_away_from_zero():
    assert format_share_of_region(0.0125) == "1.3%"  # 1.25 -> 1.3, not banker's 1.2
    assert format_share_of_nation(0.000125) == "0.01%"
    assert format_share_of_nation(0.00125) == "0.13%"


def test_a_share_that_rounds_to_zero_prints_under_the_smallest_step_never_zero():
    assert format_share_of_nation(0.0000499) == "<\u00a00.01%"  # 0.00499% would print "0.00%"
    assert format_share_of_nation(0.00005) == "0.01%"  # 0.005% rounds half away to 0.01%
    assert format_share_of_region(0.000499) == "<\u00a00.1%"
    assert format_share_of_region(0.0005) == "0.1%"
    assert format_share_of_nation(0.0) == "0%"  # nothing at all is not "under 0.01%"


@pytest.mark.parametrize(
    ("euros", "printed"),
    [(68_021_000_000, "68 021.0"), (999_950_000, "1 000.0"), (49_999, "0.0"), (3_517_500_000, "3 517.5")],
)
def test_a_table_keeps_the_zero_decimal(euros, printed):
    """SPEC 11: a table column keeps its ".0", so its numbers align on the decimal mark."""
    assert plain(format_millions(euros, in_table=True)) == printed


def test_a_rounded_balance_in_a_table_keeps_its_sign_and_zero_decimal():
    from decimal import Decimal

    from factsheets.numbers import format_rounded_millions

    assert plain(format_rounded_millions(Decimal("-1200.0"), in_table=True)) == "\u22121 200.0"
