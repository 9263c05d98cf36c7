"""where filters: parsing, matching (text, numbers, lists, blanks) and the errors that name where."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wamkit.errors import DataError, UsageError
from wamkit.io import Filter, filter_mask, parse_filters


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "wave": pd.array(["T0", " t6 ", "T0", None, "T12"], dtype="string"),
            "code": [0.0, 6.0, 0.0, np.nan, 12.0],  # SPSS-style numeric codes
            "Progress": pd.array(["100", "40", "100", "", "99,5"], dtype="string"),
            "site": pd.array(["Utrecht, Oost", "Zwolle", "Zwolle", "Utrecht, Oost", "Zwolle"], dtype="string"),
            "Duration (in seconds)": [300, 20, 500, 60, 45],
        }
    )


def keep(frame, *texts):
    mask, notes = filter_mask(frame, parse_filters(list(texts)), "x.csv")
    return np.flatnonzero(mask).tolist(), notes


def test_parse():
    assert parse_filters(["wave=T0,T6"]) == [Filter("wave", "=", ("T0", "T6"))]
    assert parse_filters([" rater != professional "]) == [Filter("rater", "!=", ("professional",))]
    assert parse_filters(["Progress>=100"]) == [Filter("Progress", ">=", ("100",))]
    assert parse_filters(["x<2,5"]) == [Filter("x", "<", ("2.5",))]  # decimal comma
    assert parse_filters(['site="Utrecht, Oost",Zwolle']) == [Filter("site", "=", ("Utrecht, Oost", "Zwolle"))]
    assert parse_filters(["submitdate!="]) == [Filter("submitdate", "!=", ("",))]
    assert parse_filters(["Duration (in seconds)>60"])[0].column == "Duration (in seconds)"
    assert parse_filters(None) == []


@pytest.mark.parametrize(
    "text,message",
    [
        ("wave", "where expects COLUMN=VALUE (or !=, >=, <=, >, <), got 'wave'"),
        ("=T0", "where expects COLUMN=VALUE"),
        ("Progress>=all", "where 'Progress>=all': >= compares numbers; 'all' is not a number"),
    ],
)
def test_parse_errors_name_where(text, message):
    with pytest.raises(UsageError) as e:
        parse_filters([text])
    assert message in e.value.message and "--" not in e.value.message


def test_text_is_trimmed_and_case_insensitive(frame):
    assert keep(frame, "wave=t6")[0] == [1]
    assert keep(frame, "wave=T0,T6")[0] == [0, 1, 2]
    assert keep(frame, "wave!=T0,T6")[0] == [3, 4]  # blank cells match !=


def test_numbers_compare_as_numbers(frame):
    assert keep(frame, "code=6")[0] == [1]  # 6.0 matches 6
    assert keep(frame, "code=0,12")[0] == [0, 2, 4]
    assert keep(frame, "Progress>=100") == ([0, 2], ["where Progress>=100: 3 of 5 rows left out"])
    assert keep(frame, "Progress>99")[0] == [0, 2, 4]  # 99,5 is a number with a decimal comma
    assert keep(frame, "Progress<50")[0] == [1]  # a blank cell never matches a comparison
    assert keep(frame, "Duration (in seconds)>=60", "Progress=100")[0] == [0, 2]


def test_blank_values(frame):
    assert keep(frame, "wave=")[0] == [3]
    assert keep(frame, "Progress!=")[0] == [0, 1, 2, 4]


def test_quoted_value_with_a_comma(frame):
    assert keep(frame, 'site="Utrecht, Oost"')[0] == [0, 3]


def test_notes_count_rows_left_out_per_filter(frame):
    _, notes = keep(frame, "site=Zwolle", "Progress>=100")
    assert notes == ["where site=Zwolle: 2 of 5 rows left out", "where Progress>=100: 2 of 5 rows left out"]


def test_missing_column_names_where_and_suggests_the_case(frame):
    with pytest.raises(UsageError) as e:
        keep(frame, "Wave=T0")
    assert e.value.message.startswith("where Wave=T0: x.csv has no column 'Wave'; did you mean 'wave'? (columns: ")


def test_no_match_names_where_column_and_values_seen(frame):
    with pytest.raises(DataError) as e:
        keep(frame, "wave=T9")
    assert e.value.message == "where wave=T9 matches no row of x.csv (column wave: values seen: T0, T12, t6)"
    with pytest.raises(DataError) as e:
        keep(frame, "Progress>100")
    assert e.value.message == ("where Progress>100 matches no row of x.csv (column Progress: numbers from 40 to 100)")


def test_filters_that_together_match_nothing(frame):
    with pytest.raises(DataError, match="the where filters wave=T0 and Progress<50 together match no row of x.csv"):
        keep(frame, "wave=T0", "Progress<50")
