"""Reading survey exports, filtering rows, and writing results safely.

:mod:`wamkit.io.readers` reads CSV/TSV, XLSX, SPSS and Parquet files (Qualtrics and LimeSurvey
exports recognised) into a :class:`Table`; :mod:`wamkit.io.filters` parses ``where`` filters;
:mod:`wamkit.io.writers` writes atomically, never over an existing file unless asked, never
over an input.
"""

from wamkit.io.filters import Filter, filter_mask, parse_filters
from wamkit.io.readers import (
    EXPORTS,
    FORMATS,
    NULL_TOKENS,
    TEXT_FORMATS,
    SuggestedSetting,
    Table,
    TextDialect,
    arrow_to_frame,
    check_header,
    file_format,
    forget_inputs,
    is_input_read,
    iter_text_chunks,
    note_input,
    read_header,
    read_table,
    sha256_file,
    text_dialect,
)
from wamkit.io.writers import (
    CSV_DIALECTS,
    SIGNIFICANT_DIGITS,
    FrameWriter,
    OutputExists,
    atomic_write,
    check_output_path,
    frame_to_arrow,
    frame_to_bytes,
    neutralise_formulas,
    output_format,
    round_frame,
    round_significant,
    write_frame,
)

__all__ = [
    "CSV_DIALECTS",
    "EXPORTS",
    "FORMATS",
    "NULL_TOKENS",
    "SIGNIFICANT_DIGITS",
    "TEXT_FORMATS",
    "Filter",
    "FrameWriter",
    "OutputExists",
    "SuggestedSetting",
    "Table",
    "TextDialect",
    "arrow_to_frame",
    "atomic_write",
    "check_header",
    "check_output_path",
    "file_format",
    "filter_mask",
    "forget_inputs",
    "frame_to_arrow",
    "frame_to_bytes",
    "is_input_read",
    "iter_text_chunks",
    "neutralise_formulas",
    "note_input",
    "output_format",
    "parse_filters",
    "read_header",
    "read_table",
    "round_frame",
    "round_significant",
    "sha256_file",
    "text_dialect",
    "write_frame",
]
