"""Realistic exports, each described by a study file, give the numbers of the long CSV with no hand editing.

``tests/data/exports/`` holds the first 50 dyads of the demonstration data as a Qualtrics CSV and
XLSX export, a LimeSurvey export with answer codes, a Dutch semicolon file with labels, a labelled
SPSS file with user-missing codes, an Excel file with a title row on its second sheet, and a wide
one-row-per-dyad file, plus an outcomes file whose key is named ``Participant Id``. Each has a
``*.study.yaml`` next to it. Scores, dyad agreement and the outcome analysis must equal those of
the long demo CSV restricted to the same dyads.
"""

from __future__ import annotations

import pandas as pd
import pytest

import wamkit
from conftest import DATA, EXAMPLES

EXPORTS = sorted((DATA / "exports").glob("*.study.yaml"))
KEYS = ["dyad", "rater", "wave"]
SCORES = ["trust", "goals", "bond", "reactance", "loss_of_energy", "alliance"]


@pytest.fixture(scope="module")
def reference():
    """The long CSV restricted to the exports' 50 dyads: scores, dyads, outcomes (computed once)."""
    dyads = pd.read_csv(DATA / "exports" / "outcomes_key.csv", dtype=str)["Participant Id"].tolist()
    data = wamkit.read(study=str(EXAMPLES / "study.yaml"), where=[f"dyad={','.join(dyads)}"])
    return {
        "scores": _scores(data),
        "dyads": wamkit.dyads(data).to_dict(),
        "outcomes": wamkit.outcomes(
            data, outcomes_path=str(DATA / "exports" / "outcomes_key.csv"), on={"dyad": "Participant Id"}
        ).to_dict(),
    }


def _scores(data) -> pd.DataFrame:
    s = wamkit.score(data).to_frame()
    return s[KEYS + SCORES].sort_values(KEYS).reset_index(drop=True)


@pytest.mark.parametrize("study", EXPORTS, ids=[p.name.split(".")[0] for p in EXPORTS])
def test_export_reads_scores_pairs_and_relates_like_the_long_csv(study, reference):
    data = wamkit.read(study=str(study))
    pd.testing.assert_frame_equal(_scores(data), reference["scores"], check_exact=False, rtol=1e-12)
    d = wamkit.dyads(data).to_dict()
    _same(d, reference["dyads"], ("agreement", "change", "alerts"))
    _same(wamkit.outcomes(data).to_dict(), reference["outcomes"], ("correlations", "models", "wave_comparisons"))


def _same(ours: dict, theirs: dict, parts: tuple[str, ...]) -> None:
    """Equal tables (numbers to 1e-9 relative: sums may run in another row order)."""
    for part in parts:
        a, b = pd.DataFrame(ours[part]), pd.DataFrame(theirs[part])
        assert len(a) == len(b) > 0, part
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12, obj=part)
