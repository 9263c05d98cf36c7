"""Shared linear-algebra helpers (wamkit.stats.linalg)."""

from __future__ import annotations

import numpy as np
import pytest

from wamkit.stats import linalg
from wamkit.stats.linalg import chol, chol_inv, logdet, mm, single_threaded_blas, spd_inv


def test_single_threaded_blas_restores_the_thread_count():
    libs = linalg._openblas_libs()
    before = [getattr(lib, get)() for lib, get, _ in libs]
    with single_threaded_blas():
        assert all(getattr(lib, get)() == 1 for lib, get, _ in libs)
        with single_threaded_blas():  # re-entrant
            pass
    assert [getattr(lib, get)() for lib, get, _ in libs] == before


def test_factorisations_agree_with_numpy():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(300, 150))
    S = A.T @ A / 300 + np.eye(150)
    c = chol(S)
    assert c is not None
    np.testing.assert_allclose(c @ c.T, S, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(chol_inv(c), np.linalg.inv(S), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(spd_inv(S), np.linalg.inv(S), rtol=1e-9, atol=1e-12)
    assert logdet(S) == pytest.approx(np.linalg.slogdet(S)[1], rel=1e-12)
    B = rng.normal(size=(150, 700))
    np.testing.assert_allclose(mm(A, B), A @ B, rtol=1e-10, atol=1e-10)  # blocked product
    assert chol(-S) is None
