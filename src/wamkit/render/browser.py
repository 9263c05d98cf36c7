"""Printing HTML to PDF with a headless Chromium (when one is installed), offline.

wamkit has no PDF writer of its own: the reflection sheets are HTML with ``@page`` A4 rules,
and Chromium's ``--print-to-pdf`` lays them out exactly as a browser prints them. Every
network request is refused (the pages need none).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["CHROMIUM_ENV", "find_chromium", "print_pdf"]

#: environment variable naming the Chromium executable (default: ``chromium`` on the PATH)
CHROMIUM_ENV = "WAMKIT_CHROMIUM"
_FLAGS = [
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pdf-header-footer",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def find_chromium() -> str | None:
    """The Chromium executable: ``$WAMKIT_CHROMIUM``, else ``chromium`` / ``chromium-browser`` / ``google-chrome``."""
    env = os.environ.get(CHROMIUM_ENV)
    if env:
        return env if os.path.exists(env) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def print_pdf(html_file: str | Path, pdf_file: str | Path, *, timeout: float = 600) -> str | None:
    """Print ``html_file`` to ``pdf_file`` (A4 as the page's ``@page`` rule says).

    Returns None on success, else the reason the PDF was not written (no Chromium, Chromium
    failed or timed out); ``pdf_file`` is then left untouched.
    """
    chromium = find_chromium()
    if chromium is None:
        return f"no Chromium found (install chromium or set {CHROMIUM_ENV})"
    pdf_file = Path(pdf_file)
    with tempfile.TemporaryDirectory(prefix="wamkit-chromium-") as profile:
        tmp = pdf_file.with_name(f".{pdf_file.name}.tmp")
        flags = [*_FLAGS, *(["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])]
        try:
            run = subprocess.run(
                [
                    chromium,
                    *flags,
                    f"--user-data-dir={profile}",
                    f"--print-to-pdf={tmp}",
                    Path(html_file).resolve().as_uri(),
                ],
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            tmp.unlink(missing_ok=True)
            return f"Chromium did not print the PDF ({type(exc).__name__})"
        if run.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
            tmp.unlink(missing_ok=True)
            return f"Chromium did not print the PDF (exit code {run.returncode})"
        os.replace(tmp, pdf_file)
    return None
