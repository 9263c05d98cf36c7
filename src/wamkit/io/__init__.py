"""Reading survey exports and writing results safely.

:mod:`wamkit.io.readers` reads CSV/TSV, XLSX, SPSS and Parquet files into a :class:`Table`;
:mod:`wamkit.io.writers` writes atomically, never over an input file.
"""

from wamkit.io.readers import (
    FORMATS,
    NULL_TOKENS,
    TEXT_FORMATS,
    Table,
    check_header,
    file_format,
    forget_inputs,
    is_input_read,
    iter_text_chunks,
    note_input,
    read_header,
    read_table,
    sha256_file,
)
from wamkit.io.writers import (
    atomic_write,
    check_output_path,
    frame_to_bytes,
    neutralise_formulas,
    output_format,
    write_frame,
)

__all__ = [
    "FORMATS",
    "NULL_TOKENS",
    "TEXT_FORMATS",
    "Table",
    "atomic_write",
    "check_header",
    "check_output_path",
    "file_format",
    "forget_inputs",
    "frame_to_bytes",
    "is_input_read",
    "iter_text_chunks",
    "neutralise_formulas",
    "note_input",
    "output_format",
    "read_header",
    "read_table",
    "sha256_file",
    "write_frame",
]
