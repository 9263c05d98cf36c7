#!/usr/bin/env python
"""Realistic survey exports of the demonstration data, for reader tests (seeded, deterministic).

Derived from ``examples/wam_demo.csv`` (long: dyad, officer, rater, wave, wam01-wam19) and
``examples/wam_demo_outcomes.csv``, restricted to the first ``N_DYADS`` dyads so that the
committed files stay small. Run from the repository root::

    python tests/data/exports/make_exports.py

Files (every one holds the same answers as the long CSV's rows of those dyads):

``qualtrics.csv``
    Qualtrics CSV export with choice texts: row 1 column names, row 2 question texts (one with a
    line break), row 3 ``{"ImportId": ...}``; meta columns StartDate ... UserLanguage; items
    ``WAM_1`` ... ``WAM_19``; answers ``Never`` ... ``Always``, ``n/a``; plus two preview
    responses (Status ``Survey Preview``) and one unfinished response (dyad ``D9998``, Progress 40).
``qualtrics.xlsx``
    The same as a Qualtrics XLSX export with numeric values (Status codes, 1-5, 9 for n/a).
``limesurvey.csv``
    LimeSurvey export with answer codes: id, submitdate, lastpage, startlanguage, seed,
    startdate, datestamp, dyad, officer, rater, wave, ``WAM[SQ001]`` ... ``WAM[SQ019]`` holding
    ``A1`` ... ``A5``; n/a is blank; plus one incomplete response (no submitdate, dyad ``D9997``).
``dutch_semicolon.csv``
    UTF-8 with BOM, ``;``, Dutch labels (``Nooit`` ... ``Altijd``, ``n.v.t.``) and the covariate
    ``risk_score`` with a decimal comma.
``spss_labelled.sav``
    rater 1/2 labelled client/professional, wave 0/6 labelled T0/T1, items 1-5 labelled
    Never-Always with 9 = n/a declared user-missing, ``visit_date`` an SPSS date.
``excel_title.xlsx``
    Sheet 1 ``Info`` (a note), sheet 2 ``Export``: a title in row 1, column names in row 2,
    items as numbers, ``n.v.t.`` as text, ``visit_date`` as Excel dates.
``wide.csv``
    One row per dyad: dyad, officer, ``client_T0_wam01`` ... ``prof_T1_wam19``
    (``{role label}_{wave}_{item}``; role labels ``client`` and ``prof``).
``outcomes_key.csv``
    The outcomes of those dyads with the key column ``Participant Id`` instead of ``dyad``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
SEED = 20260301
N_DYADS = 50
ITEMS = [f"wam{j:02d}" for j in range(1, 20)]
DESIGN = ["dyad", "officer", "rater", "wave"]
LABELS_EN = {"1": "Never", "2": "Rarely", "3": "Sometimes", "4": "Often", "5": "Always", "n.v.t.": "n/a", "": ""}
LABELS_NL = {"1": "Nooit", "2": "Zelden", "3": "Soms", "4": "Vaak", "5": "Altijd", "n.v.t.": "n.v.t.", "": ""}
NUMERIC = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "n.v.t.": 9, "": None}
WAVE_CODE = {"T0": 0, "T1": 6}
RATER_CODE = {"client": 1, "professional": 2}
ROLE_LABEL = {"client": "client", "professional": "prof"}


def long_rows() -> pd.DataFrame:
    """The long demo rows of the first N_DYADS dyads, every cell as text (blank = '')."""
    d = pd.read_csv(ROOT / "examples" / "wam_demo.csv", dtype=str, keep_default_na=False)
    keep = sorted(d["dyad"].unique())[:N_DYADS]
    return d[d["dyad"].isin(keep)].reset_index(drop=True)


def outcomes(dyads) -> pd.DataFrame:
    o = pd.read_csv(ROOT / "examples" / "wam_demo_outcomes.csv", dtype=str, keep_default_na=False)
    return o[o["dyad"].isin(set(dyads))].reset_index(drop=True)


def _timestamps(rng: np.random.Generator, n: int) -> tuple[list[str], list[str], list[int]]:
    start = dt.datetime(2026, 3, 2, 9, 0, 0)
    starts = [start + dt.timedelta(minutes=int(m)) for m in np.cumsum(rng.integers(5, 240, n))]
    durations = rng.integers(180, 1500, n).tolist()
    ends = [s + dt.timedelta(seconds=int(x)) for s, x in zip(starts, durations, strict=True)]
    fmt = "%Y-%m-%d %H:%M:%S"
    return [s.strftime(fmt) for s in starts], [e.strftime(fmt) for e in ends], durations


def _write_csv(
    path: Path, rows: list[list], *, delimiter: str = ",", bom: bool = False, quoting: int = csv.QUOTE_MINIMAL
) -> None:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, quoting=quoting, lineterminator="\r\n").writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))


# --------------------------------------------------------------------------- Qualtrics


QUALTRICS_META = [
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "DistributionChannel",
    "UserLanguage",
]
QUALTRICS_TEXT = [
    "Start Date",
    "End Date",
    "Response Type",
    "IP Address",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "Recorded Date",
    "Response ID",
    "Distribution Channel",
    "User Language",
]
QUALTRICS_IMPORT = [
    {"ImportId": "startDate", "timeZone": "Europe/Amsterdam"},
    {"ImportId": "endDate", "timeZone": "Europe/Amsterdam"},
    {"ImportId": "status"},
    {"ImportId": "ipAddress"},
    {"ImportId": "progress"},
    {"ImportId": "duration"},
    {"ImportId": "finished"},
    {"ImportId": "recordedDate", "timeZone": "Europe/Amsterdam"},
    {"ImportId": "_recordId"},
    {"ImportId": "distributionChannel"},
    {"ImportId": "userLanguage"},
]


def _qualtrics_table(d: pd.DataFrame, rng: np.random.Generator, numeric: bool) -> list[list]:
    items = [f"WAM_{j}" for j in range(1, 20)]
    header = QUALTRICS_META + DESIGN + items
    # neutral placeholders: wamkit ships no item wording
    texts = (
        QUALTRICS_TEXT
        + DESIGN
        + [
            (
                "How do you experience the working relationship?\nRate each statement. - "
                if j == 1
                else "How do you experience the working relationship? - "
            )
            + f"Statement {j}"
            for j in range(1, 20)
        ]
    )
    imports = [json.dumps(x, separators=(",", ":")) for x in QUALTRICS_IMPORT]
    imports += [json.dumps({"ImportId": c}, separators=(",", ":")) for c in DESIGN]
    imports += [json.dumps({"ImportId": f"QID5_{j}"}, separators=(",", ":")) for j in range(1, 20)]
    n = len(d) + 3
    starts, ends, durations = _timestamps(rng, n)
    ip = [f"192.0.2.{int(x)}" for x in rng.integers(1, 255, n)]
    ids = [
        "R_" + "".join(rng.choice(list("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"), 15))
        for _ in range(n)
    ]
    answers = (lambda v: NUMERIC[v]) if numeric else (lambda v: LABELS_EN[v])
    body: list[list] = []
    for i, r in enumerate(d.itertuples(index=False)):
        meta = [
            starts[i],
            ends[i],
            0 if numeric else "IP Address",
            ip[i],
            100,
            durations[i],
            1 if numeric else "True",
            ends[i],
            ids[i],
            "anonymous",
            "NL",
        ]
        body.append(meta + [getattr(r, c) for c in DESIGN] + [answers(getattr(r, c)) for c in ITEMS])
    # two preview responses, one unfinished response: inserted at fixed places
    j = len(d)
    preview = [
        [
            starts[j + k],
            ends[j + k],
            1 if numeric else "Survey Preview",
            "",
            100,
            durations[j + k],
            1 if numeric else "True",
            ends[j + k],
            ids[j + k],
            "preview",
            "EN",
        ]
        + ["PREVIEW", "PO000", "client", "T0"]
        + [answers("3")] * 19
        for k in range(2)
    ]
    unfinished = (
        [
            starts[j + 2],
            ends[j + 2],
            0 if numeric else "IP Address",
            ip[j + 2],
            40,
            durations[j + 2],
            0 if numeric else "False",
            ends[j + 2],
            ids[j + 2],
            "anonymous",
            "NL",
        ]
        + ["D9998", "PO001", "client", "T0"]
        + [answers("4")] * 5
        + [answers("")] * 14
    )
    body.insert(3, preview[0])
    body.insert(10, unfinished)
    body.append(preview[1])
    return [header, texts, imports, *body]


def qualtrics_csv(d: pd.DataFrame) -> None:
    rows = _qualtrics_table(d, np.random.default_rng(SEED), numeric=False)
    _write_csv(HERE / "qualtrics.csv", rows, quoting=csv.QUOTE_ALL)


def qualtrics_xlsx(d: pd.DataFrame) -> None:
    import openpyxl

    rows = _qualtrics_table(d, np.random.default_rng(SEED + 1), numeric=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet0"
    for r in rows:
        ws.append(r)
    _save_workbook(wb, HERE / "qualtrics.xlsx")


def _save_workbook(wb, path: Path) -> None:
    """Save with a fixed creation time, so that the file is the same on every run."""
    stamp = dt.datetime(2026, 3, 1, 12, 0, 0)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.save(path)
    _fix_zip_times(path)


def _fix_zip_times(path: Path) -> None:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time as 'modified'
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-03-01T12:00:00Z", data)
            info.date_time = (2026, 3, 1, 12, 0, 0)
            dst.writestr(info, data)
    path.write_bytes(buf.getvalue())


# --------------------------------------------------------------------------- LimeSurvey


def limesurvey_csv(d: pd.DataFrame) -> None:
    rng = np.random.default_rng(SEED + 2)
    items = [f"WAM[SQ{j:03d}]" for j in range(1, 20)]
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", *DESIGN, *items]
    n = len(d) + 1
    starts, ends, _ = _timestamps(rng, n)
    seeds = rng.integers(10**8, 10**9, n).tolist()
    code = {"1": "A1", "2": "A2", "3": "A3", "4": "A4", "5": "A5", "n.v.t.": "", "": ""}
    body = []
    for i, r in enumerate(d.itertuples(index=False)):
        body.append(
            [
                i + 1,
                ends[i],
                3,
                "nl",
                seeds[i],
                starts[i],
                ends[i],
                *[getattr(r, c) for c in DESIGN],
                *[code[getattr(r, c)] for c in ITEMS],
            ]
        )
    incomplete = [
        n,
        "",
        1,
        "nl",
        seeds[-1],
        starts[-1],
        starts[-1],
        "D9997",
        "PO002",
        "client",
        "T0",
        *(["A2"] * 3),
        *([""] * 16),
    ]
    body.insert(7, incomplete)
    _write_csv(HERE / "limesurvey.csv", [header, *body], quoting=csv.QUOTE_ALL)


# --------------------------------------------------------------------------- Dutch CSV


def dutch_semicolon(d: pd.DataFrame, o: pd.DataFrame) -> None:
    risk = dict(zip(o["dyad"], o["risk_score"], strict=True))
    header = [*DESIGN, "risk_score", *ITEMS]
    body = [
        [*[getattr(r, c) for c in DESIGN], risk[r.dyad].replace(".", ","), *[LABELS_NL[getattr(r, c)] for c in ITEMS]]
        for r in d.itertuples(index=False)
    ]
    _write_csv(HERE / "dutch_semicolon.csv", [header, *body], delimiter=";", bom=True)


# --------------------------------------------------------------------------- SPSS


def _visit_dates(d: pd.DataFrame) -> list[dt.date]:
    base = {"T0": dt.date(2026, 1, 5), "T1": dt.date(2026, 7, 6)}
    return [base[w] + dt.timedelta(days=int(k) % 28) for w, k in zip(d["wave"], range(len(d)), strict=True)]


def spss_labelled(d: pd.DataFrame) -> None:
    import pyreadstat

    frame = pd.DataFrame(
        {
            "dyad": d["dyad"],
            "officer": d["officer"],
            "rater": d["rater"].map(RATER_CODE).astype(float),
            "wave": d["wave"].map(WAVE_CODE).astype(float),
            "visit_date": _visit_dates(d),
            **{c: pd.Series([np.nan if NUMERIC[v] is None else float(NUMERIC[v]) for v in d[c]]) for c in ITEMS},
        }
    )
    scale = {1.0: "Never", 2.0: "Rarely", 3.0: "Sometimes", 4.0: "Often", 5.0: "Always", 9.0: "n/a"}
    pyreadstat.write_sav(
        frame,
        str(HERE / "spss_labelled.sav"),
        variable_value_labels={
            "rater": {1.0: "client", 2.0: "professional"},
            "wave": {0.0: "T0", 6.0: "T1"},
            **{c: scale for c in ITEMS},
        },
        missing_ranges={c: [9.0] for c in ITEMS},
        variable_format={"visit_date": "DATE11"},
        column_labels={"rater": "Who filled in the form", "wave": "Months since the start"},
    )
    _fix_sav_time(HERE / "spss_labelled.sav")


def _fix_sav_time(path: Path) -> None:
    """A fixed creation date and time in the .sav header (bytes 92-108), so that the file is the same on every run."""
    data = bytearray(path.read_bytes())
    assert data[:4] == b"$FL2"
    data[92:109] = b"01 Mar 2612:00:00"
    path.write_bytes(bytes(data))


# --------------------------------------------------------------------------- Excel with a title row


def excel_title(d: pd.DataFrame) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "Info"
    info.append(["Working Alliance Monitor - demonstration export"])
    info.append(["The data are on the sheet 'Export'."])
    ws = wb.create_sheet("Export")
    ws.append(["Working Alliance Monitor - export of 2026-08-01"])
    ws.append([*DESIGN, "visit_date", *ITEMS])
    for r, date in zip(d.itertuples(index=False), _visit_dates(d), strict=True):
        cells = [int(v) if v.isdigit() else (v or None) for v in (getattr(r, c) for c in ITEMS)]
        ws.append([*[getattr(r, c) for c in DESIGN], dt.datetime(date.year, date.month, date.day), *cells])
    for row in ws.iter_rows(min_row=3, min_col=5, max_col=5):
        for cell in row:
            cell.number_format = "yyyy-mm-dd"
    _save_workbook(wb, HERE / "excel_title.xlsx")


# --------------------------------------------------------------------------- wide and outcomes


def wide(d: pd.DataFrame) -> None:
    waves = ["T0", "T1"]
    columns = [f"{ROLE_LABEL[role]}_{w}_{it}" for role in ("client", "professional") for w in waves for it in ITEMS]
    by_key = {(r.dyad, r.rater, r.wave): r for r in d.itertuples(index=False)}
    rows = []
    for dyad, officer in d[["dyad", "officer"]].drop_duplicates().itertuples(index=False):
        cells = []
        for role in ("client", "professional"):
            for w in waves:
                r = by_key.get((dyad, role, w))
                cells += [getattr(r, it) if r is not None else "" for it in ITEMS]
        rows.append([dyad, officer, *cells])
    _write_csv(HERE / "wide.csv", [["dyad", "officer", *columns], *rows])


def outcomes_key(o: pd.DataFrame) -> None:
    out = o.rename(columns={"dyad": "Participant Id"})
    _write_csv(HERE / "outcomes_key.csv", [list(out.columns), *out.itertuples(index=False)])


def main() -> None:
    d = long_rows()
    o = outcomes(d["dyad"].unique())
    qualtrics_csv(d)
    qualtrics_xlsx(d)
    limesurvey_csv(d)
    dutch_semicolon(d, o)
    spss_labelled(d)
    excel_title(d)
    wide(d)
    outcomes_key(o)


if __name__ == "__main__":
    main()
