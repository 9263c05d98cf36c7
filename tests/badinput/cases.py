"""The bad-input corpus (issue 7): every malformed input, the command that reads it and what must happen.

Each :class:`Case` names a command line; ``{w}`` stands for the case's own scratch folder, into which
every corpus file named in the command line (``{w}/NAME`` with ``NAME`` in ``files/``) and in ``also``
is copied before the run, and into which ``make`` writes generated inputs (a 17 MiB line, workbooks,
symlinks: nothing big or binary-by-accident is committed). ``tests/test_badinput.py`` runs each case
in-process and checks:

* the exit code (2 bad usage/bad input, 1 a failed check, 0 for the "handled" cases);
* the error is one line starting ``wamkit: error:`` (then only indented detail lines), containing
  ``fragment``; commands that print a per-file report first (``instruments check``) set ``preamble``;
  command-line syntax errors found by click (``click``) keep click's "Usage: ... Error: ..." form;
* no ``Traceback``/internal error, nothing on stdout, a short message (an alias bomb must not be
  expanded into the message);
* the folder holds exactly the files it held before, byte for byte: no partial output, no temporary
  file left behind, inputs unchanged (sha256).

``bug`` marks a case that shows a known defect (reported to the lead): the test is a strict xfail,
so it starts failing (XPASS) the moment the defect is fixed and the mark must be removed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FILES = Path(__file__).resolve().parent / "files"

BOTH = ("-i", "client=wam-demo-client", "-i", "professional=wam-demo-professional", "--rater", "rater")
ITEMS = [f"wai{i:02d}" for i in range(1, 13)]


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    code: int
    fragment: str
    also: tuple[str, ...] = ()
    make: Callable[[Path], None] | None = None
    preamble: bool = False
    stdin: bytes | None = None
    bug: str | None = None
    click: bool = False  # a command-line syntax error reported by click ("Usage: ... Error: ..."), not by wamkit


def score(data: str, *extra: str, out: str = "{w}/scores.csv", instrument: str = "wai-sr-client") -> tuple[str, ...]:
    return ("score", f"{{w}}/{data}", "-i", instrument, *extra, "-o", out)


# --------------------------------------------------------------------------- generated inputs


def _huge_line_one_field(w: Path) -> None:
    """A header, then one 17 MiB line without a delimiter (longer than the reader's 16 MiB block)."""
    with open(w / "huge_line.csv", "wb") as fh:
        fh.write(("id," + ",".join(ITEMS) + "\n").encode())
        fh.write(b"3" * (17 << 20) + b"\n")


def _huge_line_many_fields(w: Path) -> None:
    """A header, one good row, then a single 6 MiB line of 3 million fields."""
    with open(w / "huge_fields.csv", "wb") as fh:
        fh.write(("id," + ",".join(ITEMS) + "\n1," + ",".join(["3"] * 12) + "\n").encode())
        fh.write(b"3," * (3 << 20) + b"\n")


def _huge_yaml(w: Path) -> None:
    (w / "huge.yaml").write_text("id: huge\nname: huge\n" + "# padding\n" * 120_000)


def _workbook(w: Path, name: str, header: list, rows: list[list], title: str = "T0") -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(w / name)


def _xlsx_two_sheets(w: Path) -> None:
    _workbook(w, "waves.xlsx", ["id", *ITEMS], [[1, *[3] * 12]])


def _xlsx_duplicate_column(w: Path) -> None:
    _workbook(w, "dupcol.xlsx", ["id", "wai01", *ITEMS], [[1, 3, *[3] * 12]])


def _xlsx_date_in_item(w: Path) -> None:
    import datetime

    _workbook(w, "dates.xlsx", ["id", *ITEMS], [[1, *[3] * 11, datetime.datetime(2024, 3, 1)]])


def _xlsx_header_only(w: Path) -> None:
    _workbook(w, "header_only.xlsx", ["id", *ITEMS], [])


def _parquet_duplicate_column(w: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = [pa.array(["a"]), *[pa.array([3]) for _ in ITEMS], pa.array([4])]
    pq.write_table(pa.table(cols, names=["id", *ITEMS, "wai01"]), w / "dupcol.parquet")


def _sav_out_of_range(w: Path) -> None:
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame({"id": ["a", "b"], **{i: [3.0, 3.0] for i in ITEMS}})
    frame.loc[1, "wai05"] = 8.0
    pyreadstat.write_sav(frame, str(w / "export.sav"), variable_value_labels={"wai01": {1.0: "Seldom", 5.0: "Always"}})


def _late_non_utf8(w: Path) -> None:
    """Over 64 KiB of ASCII rows (the sniffed sample), then a cp1252 byte; one file also has UTF-8 earlier."""
    header = "id," + ",".join(ITEMS) + "\n"
    body = "".join(f"{i}," + ",".join(["3"] * 12) + "\n" for i in range(6000))
    tail = "Ren\u00e9,".encode("cp1252") + ",".join(["3"] * 12).encode() + b"\n"
    (w / "late_cp1252.csv").write_bytes((header + body).encode() + tail)
    (w / "late_mixed.csv").write_bytes((header + "Jos\u00e9," + ",".join(["3"] * 12) + "\n" + body).encode() + tail)


def _late_bad_value(w: Path) -> None:
    rows = "".join(f"{i}," + ",".join(["3"] * 12) + "\n" for i in range(3000))
    (w / "late_bad_value.csv").write_text("id," + ",".join(ITEMS) + "\n" + rows + "x," + ",".join(["3"] * 11) + ",8\n")


def _existing_output(w: Path) -> None:
    (w / "scores.csv").write_text("an earlier result\n")


def _symlink_to_input(w: Path) -> None:
    os.symlink(w / "good.csv", w / "alias.csv")


def _folder(name: str) -> Callable[[Path], None]:
    def make(w: Path) -> None:
        (w / name).mkdir()

    return make


def _copy_instrument(w: Path) -> None:
    src = FILES.parent.parent.parent / "instruments" / "wai-sr-client.yaml"
    (w / "my-key.yaml").write_bytes(src.read_bytes())


def _many_bad_cells(w: Path) -> None:
    rows = "\n".join(f"{i}," + ",".join(["8"] * 12) for i in range(1, 6))
    (w / "many_bad.csv").write_text("id," + ",".join(ITEMS) + "\n" + rows + "\n")


def _titled_csv(w: Path) -> None:
    (w / "titled.csv").write_text(
        "Survey export 2026-03\n" + "id," + ",".join(ITEMS) + "\n1," + ",".join(["3"] * 12) + "\n"
    )


def _titled_xlsx(w: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Info"
    wb.active.append(["see the sheet Export"])
    ws = wb.create_sheet("Export")
    ws.append(["Working Alliance Monitor - export"])
    ws.append(["id", *ITEMS])
    ws.append([1, *[3] * 12])
    wb.save(w / "titled.xlsx")


def _empty_first_sheet(w: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    ws = wb.create_sheet("Data")
    ws.append(["id", *ITEMS])
    ws.append([1, *[3] * 12])
    wb.save(w / "second_sheet.xlsx")


def _qualtrics(rows: list[tuple[str, str]]) -> str:
    meta = ["StartDate", "EndDate", "Status", "Progress", "Finished", "ResponseId", "DistributionChannel"]
    text = ["Start Date", "End Date", "Response Type", "Progress", "Finished", "Response ID", "Distribution Channel"]
    lines = [
        ",".join(meta + ["id", *ITEMS]),
        ",".join(text + ["id", *[f"Q{i}" for i in range(12)]]),
        ",".join(['"{""ImportId"":""x""}"'] * (len(meta) + 13)),
    ]
    for i, (status, channel) in enumerate(rows):
        lines.append(
            ",".join(
                [
                    "2026-03-02 10:00:00",
                    "2026-03-02 10:05:00",
                    status,
                    "100",
                    "True",
                    f"R_{i}",
                    channel,
                    str(i),
                    *["3"] * 11,
                    "8" if i == len(rows) - 1 else "3",
                ]
            )
        )
    return "\n".join(lines) + "\n"


def _qualtrics_previews_only(w: Path) -> None:
    (w / "previews.csv").write_text(_qualtrics([("Survey Preview", "preview"), ("Survey Preview", "preview")]))


def _qualtrics_bad_cell(w: Path) -> None:
    (w / "qualtrics_bad.csv").write_text(
        _qualtrics([("IP Address", "anonymous"), ("Survey Preview", "preview"), ("IP Address", "anonymous")])
    )


def _qualtrics_with_preview(w: Path) -> None:
    text = _qualtrics([("IP Address", "anonymous"), ("Survey Preview", "preview"), ("IP Address", "anonymous")])
    (w / "qualtrics.csv").write_text(text.replace(",8\n", ",3\n"))


def _spss_labelled_codes(w: Path) -> None:
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame({"id": ["a", "b"], "wave": [0.0, 6.0], **{i: [3.0, 9.0] for i in ITEMS}})
    pyreadstat.write_sav(
        frame,
        str(w / "labelled.sav"),
        variable_value_labels={"wave": {0.0: "T0", 6.0: "T6"}},
        missing_ranges={i: [9.0] for i in ITEMS},
    )


# --------------------------------------------------------------------------- the corpus

CASES: list[Case] = [
    # ---- score: cells
    Case(
        "non-numeric-cell",
        score("non_numeric_cell.csv"),
        2,
        "non_numeric_cell.csv, row 2, column wai12: value 'often' is not a number or a label of the scale",
    ),
    Case(
        "out-of-range",
        score("out_of_range.csv"),
        2,
        "out_of_range.csv, row 2, column wai05: value 7 is outside the scale 1-5",
    ),
    Case(
        "label-not-in-instrument",
        score("label_not_in_instrument.csv"),
        2,
        "row 1, column wai01: value 'Altijd' is not a number or a label of the scale (labels: always,",
    ),
    Case("infinite-value", score("infinite_value.csv"), 2, "row 1, column wai12: value inf is outside the scale 1-5"),
    Case(
        "fraction-on-discrete-scale",
        score("fraction_on_discrete_scale.csv"),
        2,
        "row 1, column wai12: value 2.5 is not a whole number on the scale 1-5",
    ),
    Case(
        "decimal-comma",
        score("decimal_comma.csv"),
        2,
        "decimal_comma.csv, row 1, column wai01: value 3.5 is not a whole number on the scale 1-5",
    ),
    Case(
        "decimal-comma-quoted",
        score("decimal_comma_quoted.csv"),
        2,
        "row 1, column wai12: value 2.5 is not a whole number on the scale 1-5",
    ),
    Case(
        "many-bad-cells-listed-to-a-limit",
        score("many_bad.csv"),
        2,
        "many_bad.csv: invalid item values: 60 problems; first: many_bad.csv, row 1, column wai01: value 8",
        make=_many_bad_cells,
    ),
    Case(
        "bom-before-an-item-column",
        score("bom_bad_value.csv"),
        2,
        "bom_bad_value.csv, row 1, column wai01: value 8 is outside the scale 1-5",
    ),
    # ---- score: header and shape
    Case(
        "missing-item-column",
        score("missing_item_column.csv"),
        2,
        "missing_item_column.csv: missing item column(s): wai12",
    ),
    Case("no-item-columns", score("no_item_columns.csv"), 2, "none of the instrument's item columns are present"),
    Case(
        "duplicated-column",
        score("duplicated_column.csv"),
        2,
        "duplicated_column.csv: duplicate column name 'wai01' (columns 2 and 14)",
    ),
    Case(
        "duplicated-column-after-trimming",
        score("duplicated_column_whitespace.csv"),
        2,
        "duplicate column name 'wai01' (columns 2 and 3)",
    ),
    Case("empty-header-name", score("empty_header_name.csv"), 2, "column 2 has an empty name in the header"),
    Case("empty-file", score("empty.csv"), 2, "empty.csv: file is empty"),
    Case("blank-lines-only", score("blank_lines.csv"), 2, "blank_lines.csv: file is empty"),
    Case("header-only", score("header_only.csv"), 2, "header_only.csv: has a header but no data rows"),
    Case(
        "header-only-streaming",
        score("header_only.csv", "--chunk-rows", "5"),
        2,
        "header_only.csv: has a header but no data rows",
    ),
    Case(
        "header-without-items-streaming",
        score("header_without_items.csv", "--chunk-rows", "5"),
        2,
        "header_without_items.csv: missing item column(s)",
    ),
    Case(
        "wrong-delimiter", score("wrong_delimiter.csv"), 2, "wrong_delimiter.csv: missing item column(s): wai01, wai02"
    ),
    Case(
        "wrong-input-format-forced",
        score("semicolon.csv", "--input-format", "tsv"),
        2,
        "none of the instrument's item columns are present",
    ),
    Case(
        "truncated-last-line",
        score("truncated_last_line.csv"),
        2,
        "truncated_last_line.csv: row 2 (line 3) is truncated: 4 fields where the header has 13",
    ),
    Case(
        "extra-fields",
        score("extra_fields.csv"),
        2,
        "row 1 (line 2) has extra fields: 14 fields where the header has 13",
    ),
    Case(
        "unclosed-quote",
        score("unclosed_quote.csv"),
        2,
        "unclosed_quote.csv: row 1 (line 2): a quoted field starts here and is never closed",
    ),
    Case("score-id-clash", score("score_id_clash.csv"), 2, "already has a column named 'task'"),
    # ---- score: encodings and bytes
    Case(
        "mixed-encodings",
        score("mixed_encodings.csv"),
        2,
        "mixed_encodings.csv: line 3: byte 0xe9 is not UTF-8, but other lines are UTF-8 (mixed encodings)",
    ),
    Case(
        "mixed-encodings-late",
        score("late_mixed.csv"),
        2,
        "late_mixed.csv: line 6003: byte 0xe9 is not UTF-8, but other lines are UTF-8",
        make=_late_non_utf8,
    ),
    Case(
        "mixed-encodings-late-streaming",
        score("late_mixed.csv", "--chunk-rows", "1000"),
        2,
        "late_mixed.csv: line 6003: ",
        make=_late_non_utf8,
    ),
    Case(
        "late-chunk-bad-value-streaming",
        score("late_bad_value.csv", "--chunk-rows", "100"),
        2,
        "late_bad_value.csv, row 3001, column wai12: value 8 is outside the scale 1-5",
        make=_late_bad_value,
    ),
    Case("utf16-truncated", score("utf16_truncated.csv"), 2, "utf16_truncated.csv: cannot decode the file as utf-16"),
    Case(
        "utf16-truncated-streaming",
        score("utf16_truncated.csv", "--chunk-rows", "2"),
        2,
        "utf16_truncated.csv: cannot decode the file as utf-16",
    ),
    Case(
        "utf16-lone-surrogate",
        score("utf16_bad_surrogate.csv"),
        2,
        "utf16_bad_surrogate.csv: cannot decode the file as utf-16",
    ),
    Case(
        "utf16-lone-surrogate-streaming",
        score("utf16_bad_surrogate.csv", "--chunk-rows", "2"),
        2,
        "utf16_bad_surrogate.csv: cannot decode the file as utf-16",
    ),
    Case("binary-file", score("binary.csv"), 2, "binary.csv: not a text file (binary content: NUL byte at offset"),
    Case(
        "huge-line-one-field",
        score("huge_line.csv"),
        2,
        "huge_line.csv: row 1 (line 2): a field is longer than 16 MiB",
        make=_huge_line_one_field,
    ),
    Case(
        "huge-line-many-fields",
        score("huge_fields.csv"),
        2,
        "huge_fields.csv: row 2 (line 3) has extra fields: 3145729 fields",
        make=_huge_line_many_fields,
    ),
    Case(
        "stdin-empty",
        ("score", "-", "-i", "wai-sr-client", "-o", "{w}/scores.csv"),
        2,
        "<stdin>: file is empty",
        stdin=b"",
    ),
    Case(
        "stdin-bad-cell",
        ("score", "-", "-i", "wai-sr-client"),
        2,
        "<stdin>, row 1, column wai12: value '9x' is not a number",
        stdin=("id," + ",".join(ITEMS) + "\n1," + ",".join(["3"] * 11) + ",9x\n").encode(),
    ),
    # ---- score: other file formats
    Case("not-a-workbook", score("not_a_workbook.xlsx"), 2, "not_a_workbook.xlsx: not a readable .xlsx workbook"),
    Case("not-parquet", score("not_parquet.parquet"), 2, "not_parquet.parquet: not a readable Parquet file"),
    Case("not-spss", score("not_spss.sav"), 2, "not_spss.sav: not a readable SPSS .sav file"),
    Case(
        "sav-out-of-range",
        score("export.sav"),
        2,
        "export.sav, row 2, column wai05: value 8 is outside the scale 1-5",
        make=_sav_out_of_range,
    ),
    Case(
        "parquet-duplicate-column",
        score("dupcol.parquet"),
        2,
        "dupcol.parquet: duplicate column name 'wai01' (columns 2 and 14)",
        make=_parquet_duplicate_column,
    ),
    Case(
        "xlsx-unknown-sheet",
        score("waves.xlsx", "--sheet", "T9"),
        2,
        "waves.xlsx: no sheet 'T9' (sheets: T0)",
        make=_xlsx_two_sheets,
    ),
    Case(
        "xlsx-duplicate-column",
        score("dupcol.xlsx"),
        2,
        "dupcol.xlsx: duplicate column name 'wai01'",
        make=_xlsx_duplicate_column,
    ),
    Case(
        "xlsx-date-in-item", score("dates.xlsx"), 2, "dates.xlsx, row 1, column wai12: value", make=_xlsx_date_in_item
    ),
    Case(
        "xlsx-header-only",
        score("header_only.xlsx"),
        2,
        "header_only.xlsx: sheet 'T0' has a header but no data rows",
        make=_xlsx_header_only,
    ),
    Case(
        "title-row-above-the-header",
        score("titled.csv"),
        2,
        "titled.csv: row 1 holds only 'Survey export 2026-03', which looks like a title, not column names; the "
        "column names seem to be in row 2",
        make=_titled_csv,
    ),
    Case(
        "xlsx-title-row-on-the-second-sheet",
        score("titled.xlsx", "--sheet", "2"),
        2,
        "titled.xlsx: sheet 'Export' row 1 holds only 'Working Alliance Monitor - export', which looks like a title",
        make=_titled_xlsx,
    ),
    Case(
        "xlsx-empty-first-sheet",
        score("second_sheet.xlsx"),
        2,
        "second_sheet.xlsx: sheet 'Notes' is empty; the data seem to be on sheet 'Data'; give --sheet Data",
        make=_empty_first_sheet,
    ),
    Case(
        "header-row-beyond-the-file",
        score("good.csv", "--header-row", "9"),
        2,
        "--header-row 9: good.csv has only 3 row(s)",
    ),
    Case(
        "header-row-on-a-blank-line", score("blank_lines.csv", "--header-row", "1"), 2, "blank_lines.csv: file is empty"
    ),
    Case(
        "qualtrics-previews-only",
        score("previews.csv"),
        2,
        "previews.csv: every response is a preview (2 rows); there is nothing to read",
        make=_qualtrics_previews_only,
    ),
    Case(
        "qualtrics-bad-cell-names-data-row-and-line",
        score("qualtrics_bad.csv"),
        2,
        "qualtrics_bad.csv, row 3 (line 6), column wai12: value 8 is outside the scale 1-5",
        make=_qualtrics_bad_cell,
    ),
    Case("output-exists", score("good.csv"), 2, "/scores.csv exists; ", make=_existing_output),
    Case("data-file-not-found", score("nowhere.csv"), 2, "nowhere.csv: file not found"),
    Case(
        "data-path-is-a-folder",
        score("folder.csv"),
        2,
        "folder.csv: is a folder, not a data file",
        make=_folder("folder.csv"),
    ),
    # ---- score: options and instruments
    Case(
        "unknown-instrument-id",
        score("good.csv", instrument="no-such-instrument"),
        2,
        "unknown instrument 'no-such-instrument' (not a file, not a known id)",
    ),
    Case(
        "instrument-file-not-found",
        score("good.csv", instrument="{w}/nowhere.yaml"),
        2,
        "nowhere.yaml: instrument file not found",
    ),
    Case(
        "rater-value-without-instrument",
        ("score", "{w}/demo_small.csv", "-i", "client=wam-demo-client", "--rater", "rater", "-o", "{w}/scores.csv"),
        2,
        "value 'professional' has no instrument",
    ),
    Case(
        "where-no-such-column",
        score("good.csv", "--where", "wave=T0"),
        2,
        "where wave=T0: good.csv has no column 'wave'",
    ),
    Case(
        "where-matches-nothing",
        ("score", "{w}/demo_small.csv", *BOTH, "--where", "wave=T9", "-o", "{w}/s.csv"),
        2,
        "where wave=T9 matches no row of demo_small.csv (column wave: values seen: T0, T1)",
    ),
    Case(
        "where-comparison-not-a-number",
        score("good.csv", "--where", "id>=many"),
        2,
        "where 'id>=many': >= compares numbers; 'many' is not a number",
    ),
    Case("map-unknown-item", score("good.csv", "--map", "wai99=Q1"), 2, "--map names unknown item 'wai99'"),
    Case(
        "map-two-items-one-column",
        score("good.csv", "--map", "wai01=wai02"),
        2,
        "items 'wai01' and 'wai02' both map to column 'wai02'",
    ),
    Case("columns-template-invalid", score("good.csv", "--columns", "Q{x}"), 2, "--columns template 'Q{x}' is invalid"),
    Case(
        "min-answered-above-one",
        score("good.csv", "--min-answered", "1.5"),
        2,
        "--min-answered must be a fraction in (0, 1], not 1.5",
    ),
    Case(
        "invalid-policy-unknown",
        score("good.csv", "--invalid", "ignore"),
        2,
        "--invalid must be 'error' or 'missing', not 'ignore'",
    ),
    Case("unknown-input-format", score("good.csv", "--input-format", "docx"), 2, "unknown input format 'docx'"),
    Case("chunk-rows-zero", score("good.csv", "--chunk-rows", "0"), 2, "--chunk-rows must be a positive number"),
    # ---- command-line syntax (click's own usage message, exit 2)
    Case(
        "missing-required-option",
        ("score", "{w}/good.csv", "-o", "{w}/scores.csv"),
        2,
        "give an instrument with -i ID (or -i VALUE=ID per rater with --rater COLUMN), or a study file with --study",
    ),
    Case(
        "option-not-an-integer",
        ("validate", "{w}/good.csv", "-i", "wai-sr-client", "--seed", "x", "-o", "{w}/v.json"),
        2,
        "Invalid value for '--seed'",
        click=True,
    ),
    Case("unknown-command", ("scroe", "{w}/good.csv"), 2, "No such command 'scroe'", click=True),
    # ---- output paths
    Case(
        "output-in-missing-folder",
        score("good.csv", out="{w}/missing/scores.csv"),
        2,
        "output folder '{w}/missing' does not exist",
    ),
    Case(
        "output-equals-input",
        score("good.csv", out="{w}/good.csv"),
        2,
        "output path is an input file; refusing to overwrite the input",
    ),
    Case(
        "output-equals-input-streaming",
        score("good.csv", "--chunk-rows", "1", out="{w}/good.csv"),
        2,
        "refusing to overwrite the input",
    ),
    Case(
        "output-is-a-symlink-to-input",
        score("good.csv", out="{w}/alias.csv"),
        2,
        "refusing to overwrite the input",
        make=_symlink_to_input,
    ),
    Case(
        "output-equals-instrument-file",
        score("good.csv", "--format", "csv", "-q", instrument="{w}/my-key.yaml", out="{w}/my-key.yaml"),
        2,
        "my-key.yaml: output path is an input file; refusing to overwrite the input",
        make=_copy_instrument,
    ),
    Case(
        "output-parent-is-a-file", score("good.csv", out="{w}/good.csv/scores.csv"), 2, "'{w}/good.csv' is not a folder"
    ),
    Case(
        "output-is-a-folder",
        score("good.csv", out="{w}/outdir"),
        2,
        "is a folder; give a file name",
        make=_folder("outdir"),
    ),
    Case(
        "output-name-too-long",
        score("good.csv", out="{w}/" + "a" * 300 + ".csv"),
        2,
        "cannot write here (File name too long)",
    ),
    Case("input-name-too-long", score("a" * 300 + ".csv"), 2, "cannot open (File name too long)"),
    # the existing output is refused before anything is read (no --force)
    Case(
        "input-name-too-long-output-exists",
        score("a" * 300 + ".csv"),
        2,
        "scores.csv exists; add --force",
        make=_existing_output,
    ),
    Case(
        "input-name-too-long-new-output",
        score("a" * 300 + ".csv", out="{w}/new.csv"),
        2,
        "cannot open (File name too long)",
    ),
    Case(
        "output-trailing-slash", score("good.csv", out="{w}/results/"), 2, "results/: names a folder; give a file name"
    ),
    Case("output-format-unknown", score("good.csv", out="{w}/scores.docx"), 2, "unknown output format 'docx'"),
    Case(
        "binary-format-to-stdout",
        ("score", "{w}/good.csv", "-i", "wai-sr-client", "--format", "parquet"),
        2,
        "--format parquet needs an output file (-o FILE)",
    ),
    # ---- instrument files (YAML)
    Case(
        "yaml-tabs",
        ("instruments", "check", "{w}/tabs.yaml"),
        2,
        "tabs.yaml:27: YAML syntax error: tab character used for indentation (use spaces)",
        preamble=True,
    ),
    Case(
        "yaml-alias-bomb",
        ("instruments", "check", "{w}/alias_bomb.yaml"),
        2,
        "alias_bomb.yaml:2: YAML anchors and aliases are not allowed",
        preamble=True,
    ),
    Case(
        "yaml-alias-bomb-via-score",
        score("good.csv", instrument="{w}/alias_bomb.yaml"),
        2,
        "YAML anchors and aliases are not allowed",
    ),
    Case(
        "yaml-python-object",
        ("instruments", "check", "{w}/python_object.yaml"),
        2,
        "python_object.yaml:1: YAML tag not allowed",
        preamble=True,
    ),
    Case(
        "yaml-python-object-via-score",
        score("good.csv", instrument="{w}/python_object_new.yaml"),
        2,
        "python_object_new.yaml:1: YAML tag not allowed",
    ),
    Case(
        "yaml-circular-extends",
        ("instruments", "check", "{w}/circ-a.yaml"),
        2,
        "circ-b.yaml:2: circular 'extends' (circ-a -> circ-b -> circ-a)",
        also=("circ-b.yaml",),
        preamble=True,
    ),
    Case(
        "yaml-circular-extends-via-score",
        score("good.csv", instrument="{w}/circ-a.yaml"),
        2,
        "circular 'extends'",
        also=("circ-b.yaml",),
    ),
    Case(
        "yaml-extends-itself",
        ("instruments", "show", "{w}/self_extends.yaml"),
        2,
        "self_extends.yaml:2: circular 'extends' (selfy -> selfy)",
    ),
    Case(
        "yaml-extends-unknown",
        ("instruments", "check", "{w}/extends_unknown.yaml"),
        2,
        "extends_unknown.yaml:2: extends unknown instrument 'no-such-parent'",
        preamble=True,
    ),
    Case(
        "yaml-not-a-mapping",
        ("instruments", "check", "{w}/not_a_mapping.yaml"),
        2,
        "not_a_mapping.yaml: an instrument file must be a YAML mapping",
        preamble=True,
    ),
    Case(
        "yaml-empty",
        ("instruments", "check", "{w}/empty.yaml"),
        2,
        "empty.yaml: an instrument file must be a YAML mapping",
        preamble=True,
    ),
    Case(
        "yaml-latin1",
        ("instruments", "check", "{w}/latin1.yaml"),
        2,
        "latin1.yaml: instrument files must be UTF-8 (bad byte at offset",
        preamble=True,
    ),
    Case(
        "yaml-nul-bytes",
        ("instruments", "check", "{w}/nul.yaml"),
        2,
        "nul.yaml: not a text file (contains NUL bytes)",
        preamble=True,
    ),
    Case(
        "yaml-over-1-mib",
        ("instruments", "check", "{w}/huge.yaml"),
        2,
        "huge.yaml: instrument file is larger than 1 MiB",
        make=_huge_yaml,
        preamble=True,
    ),
    Case(
        "yaml-syntax-error",
        ("instruments", "check", "{w}/syntax_error.yaml"),
        2,
        "syntax_error.yaml:3: YAML syntax error",
        preamble=True,
    ),
    Case(
        "yaml-duplicate-key",
        ("instruments", "check", "{w}/duplicate_key.yaml"),
        2,
        "duplicate_key.yaml:5: key 'id' is given twice in this mapping (first on line 4)",
        preamble=True,
    ),
    Case(
        "yaml-complex-key",
        ("instruments", "check", "{w}/complex_key.yaml"),
        2,
        "complex_key.yaml:1: mapping keys must be plain text, not a list or mapping",
        preamble=True,
    ),
    Case(
        "yaml-unknown-item-in-subscale",
        ("instruments", "check", "{w}/unknown_item_in_subscale.yaml"),
        2,
        "unknown_item_in_subscale.yaml:40: subscale 'bond' lists unknown item 'wai13'",
        preamble=True,
    ),
    Case(
        "yaml-duplicate-item",
        ("instruments", "show", "{w}/duplicate_item.yaml"),
        2,
        "duplicate_item.yaml:26: duplicate item id 'wai01'",
    ),
    Case(
        "yaml-scale-min-above-max",
        ("instruments", "check", "{w}/scale_min_above_max.yaml"),
        2,
        "scale_min_above_max.yaml:17: scale min (5) must be below max (1)",
        preamble=True,
    ),
    Case(
        "yaml-min-answered-above-one",
        ("instruments", "check", "{w}/min_answered_above_one.yaml"),
        2,
        "min_answered: 2 is greater than the maximum of 1",
        preamble=True,
    ),
    Case(
        "yaml-missing-name",
        ("instruments", "check", "{w}/missing_name.yaml"),
        2,
        "missing_name.yaml:1: 'name' is required",
        preamble=True,
    ),
    Case(
        "yaml-failing-worked-example",
        ("instruments", "check", "{w}/failing_example.yaml"),
        1,
        "1 worked-example score(s) differ from the expected values",
        preamble=True,
    ),
    Case(
        "instruments-check-unknown-id",
        ("instruments", "check", "no-such-instrument"),
        2,
        "unknown instrument 'no-such-instrument'",
        preamble=True,
    ),
    Case(
        "instruments-show-unknown-id",
        ("instruments", "show", "no-such-instrument"),
        2,
        "unknown instrument 'no-such-instrument'",
    ),
    # ---- instruments new
    Case(
        "new-bad-id",
        ("instruments", "new", "{w}/good.csv", "--id", "Bad Id", "-o", "{w}/draft.yaml"),
        2,
        "--id Bad Id: must use lowercase letters, digits and '-'",
    ),
    Case(
        "new-items-match-nothing",
        ("instruments", "new", "{w}/good.csv", "--id", "x", "--items", "zz*", "-o", "{w}/draft.yaml"),
        2,
        "--items zz*: no column of good.csv matches",
    ),
    Case(
        "new-output-equals-input",
        ("instruments", "new", "{w}/good.csv", "--id", "x", "-o", "{w}/good.csv"),
        2,
        "refusing to overwrite the input",
    ),
    Case(
        "new-empty-file",
        ("instruments", "new", "{w}/empty.csv", "--id", "x", "-o", "{w}/draft.yaml"),
        2,
        "empty.csv: file is empty",
    ),
    # ---- inspect
    Case(
        "inspect-id-no-such-column",
        (
            "inspect",
            "{w}/duplicate_keys.csv",
            "-i",
            "wai-sr-client",
            "--id",
            "client",
            "--format",
            "json",
            "-o",
            "{w}/report.json",
        ),
        2,
        "--id client: duplicate_keys.csv has no column 'client'",
    ),
    Case(
        "inspect-unknown-format",
        ("inspect", "{w}/good.csv", "-i", "wai-sr-client", "--format", "xml"),
        2,
        "--format must be one of table, json, md, html, not 'xml'",
    ),
    Case(
        "inspect-output-equals-input",
        ("inspect", "{w}/good.csv", "-i", "wai-sr-client", "--format", "json", "-o", "{w}/good.csv"),
        2,
        "refusing to overwrite the input",
    ),
    Case(
        "inspect-binary",
        ("inspect", "{w}/binary.csv", "-i", "wai-sr-client", "--format", "json", "-o", "{w}/report.json"),
        2,
        "not a text file",
    ),
    # ---- validate
    Case(
        "validate-too-few-rows",
        ("validate", "{w}/good.csv", "-i", "wai-sr-client", "--format", "json", "-o", "{w}/v.json"),
        2,
        "too few rows for a factor model: 2 rows with answers for 12 items",
    ),
    Case(
        "validate-constant-item",
        ("validate", "{w}/constant_item.csv", "-i", "wai-sr-client", "--format", "json", "-o", "{w}/v.json"),
        2,
        "item(s) without variance (or fewer than 2 answers): wai01",
    ),
    Case(
        "validate-one-group",
        (
            "validate",
            "{w}/one_group.csv",
            "-i",
            "wai-sr-client",
            "--group",
            "g",
            "--format",
            "json",
            "-o",
            "{w}/v.json",
        ),
        2,
        "--group g: needs at least two groups, found 1",
    ),
    Case(
        "validate-bad-cell",
        ("validate", "{w}/non_numeric_cell.csv", "-i", "wai-sr-client", "--format", "json", "-o", "{w}/v.json"),
        2,
        "row 2, column wai12: value 'often'",
    ),
    Case(
        "validate-no-instrument-no-model",
        ("validate", "{w}/good.csv", "--format", "json", "-o", "{w}/v.json"),
        2,
        "give an instrument with -i ID (or -i VALUE=ID per rater with --rater COLUMN), or a study file with --study",
    ),
    Case(
        "validate-model-unknown-columns",
        ("validate", "{w}/good.csv", "--model", "f =~ a + b + c", "--format", "json", "-o", "{w}/v.json"),
        2,
        "missing item column(s): a, b, c",
    ),
    Case(
        "validate-output-equals-input",
        (
            "validate",
            "{w}/one_group.csv",
            "-i",
            "wai-sr-client",
            "--skip",
            "parallel",
            "--skip",
            "efa",
            "--skip",
            "cfa",
            "--format",
            "json",
            "-o",
            "{w}/one_group.csv",
        ),
        2,
        "refusing to overwrite the input",
    ),
    Case(
        "validate-negative-bootstrap",
        ("validate", "{w}/good.csv", "-i", "wai-sr-client", "--bootstrap", "-1"),
        2,
        "--bootstrap must be >= 0",
    ),
    Case(
        "validate-negative-seed",
        (
            "validate",
            "{w}/one_group.csv",
            "-i",
            "wai-sr-client",
            "--bootstrap",
            "5",
            "--seed",
            "-1",
            "--skip",
            "efa",
            "--skip",
            "cfa",
            "--format",
            "json",
            "-o",
            "{w}/v.json",
        ),
        2,
        "--seed must be a non-negative whole number, not -1",
    ),
    Case(
        "validate-zero-factors",
        (
            "validate",
            "{w}/one_group.csv",
            "-i",
            "wai-sr-client",
            "--n-factors",
            "0",
            "--skip",
            "parallel",
            "--skip",
            "cfa",
            "--format",
            "json",
            "-o",
            "{w}/v.json",
        ),
        2,
        "--n-factors must be at least 1, not 0",
    ),
    # ---- simulate
    Case(
        "simulate-missing-folder", ("simulate", "-o", "{w}/missing", "--seed", "1"), 2, "output folder does not exist"
    ),
    Case(
        "simulate-negative-seed",
        ("simulate", "-o", "{w}", "--seed", "-1"),
        2,
        "--seed must be a non-negative whole number, not -1",
    ),
    Case("simulate-too-few-dyads", ("simulate", "-o", "{w}", "--dyads", "0"), 2, "simulate needs at least 10 dyads"),
    # ---- outcomes
    Case(
        "outcomes-no-matching-keys",
        (
            "outcomes",
            "{w}/demo_small.csv",
            "--outcomes",
            "{w}/outcomes_no_matching_keys.csv",
            "--on",
            "dyad",
            *BOTH,
            "--outcome",
            "dropout",
            "-o",
            "{w}/o.json",
        ),
        2,
        "no row of demo_small.csv matches a key of outcomes_no_matching_keys.csv on dyad",
    ),
    Case(
        "outcomes-duplicate-key",
        (
            "outcomes",
            "{w}/demo_small.csv",
            "--outcomes",
            "{w}/outcomes_duplicate_key.csv",
            "--on",
            "dyad",
            *BOTH,
            "--outcome",
            "dropout",
            "-o",
            "{w}/o.json",
        ),
        2,
        "outcomes_duplicate_key.csv: duplicate key(s) on dyad: 'D0004' (rows 4, 31)",
    ),
    Case(
        "outcomes-key-column-missing",
        (
            "outcomes",
            "{w}/demo_small.csv",
            "--outcomes",
            "{w}/outcomes_small.csv",
            "--on",
            "client",
            *BOTH,
            "--outcome",
            "dropout",
            "-o",
            "{w}/o.json",
        ),
        2,
        "on: column 'client' is not in outcomes_small.csv",
    ),
    Case(
        "outcomes-file-empty",
        (
            "outcomes",
            "{w}/demo_small.csv",
            "--outcomes",
            "{w}/empty.csv",
            "--on",
            "dyad",
            *BOTH,
            "--outcome",
            "dropout",
            "-o",
            "{w}/o.json",
        ),
        2,
        "empty.csv: file is empty",
    ),
    Case(
        "outcomes-output-equals-outcomes-file",
        (
            "outcomes",
            "{w}/demo_small.csv",
            "--outcomes",
            "{w}/outcomes_small.csv",
            "--on",
            "dyad",
            *BOTH,
            "--outcome",
            "dropout",
            "-o",
            "{w}/outcomes_small.csv",
        ),
        2,
        "refusing to overwrite the input",
    ),
    Case(
        "outcomes-unknown-outcome",
        (
            "outcomes",
            "{w}/demo_small.csv",
            "--outcomes",
            "{w}/outcomes_small.csv",
            "--on",
            "dyad",
            *BOTH,
            "--outcome",
            "relapse",
            "-o",
            "{w}/o.json",
        ),
        2,
        "outcome relapse: outcomes_small.csv has no column 'relapse'",
    ),
    # ---- dyads
    Case(
        "dyads-duplicate-wave",
        (
            "dyads",
            "{w}/demo_duplicate_wave.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--wave",
            "wave",
            "--format",
            "json",
            "-o",
            "{w}/d.json",
        ),
        2,
        "duplicate rows for dyad D0001, wave T0, rater client: 2 rows (rows 1, 109)",
    ),
    Case(
        "dyads-duplicate-keys-without-wave",
        ("dyads", "{w}/demo_small.csv", *BOTH, "--dyad", "dyad", "--format", "json", "-o", "{w}/d.json"),
        2,
        "48 duplicated dyad keys; first: dyad D0001, rater client: 2 rows (rows 1, 3)",
    ),
    Case(
        "dyads-no-such-dyad-column",
        ("dyads", "{w}/demo_small.csv", *BOTH, "--dyad", "pair", "--format", "json", "-o", "{w}/d.json"),
        2,
        "column 'pair' is not in demo_small.csv",
    ),
    Case(
        "dyads-wave-not-in-order",
        (
            "dyads",
            "{w}/demo_small.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--wave",
            "wave",
            "--wave-order",
            "T0,T9",
            "--format",
            "json",
            "-o",
            "{w}/d.json",
        ),
        2,
        "value 'T1' is not a declared wave (T0, T9)",
    ),
    Case(
        "dyads-output-equals-input",
        ("dyads", "{w}/demo_small.csv", *BOTH, "--dyad", "dyad", "--format", "json", "-o", "{w}/demo_small.csv"),
        2,
        "refusing to overwrite the input",
    ),
    Case(
        "dyads-pseudonymise-without-key",
        (
            "dyads",
            "{w}/demo_small.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--pseudonymise",
            "dyad",
            "--format",
            "json",
            "-o",
            "{w}/d.json",
        ),
        2,
        "--pseudonymise needs a secret key",
    ),
    Case(
        "dyads-alerts-python-object",
        (
            "dyads",
            "{w}/demo_small.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--wave",
            "wave",
            "--alerts",
            "{w}/alerts_python_object.yaml",
            "--format",
            "json",
            "-o",
            "{w}/d.json",
        ),
        2,
        "alerts_python_object.yaml:2: YAML tag not allowed",
    ),
    Case(
        "dyads-alerts-complex-key",
        (
            "dyads",
            "{w}/demo_small.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--wave",
            "wave",
            "--alerts",
            "{w}/alerts_complex_key.yaml",
            "--format",
            "json",
            "-o",
            "{w}/d.json",
        ),
        2,
        "alerts_complex_key.yaml:2: mapping keys must be plain text, not a list or mapping",
    ),
    Case(
        "dyads-alerts-kind-is-a-list",
        (
            "dyads",
            "{w}/demo_small.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--wave",
            "wave",
            "--alerts",
            "{w}/alerts_kind_list.yaml",
            "--format",
            "json",
            "-o",
            "{w}/d.json",
        ),
        2,
        "alerts_kind_list.yaml, rule 'r': kind must be one of below_cutoff, above_cutoff, drop, rise, reliable_drop",
    ),
    Case(
        "dyads-alerts-alias-bomb",
        (
            "dyads",
            "{w}/demo_small.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--wave",
            "wave",
            "--alerts",
            "{w}/alerts_alias_bomb.yaml",
            "--format",
            "json",
            "-o",
            "{w}/d.json",
        ),
        2,
        "alerts_alias_bomb.yaml:1: YAML anchors and aliases are not allowed",
    ),
    # ---- report
    Case(
        "report-output-in-missing-folder",
        (
            "report",
            "{w}/demo_small.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--wave",
            "wave",
            "--dyad-id",
            "D0001",
            "-o",
            "{w}/missing/sheet.html",
        ),
        2,
        "output folder '{w}/missing' does not exist",
    ),
    Case(
        "report-unknown-dyad",
        (
            "report",
            "{w}/demo_small.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--wave",
            "wave",
            "--dyad-id",
            "D9999",
            "-o",
            "{w}/sheet.html",
        ),
        2,
        "dyad 'D9999' is not in the data",
    ),
    Case(
        "report-duplicate-wave",
        (
            "report",
            "{w}/demo_duplicate_wave.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--wave",
            "wave",
            "--dyad-id",
            "D0001",
            "-o",
            "{w}/sheet.html",
        ),
        2,
        "duplicate rows for dyad D0001, wave T0, rater client",
    ),
    Case(
        "report-output-equals-input",
        (
            "report",
            "{w}/demo_small.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--wave",
            "wave",
            "--dyad-id",
            "D0001",
            "-o",
            "{w}/demo_small.csv",
        ),
        2,
        "refusing to overwrite the input",
    ),
    Case(
        "report-all-into-a-file",
        ("report", "{w}/demo_small.csv", *BOTH, "--dyad", "dyad", "--all", "-o", "{w}/good.csv"),
        2,
        "exists and is not a folder",
    ),
]


# --------------------------------------------------------------------------- inputs that must be handled (exit 0)


@dataclass(frozen=True)
class Handled:
    """A messy but valid input: exit 0, ``output`` written, ``expect`` found in the output (or stderr)."""

    id: str
    argv: tuple[str, ...]
    output: str | None
    expect: str
    where: str = "output"  # or "stderr"
    also: tuple[str, ...] = ()
    bug: str | None = None
    make: Callable[[Path], None] | None = None


HANDLED: list[Handled] = [
    Handled(
        "semicolon-delimiter", score("semicolon.csv"), "scores.csv", '"id","task","goal","bond","total"\n"1",3,3,3,3'
    ),
    Handled("bom-header", score("bom_ok.csv"), "scores.csv", '"id","task","goal","bond","total"\n"1",3,3,3,3'),
    Handled("crlf-line-ends", score("crlf.csv"), "scores.csv", '"id","task","goal","bond","total"\n"1",3,3,3,3'),
    Handled("cr-only-line-ends", score("cr_only.csv"), "scores.csv", '"id","task","goal","bond","total"\n"1",3,3,3,3'),
    Handled("utf16-export", score("utf16.csv"), "scores.csv", '"id","task","goal","bond","total"\n"1",3,3,3,3'),
    Handled("cp1252-file", score("cp1252.csv"), "scores.csv", '"Ren\u00e9",3,3,3,3'),
    # spreadsheet formulas in pass-through text are neutralised in CSV and XLSX output (issue 7, safety)
    Handled(
        "formula-ids-csv",
        score("formula_ids.csv"),
        "scores.csv",
        '"\'=HYPERLINK(""http://example.org"")",3,3,3,3\n"-5",3,3,3,3\n"\'@SUM(A1)",3,3,3,3',
    ),
    Handled(
        "dutch-labels-and-missing-labels",
        score("dutch_labels.csv", instrument="wam-demo-client"),
        "scores.csv",
        '"dyad","trust","goals","bond","reactance","alliance"\n"d1",3,3,3,3,3',
    ),
    Handled("cp1252-after-64-kib", score("late_cp1252.csv"), "scores.csv", '"Ren\u00e9",3,3,3,3', make=_late_non_utf8),
    Handled(
        "cp1252-after-64-kib-streaming",
        score("late_cp1252.csv", "--chunk-rows", "1000"),
        "scores.csv",
        '"Ren\u00e9",3,3,3,3',
        make=_late_non_utf8,
    ),
    Handled(
        "outcomes-bom-semicolon-crlf",
        (
            "outcomes",
            "{w}/demo_small.csv",
            "--outcomes",
            "{w}/outcomes_bom_semicolon_crlf.csv",
            "--on",
            "dyad",
            *BOTH,
            "--outcome",
            "dropout",
            "--format",
            "json",
            "-o",
            "{w}/o.json",
        ),
        "o.json",
        '"outcome_rows_joined": 30',
    ),
    Handled(
        "outcomes-key-trailing-space",
        (
            "outcomes",
            "{w}/demo_small.csv",
            "--outcomes",
            "{w}/outcomes_key_trailing_space.csv",
            "--on",
            "dyad",
            *BOTH,
            "--outcome",
            "dropout",
            "--format",
            "json",
            "-o",
            "{w}/o.json",
        ),
        "o.json",
        '"outcome_rows_joined": 30',
    ),
    Handled(
        "qualtrics-export",
        score("qualtrics.csv"),
        "scores.csv",
        "1 preview response(s) left out",
        where="stderr",
        make=_qualtrics_with_preview,
    ),
    Handled(
        "spss-labelled-codes-and-user-missing",
        score("labelled.sav"),
        "scores.csv",
        '"a","T0",3,3,3,3\n"b","T6",,,,',
        make=_spss_labelled_codes,
    ),
    Handled(
        "invalid-cells-as-missing",
        score("non_numeric_cell.csv", "--invalid", "missing"),
        "scores.csv",
        "1 invalid cells treated as missing",
        where="stderr",
    ),
    Handled(
        "inspect-duplicate-keys",
        ("inspect", "{w}/duplicate_keys.csv", "-i", "wai-sr-client", "--id", "dyad"),
        None,
        "duplicate keys on dyad: 1",
        where="stdout",
    ),
    Handled(
        "inspect-blank-item-column",
        ("inspect", "{w}/blank_item.csv", "-i", "wai-sr-client", "--format", "json", "-o", "{w}/report.json"),
        "report.json",
        '"n_invalid": 0',
    ),
    Handled(
        "inspect-output-without-format",
        ("inspect", "{w}/good.csv", "-i", "wai-sr-client", "-o", "{w}/report.json"),
        "report.json",
        '"instrument',
    ),
    Handled(
        "dyads-two-dyads",
        (
            "dyads",
            "{w}/demo_two_dyads.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--wave",
            "wave",
            "--format",
            "json",
            "-o",
            "{w}/d.json",
            "-q",
        ),
        "d.json",
        '"pairs"',
    ),
    # a file with client rows only: nothing to pair, every row reported as unpaired (was exit 3, ValueError)
    Handled(
        "dyads-clients-only",
        (
            "dyads",
            "{w}/demo_clients_only.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--wave",
            "wave",
            "--format",
            "json",
            "-o",
            "{w}/d.json",
            "-q",
        ),
        "d.json",
        '"unpaired"',
    ),
    Handled(
        "report-clients-only",
        (
            "report",
            "{w}/demo_clients_only.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--wave",
            "wave",
            "--dyad-id",
            "D0001",
            "-o",
            "{w}/sheet.html",
            "-q",
        ),
        "sheet.html",
        "D0001",
    ),
    Handled(
        "dyads-caseload-nothing-answered",
        (
            "dyads",
            "{w}/demo_all_blank.csv",
            *BOTH,
            "--dyad",
            "dyad",
            "--caseload",
            "officer",
            "--format",
            "json",
            "-o",
            "{w}/d.json",
            "-q",
        ),
        "d.json",
        '"caseload"',
    ),
    Handled(
        "dyads-straightlined-respondents",
        ("dyads", "{w}/demo_straightlined.csv", *BOTH, "--dyad", "dyad", "--format", "json", "-o", "{w}/d.json", "-q"),
        "d.json",
        '"pairs"',
    ),
    Handled(
        "validate-ordinal-two-categories",
        (
            "validate",
            "{w}/two_categories.csv",
            "-i",
            "wai-sr-client",
            "--ordinal",
            "--bootstrap",
            "5",
            "--parallel-iter",
            "3",
            "--format",
            "json",
            "-o",
            "{w}/v.json",
        ),
        "v.json",
        '"reliability"',
    ),
    Handled(
        "validate-output-without-format",
        (
            "validate",
            "{w}/one_group.csv",
            "-i",
            "wai-sr-client",
            "--skip",
            "parallel",
            "--skip",
            "efa",
            "--skip",
            "cfa",
            "-o",
            "{w}/v.json",
        ),
        "v.json",
        '"reliability"',
    ),
]
