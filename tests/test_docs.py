"""The documentation's examples run as written (doctests of docs/api.md, from the repository root)."""

from __future__ import annotations

import doctest
import os

import pytest

from conftest import ROOT

DOCS = ["docs/api.md"]


@pytest.mark.parametrize("path", DOCS)
def test_doc_examples_run(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("WAMKIT_PSEUDONYM_KEY", "doctest-key-of-enough-length")
    result = doctest.testfile(
        os.fspath(ROOT / path), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 10
    assert result.failed == 0
