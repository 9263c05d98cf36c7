"""CFA engine vs lavaan 0.6-14 / semTools 0.5-6 (values in tests/reference/cfa.json, made by cfa.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wamkit.errors import DataError, UsageError
from wamkit.stats.cfa import CFAResult, fit_cfa, modification_indices
from wamkit.stats.model_syntax import MeasurementModel, parse_model

HERE = Path(__file__).resolve().parents[1]
REF = json.loads((HERE / "reference" / "cfa.json").read_text())
REL = 1e-4  # relative tolerance against lavaan
# unstandardised estimates/SEs: relative, with an absolute floor for values near zero
# (lavaan's nlminb stops ~1e-7 short of the exact optimum)
EST_ATOL = 1e-5

FIT_KEYS = [
    "npar",
    "chisq",
    "df",
    "pvalue",
    "baseline.chisq",
    "baseline.df",
    "cfi",
    "tli",
    "logl",
    "unrestricted.logl",
    "aic",
    "bic",
    "bic2",
    "rmsea",
    "rmsea.ci.lower",
    "rmsea.ci.upper",
    "rmsea.pvalue",
    "srmr",
]


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "hs1939.csv")


@pytest.fixture(scope="module")
def agree() -> pd.DataFrame:
    bfi = pd.read_csv(HERE / "data" / "bfi.csv")
    a = bfi[["A1", "A2", "A3", "A4", "A5"]].copy()
    a["A1"] = 7 - a["A1"]
    return a


@pytest.fixture(scope="module")
def hs_fit(hs) -> CFAResult:
    return fit_cfa(hs, REF["hs"]["model"])


def hs_with_holes(hs: pd.DataFrame) -> pd.DataFrame:
    """Same deterministic holes as cfa.R: x1 every 7th row, x5 every 11th, x9 every 13th (1-based)."""
    h = hs.copy()
    n = len(h)
    for col, k in REF["hs_fiml"]["holes"].items():
        h.loc[np.arange(k - 1, n, k), col] = np.nan
    return h


def check_fit(res: CFAResult, ref_fit: dict, keys=FIT_KEYS) -> None:
    for key in keys:
        if key not in ref_fit:
            continue
        mine = getattr(res.fit, key.replace(".", "_"))
        assert mine == pytest.approx(ref_fit[key], rel=REL), key


def check_params(res: CFAResult, ref_params: list[dict], *, std=True) -> None:
    ref = pd.DataFrame(ref_params)
    ref["rhs"] = ref["rhs"].fillna("")
    if "group" not in ref:
        ref["group"] = 1
    merged = ref.merge(
        res.params, on=["lhs", "op", "rhs", "group"], suffixes=("_ref", ""), how="left", validate="one_to_one"
    )
    assert len(merged) == len(ref) == len(res.params)
    assert merged["est"].notna().all()
    np.testing.assert_allclose(merged["est"], merged["est_ref"], rtol=REL, atol=EST_ATOL)
    np.testing.assert_allclose(merged["se"], merged["se_ref"], rtol=REL, atol=EST_ATOL)
    if std:
        np.testing.assert_allclose(merged["std_all"], merged["std_all_ref"], rtol=REL, atol=1e-6)
        np.testing.assert_allclose(merged["std_lv"], merged["std_lv_ref"], rtol=REL, atol=EST_ATOL)
    free = merged["free"].to_numpy()
    np.testing.assert_allclose(merged.loc[free, "z"], merged.loc[free, "z_ref"], rtol=1e-3, atol=1e-3)


# ----------------------------------------------------------------------------- syntax
class TestParseModel:
    def test_basic_forms(self):
        m = parse_model("visual =~ x1 + x2 + x3\n textual =~ x4+x5+x6; speed =~ x7 + x8 + x9  # comment")
        assert m.factor_names == ("visual", "textual", "speed")
        assert m.items_of("textual") == ("x4", "x5", "x6")
        assert m.items == tuple(f"x{i}" for i in range(1, 10))

    def test_comments_blank_lines_and_cross_loadings(self):
        m = parse_model("# header\n\nf1 =~ a + b + c # first\n;f2 =~ c + d + e;;\n")
        assert m.factors == (("f1", ("a", "b", "c")), ("f2", ("c", "d", "e")))
        assert m.items == ("a", "b", "c", "d", "e")
        assert parse_model(m.to_syntax()) == m

    @pytest.mark.parametrize(
        "text, fragment",
        [
            ("", "empty"),
            ("# only a comment", "empty"),
            ("f1 ~ a + b", "unsupported operator '~'"),
            ("a ~~ b", "unsupported operator '~~'"),
            ("a ~ 1", "unsupported operator '~'"),
            ("f1 =~ 0.5*a + b", "unsupported"),
            ("f1 =~", "no items"),
            ("f1 =~ a + + b", "stray"),
            ("f1 =~ a + b; f1 =~ c + d", "defined twice"),
            ("f1 =~ a + b + a", "listed twice"),
            ("a b c", "cannot parse"),
            ("f1 =~ a + b\nc + d", "on no factor"),
            ("=~ a + b", "no factor name"),
            ("f1 =~ a + b; f2 =~ f1 + c", "higher-order"),
            ("f-1 =~ a + b", "invalid factor name"),
        ],
    )
    def test_errors(self, text, fragment):
        with pytest.raises(UsageError, match=fragment):
            parse_model(text)

    def test_fit_accepts_model_object(self, hs, hs_fit):
        res = fit_cfa(hs, parse_model(REF["hs"]["model"]))
        assert res.fit.chisq == pytest.approx(hs_fit.fit.chisq, rel=1e-12)
        assert isinstance(res.model, MeasurementModel)


# ----------------------------------------------------------------------------- HS 3 factors
class TestHolzingerSwineford:
    def test_fit_measures(self, hs_fit):
        assert hs_fit.converged
        assert hs_fit.warnings == ()
        check_fit(hs_fit, REF["hs"]["fit"], FIT_KEYS + ["gfi", "nfi", "fmin"])
        assert hs_fit.fit.ntotal == 301
        assert hs_fit.fit.df == 24 and hs_fit.fit.npar == 21

    def test_parameters(self, hs_fit):
        check_params(hs_fit, REF["hs"]["params"])

    def test_std_loadings_and_factor_correlations(self, hs_fit):
        ref = pd.DataFrame(REF["hs"]["params"])
        load = ref[ref.op == "=~"]
        std = hs_fit.std_loadings
        for lhs, rhs, v in zip(load.lhs, load.rhs, load.std_all, strict=False):
            assert std.loc[rhs, lhs] == pytest.approx(v, rel=REL)
        cov = ref[(ref.op == "~~") & ref.lhs.isin(["visual", "textual", "speed"]) & (ref.lhs != ref.rhs)]
        cor = hs_fit.factor_correlations
        for lhs, rhs, v in zip(cov.lhs, cov.rhs, cov.std_all, strict=False):
            assert cor.loc[lhs, rhs] == pytest.approx(v, rel=REL)
        assert hs_fit.loadings.loc["x1", "visual"] == 1.0
        assert hs_fit.loadings.loc["x1", "speed"] == 0.0

    def test_implied_and_sample_cov(self, hs_fit):
        np.testing.assert_allclose(hs_fit.sample_cov[0], np.array(REF["hs"]["sample_cov"]), rtol=1e-10)
        np.testing.assert_allclose(hs_fit.implied_cov[0], np.array(REF["hs"]["implied_cov"]), rtol=REL, atol=1e-6)

    def test_omega_comprelsem(self, hs_fit):
        assert set(hs_fit.omega) == set(REF["hs"]["omega"])
        for f, v in REF["hs"]["omega"].items():
            assert hs_fit.omega[f] == pytest.approx(v, rel=REL)

    def test_modification_indices_top10(self, hs_fit):
        ref = pd.DataFrame(REF["hs"]["modindices"])
        mine = modification_indices(hs_fit, top=10)
        assert len(mine) == 10
        assert (
            list(zip(mine.lhs, mine.op, mine.rhs, strict=False))
            == list(zip(ref.lhs, ref.op, ref.rhs, strict=False))[:10]
        )
        np.testing.assert_allclose(mine.mi, ref.mi[:10], rtol=REL)
        np.testing.assert_allclose(mine.epc, ref.epc[:10], rtol=REL)
        np.testing.assert_allclose(mine.sepc_all, ref.sepc_all[:10], rtol=REL)

    def test_modification_indices_full_set(self, hs_fit):
        ref = pd.DataFrame(REF["hs"]["modindices"])
        mine = modification_indices(hs_fit)
        assert len(mine) == len(ref) == 54
        merged = ref.merge(mine, on=["lhs", "op", "rhs"], suffixes=("_ref", ""), validate="one_to_one")
        assert len(merged) == len(ref)
        np.testing.assert_allclose(merged.mi, merged.mi_ref, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(merged.epc, merged.epc_ref, rtol=1e-3, atol=1e-5)
        assert (modification_indices(hs_fit, min_mi=10).mi >= 10).all()

    def test_std_lv_identification(self, hs):
        res = fit_cfa(hs, REF["hs"]["model"], std_lv=True)
        check_fit(res, REF["hs_stdlv"]["fit"])
        check_params(res, REF["hs_stdlv"]["params"])
        phi = res.params[(res.params.op == "~~") & (res.params.lhs == "visual") & (res.params.rhs == "visual")]
        assert phi.est.iloc[0] == 1.0 and not phi.free.iloc[0]

    def test_cross_loading(self, hs):
        res = fit_cfa(hs, REF["hs_cross"]["model"])
        check_fit(res, REF["hs_cross"]["fit"])
        check_params(res, REF["hs_cross"]["params"])
        for f, v in REF["hs_cross"]["omega"].items():
            assert res.omega[f] == pytest.approx(v, rel=REL)

    def test_covariance_input_equals_raw(self, hs, hs_fit):
        items = list(hs_fit.items)
        cov = hs[items].cov()  # divisor N-1, rescaled by (N-1)/N like lavaan sample.cov.rescale
        res = fit_cfa(None, REF["hs"]["model"], cov=cov, n_obs=len(hs))
        assert res.fit.chisq == pytest.approx(REF["hs"]["fit"]["chisq"], rel=REL)
        assert res.fit.rmsea == pytest.approx(REF["hs"]["fit"]["rmsea"], rel=REL)
        assert res.fit.logl == pytest.approx(REF["hs"]["fit"]["logl"], rel=REL)
        res2 = fit_cfa(None, REF["hs"]["model"], cov=cov.to_numpy(), n_obs=len(hs))
        assert res2.fit.chisq == pytest.approx(res.fit.chisq, rel=1e-10)

    def test_does_not_mutate_and_is_jsonable(self, hs):
        before = hs.copy()
        res = fit_cfa(hs, REF["hs"]["model"])
        pd.testing.assert_frame_equal(hs, before)
        d = json.loads(json.dumps(res.to_dict()))
        assert d["fit"]["df"] == 24
        assert d["omega"]["textual"] == pytest.approx(REF["hs"]["omega"]["textual"], rel=REL)
        assert len(d["params"]) == 24


# ----------------------------------------------------------------------------- bfi agreeableness
class TestAgreeableness:
    def test_one_factor_std_lv_listwise(self, agree):
        res = fit_cfa(agree, REF["bfi_agree"]["model"], std_lv=True)
        assert res.n_obs == (int(REF["bfi_agree"]["fit"]["ntotal"]),)  # 2709 complete rows
        check_fit(res, REF["bfi_agree"]["fit"])
        check_params(res, REF["bfi_agree"]["params"])
        assert res.omega["agree"] == pytest.approx(REF["bfi_agree"]["omega"]["agree"], rel=REL)

    def test_modification_indices(self, agree):
        res = fit_cfa(agree, REF["bfi_agree"]["model"], std_lv=True)
        ref = pd.DataFrame(REF["bfi_agree"]["modindices"])
        mine = modification_indices(res, top=5)
        assert list(zip(mine.lhs, mine.rhs, strict=False)) == list(zip(ref.lhs, ref.rhs, strict=False))[:5]
        np.testing.assert_allclose(mine.mi, ref.mi[:5], rtol=REL)
        np.testing.assert_allclose(mine.epc, ref.epc[:5], rtol=REL)


# ----------------------------------------------------------------------------- FIML
class TestFIML:
    def test_fit_measures_and_parameters(self, hs):
        h = hs_with_holes(hs)
        res = fit_cfa(h, REF["hs"]["model"], missing="fiml")
        assert res.converged and res.meanstructure
        check_fit(res, REF["hs_fiml"]["fit"])
        check_params(res, REF["hs_fiml"]["params"])  # SEs from the observed information, as lavaan
        # lavaan stops its EM early (~1e-6), so compare the h1 moments at the usual tolerance
        np.testing.assert_allclose(res.sample_cov[0], np.array(REF["hs_fiml"]["h1_cov"]), rtol=REL, atol=1e-6)
        for f, v in REF["hs_fiml"]["omega"].items():
            assert res.omega[f] == pytest.approx(v, rel=REL)

    def test_fiml_on_complete_data_equals_ml(self, hs, hs_fit):
        res = fit_cfa(hs, REF["hs"]["model"], missing="fiml")
        assert res.fit.chisq == pytest.approx(hs_fit.fit.chisq, rel=1e-6)
        assert res.fit.logl == pytest.approx(hs_fit.fit.logl, rel=1e-9)


# ----------------------------------------------------------------------------- errors
class TestErrors:
    def test_missing_column(self, hs):
        with pytest.raises(UsageError, match="'x10' is not a column"):
            fit_cfa(hs, "f =~ x1 + x2 + x10")

    def test_constant_item(self, hs):
        d = hs.copy()
        d["x3"] = 1.0
        with pytest.raises(DataError, match="zero variance"):
            fit_cfa(d, REF["hs"]["model"])

    def test_too_few_rows(self, hs):
        with pytest.raises(DataError, match="complete cases"):
            fit_cfa(hs.head(5), REF["hs"]["model"])

    def test_not_identified(self, hs):
        with pytest.raises(UsageError, match="not identified"):
            fit_cfa(hs, "f =~ x1 + x2")

    def test_non_numeric(self, hs):
        d = hs.copy()
        d["x2"] = d["x2"].astype(object)
        d.loc[3, "x2"] = "n/a"
        with pytest.raises(DataError, match="x2"):
            fit_cfa(d, REF["hs"]["model"])

    def test_singular(self, hs):
        d = hs.copy()
        d["x3"] = d["x1"] + d["x2"]
        with pytest.raises(DataError, match="singular"):
            fit_cfa(d, REF["hs"]["model"])

    @pytest.mark.parametrize(
        "kwargs, fragment",
        [
            ({"missing": "pairwise"}, "missing must be"),
            ({"cov": np.eye(9)}, "n_obs"),
            ({"n_obs": 100}, "only used with cov"),
            ({"cov": np.eye(9), "n_obs": 100, "missing": "fiml"}, "needs raw data"),
            ({"cov": np.eye(3), "n_obs": 100}, "must be 9x9"),
        ],
    )
    def test_bad_options(self, hs, kwargs, fragment):
        data = None if "cov" in kwargs else hs
        with pytest.raises(UsageError, match=fragment):
            fit_cfa(data, REF["hs"]["model"], **kwargs)

    def test_modindices_multigroup_refused(self, hs):
        from wamkit.stats.invariance import fit_multigroup

        res = fit_multigroup(hs, REF["hs"]["model"], "school")
        with pytest.raises(UsageError, match="single-group"):
            modification_indices(res)

    def test_heywood_is_a_warning_not_an_error(self):
        # one factor, three items: lambda_a^2 = r_ab r_ac / r_bc = 1.28 > 1, so theta_a = -0.28
        S = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])
        res = fit_cfa(None, "f =~ a + b + c", cov=S, n_obs=200, std_lv=True)
        assert res.converged
        assert any("Heywood" in w and "a" in w for w in res.warnings)
        theta_a = res.params.query("lhs == 'a' and op == '~~' and rhs == 'a'").est.iloc[0]
        assert theta_a == pytest.approx(1 - 1.28, abs=1e-2)
