"""`validate` orchestration: the report reproduces R (psych, lavaan) through the stats modules.

The numbers are pinned in the stats tests; here we check that the orchestration
(reading, keying, filtering, structure from the instrument or --model) feeds them
the right data, against the same R reference files.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import DATA, REFERENCE
from wamkit.cli.validate import _read  # noqa: F401  (the CLI's --model read path is exercised below)
from wamkit.errors import DataError, UsageError
from wamkit.instrument import load_instrument
from wamkit.measurement.validate import ValidateSettings, validate
from wamkit.results import to_jsonable


def validate_file(path, *, instrument=None, model=None, where=(), settings=None, role=None):
    """Read through the shared read path, then validate (what the CLI does)."""
    from wamkit.design.read import read
    from wamkit.measurement.settings import instrument_from_model

    if (instrument is None) == (model is None):
        raise UsageError("give either instrument or model")
    ins = instrument if model is None else instrument_from_model(model)
    data = read(
        path,
        instrument=ins,
        where=[f"{c}={v}" for c, v in where],
        rater="rater" if role else None,
        wave="wave" if "wam_demo" in str(path) else None,
    )
    return validate(data, model=model, settings=settings or ValidateSettings(), role=role), data


REL = json.loads((REFERENCE / "reliability.json").read_text())
EFA = json.loads((REFERENCE / "efa.json").read_text())
CFA = json.loads((REFERENCE / "cfa.json").read_text())
BFI_MODEL = (
    "agree =~ A1 + A2 + A3 + A4 + A5; consc =~ C1 + C2 + C3 + C4 + C5; "
    "extra =~ E1 + E2 + E3 + E4 + E5; neuro =~ N1 + N2 + N3 + N4 + N5; open =~ O1 + O2 + O3 + O4 + O5"
)
HS_MODEL = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
FIT_NAMES = {
    "chisq": "chisq",
    "df": "df",
    "pvalue": "pvalue",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "rmsea_ci_lower": "rmsea.ci.lower",
    "rmsea_ci_upper": "rmsea.ci.upper",
    "srmr": "srmr",
    "loglik": "logl",
    "aic": "aic",
    "bic": "bic",
}


@pytest.fixture(scope="module")
def bfi_report():
    ins = load_instrument(str(DATA / "bfi.yaml"))
    rep, vin = validate_file(
        str(DATA / "bfi.csv"), instrument=ins, settings=ValidateSettings(skip=frozenset({"parallel"}), seed=1)
    )
    return rep.to_dict()


def test_reliability_per_keyed_scale_equals_psych_alpha(bfi_report):
    for scale in ("agree", "conscientious", "extraversion", "neuroticism", "openness"):
        ours = bfi_report["reliability"][scale]
        ref = REL["scales"][scale]
        assert ours["alpha"] == pytest.approx(ref["total"]["raw_alpha"], abs=1e-6)
        assert ours["std_alpha"] == pytest.approx(ref["total"]["std_alpha"], abs=1e-6)
        assert ours["g6"] == pytest.approx(ref["total"]["g6"], abs=1e-6)
        assert ours["average_r"] == pytest.approx(ref["total"]["average_r"], abs=1e-6)
        assert ours["alpha_ci"] == pytest.approx([ref["feldt"]["lower"], ref["feldt"]["upper"]], abs=1e-6)
        drop = ref["alpha_drop"]["raw_alpha"]
        assert [ours["items"][i]["alpha_if_dropped"] for i in ref["items"]] == pytest.approx(drop, abs=1e-6)


def test_sampling_adequacy_equals_psych(bfi_report):
    # KMO does not depend on reversal (squared correlations), so it equals psych::KMO(bfi[1:25])
    assert bfi_report["sampling"]["kmo"] == pytest.approx(EFA["kmo"]["MSA"], abs=1e-6)
    assert list(bfi_report["sampling"]["kmo_items"].values()) == pytest.approx(EFA["kmo"]["MSAi"], abs=1e-6)
    assert bfi_report["sampling"]["bartlett"]["chisq"] == pytest.approx(EFA["bartlett"]["chisq"], rel=1e-6)


def test_efa_through_model_equals_psych_fa_on_raw_bfi():
    rep, _ = validate_file(
        str(DATA / "bfi.csv"),
        model=BFI_MODEL,
        settings=ValidateSettings(n_factors=5, skip=frozenset({"parallel", "cfa"})),
    )
    d = rep.to_dict()
    ref = EFA["fa"]["minres_oblimin_raw"]
    ours = np.array(list(d["efa"]["loadings"].values()))
    np.testing.assert_allclose(ours, np.array(ref["loadings"]), atol=1e-4)
    assert d["efa"]["fit"]["rmsea"] == pytest.approx(ref["RMSEA"][0], rel=1e-4)
    assert d["efa"]["fit"]["tli"] == pytest.approx(ref["TLI"], rel=1e-4)
    assert d["efa"]["fit"]["bic"] == pytest.approx(ref["BIC"], rel=1e-4)


def test_cfa_through_model_equals_lavaan_on_holzinger_swineford():
    rep, _ = validate_file(
        str(DATA / "hs1939.csv"), model=HS_MODEL, settings=ValidateSettings(skip=frozenset({"parallel", "efa"}))
    )
    d = rep.to_dict()
    ref = CFA["hs"]["fit"]
    for ours, theirs in FIT_NAMES.items():
        assert d["cfa"]["fit"][ours] == pytest.approx(ref[theirs], rel=1e-4, abs=1e-10), ours
    for f, w in CFA["hs"]["omega"].items():
        assert d["cfa"]["omega"][f] == pytest.approx(w, rel=1e-4)


def test_invariance_by_school_equals_lavaan():
    rep, _ = validate_file(
        str(DATA / "hs1939.csv"),
        model=HS_MODEL,
        settings=ValidateSettings(group="school", skip=frozenset({"parallel", "efa", "cfa"})),
    )
    inv = rep.to_dict()["invariance"]
    for level in ("configural", "metric", "scalar", "strict"):
        ref = CFA["invariance"]["fits"][level]["fit"]
        for ours, theirs in FIT_NAMES.items():
            assert inv["models"][level][ours] == pytest.approx(ref[theirs], rel=1e-4, abs=1e-10), (level, ours)
    lrt = {r["model"]: r for r in CFA["invariance"]["lrt"]}
    for comp in inv["comparisons"]:
        assert comp["chisq_diff"] == pytest.approx(lrt[comp["level"]]["chisq_diff"], rel=1e-4)
        assert comp["pvalue_diff"] == pytest.approx(lrt[comp["level"]]["pvalue"], rel=1e-3)
    assert "Chen (2007)" in inv["cutoffs"]
    assert inv["verdict"]


def test_where_filter_and_cluster_on_demo():
    ins = load_instrument("wam-demo-client")
    rep, vin = validate_file(
        "examples/wam_demo.csv",
        instrument=ins,
        where=[("rater", "client"), ("wave", "T0")],
        settings=ValidateSettings(cluster="officer", skip=frozenset({"parallel"}), seed=3),
    )
    assert len(vin.frame) == 400 and vin.rows_read == 1411
    d = rep.to_dict()
    t0 = d["nesting"]["waves"]["T0"]
    assert set(t0["subscales"]) == {"trust", "goals", "bond", "reactance"}
    # the unit is the client: 400 clients of 40 officers at T0 (not client x wave rows)
    assert (t0["clients"], t0["officers"]) == (400, 40)
    # the demo has four simulated factors: the CFA of the demo key fits well
    assert d["cfa"]["fit"]["cfi"] > 0.95


def test_bootstrap_is_seeded_and_reported():
    ins = load_instrument(str(DATA / "bfi.yaml"))
    kw = dict(
        instrument=ins, settings=ValidateSettings(bootstrap=200, seed=7, skip=frozenset({"parallel", "efa", "cfa"}))
    )
    a = validate_file(str(DATA / "bfi.csv"), **kw)[0].to_dict()
    b = validate_file(str(DATA / "bfi.csv"), **kw)[0].to_dict()
    assert a["reliability"]["agree"]["alpha_boot_ci"] == b["reliability"]["agree"]["alpha_boot_ci"]
    lo, hi = a["reliability"]["agree"]["alpha_boot_ci"]
    assert lo < a["reliability"]["agree"]["alpha"] < hi


def test_errors():
    ins = load_instrument("wam-demo-client")
    with pytest.raises(DataError, match="matches no row"):
        validate_file("examples/wam_demo.csv", instrument=ins, where=[("wave", "T9")])
    with pytest.raises(UsageError, match="either instrument or model"):
        validate_file("examples/wam_demo.csv")
    with pytest.raises(DataError, match="missing item column"):
        validate_file(str(DATA / "hs1939.csv"), model="f =~ x1 + x2 + nope")
    with pytest.raises(UsageError, match="group: hs1939.csv has no column 'nope'"):
        validate_file(str(DATA / "hs1939.csv"), model=HS_MODEL, settings=ValidateSettings(group="nope"))


def test_too_few_rows(tmp_path):
    p = tmp_path / "few.csv"
    p.write_text("a,b,c\n1,2,3\n2,3,4\n3,4,4\n")
    with pytest.raises(DataError, match="too few rows for a factor model"):
        validate_file(str(p), model="f =~ a + b + c")


def test_constant_item_is_refused(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(1, 6, size=(50, 3))
    x[:, 2] = 3
    p = tmp_path / "const.csv"
    p.write_text("a,b,c\n" + "\n".join(",".join(map(str, r)) for r in x) + "\n")
    with pytest.raises(DataError, match="without variance"):
        validate_file(str(p), model="f =~ a + b + c")


def test_cli_json_equals_library(cli):
    args = ["validate", str(DATA / "hs1939.csv"), "--model", HS_MODEL, "--skip", "parallel", "--format", "json"]
    r = cli(*args)
    assert r.code == 0, r.stderr
    payload = json.loads(r.stdout)
    lib, _ = validate_file(
        str(DATA / "hs1939.csv"),
        model=HS_MODEL,
        settings=ValidateSettings(skip=frozenset({"parallel"}), seed=payload["settings"]["seed"]),
    )
    expected = to_jsonable(lib.to_dict())
    for key in ("reliability", "sampling", "efa", "cfa", "n", "structure"):
        assert payload[key] == expected[key], key
    assert payload["provenance"]["inputs"][0]["file"] == "hs1939.csv"


def test_cli_table_and_errors(cli):
    r = cli(
        "validate",
        "examples/wam_demo.csv",
        "-i",
        "wam-demo-client",
        "--where",
        "rater=client",
        "--where",
        "wave=T0",
        "--skip",
        "parallel",
    )
    assert r.code == 0, r.stderr
    assert "Reliability" in r.stdout and "Confirmatory factor analysis (ML" in r.stdout  # tables on stdout
    r = cli("validate", "examples/wam_demo.csv", "-i", "wam-demo-client", "--rotation", "spin")
    assert r.code == 2 and "--rotation must be" in r.stderr
    r = cli("validate", str(DATA / "hs1939.csv"), "--model", "f1 ~ x1")
    assert r.code == 2 and "Traceback" not in r.stderr


def test_ordinal_validate_equals_lavaan_wlsmv_and_psych_ordinal_alpha():
    wl = json.loads((REFERENCE / "wlsmv.json").read_text())["big_five"]  # same keying as bfi.yaml
    ins = load_instrument(str(DATA / "bfi.yaml"))
    rep, _ = validate_file(
        str(DATA / "bfi.csv"),
        instrument=ins,
        settings=ValidateSettings(ordinal=True, skip=frozenset({"parallel", "efa"})),
    )
    d = rep.to_dict()
    cfa = d["cfa"]
    assert cfa["estimator"] == "WLSMV" and cfa["n"] == wl["fit"]["ntotal"]
    names = {
        "chisq": "chisq.scaled",
        "df": "df.scaled",
        "cfi": "cfi.scaled",
        "tli": "tli.scaled",
        "rmsea": "rmsea.scaled",
        "rmsea_ci_lower": "rmsea.ci.lower.scaled",
        "rmsea_ci_upper": "rmsea.ci.upper.scaled",
        "srmr": "srmr",
    }
    for ours, theirs in names.items():
        assert cfa["fit"][ours] == pytest.approx(wl["fit"][theirs], rel=1e-5), ours
    assert cfa["fit"]["robust"]["cfi"] == pytest.approx(wl["fit"]["cfi.robust"], rel=1e-5)
    assert list(cfa["omega"].values()) == pytest.approx(list(wl["omega"].values()), rel=1e-5)
    ordinal = REL["ordinal_agree"]
    assert d["reliability"]["agree"]["ordinal_alpha"] == pytest.approx(ordinal["raw_alpha"], abs=1e-6)
    assert d["reliability"]["agree"]["ordinal_omega_total"] == pytest.approx(ordinal["omega_tot"], abs=1e-6)


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_cli_reports_are_self_contained(cli, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    r = cli("validate", str(DATA / "hs1939.csv"), "--model", HS_MODEL, "--group", "school", "--format", fmt, "-o", out)
    assert r.code == 0, r.stderr
    text = out.read_text()
    assert "http://" not in text and "https://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "Measurement invariance by school" in text and "scree plot" in text
    if fmt == "html":
        assert "<svg" in text and "<script" not in text


def test_design_refusals_name_the_right_analysis(cli):
    r = cli("validate", "--study", "examples/study.yaml", "--role", "client")
    assert r.code == 2 and "not independent observations" in r.stderr and "--longitudinal" in r.stderr
    r = cli("validate", "--study", "examples/study.yaml", "--role", "client", "--where", "wave=T0", "--group", "wave")
    assert r.code == 2 and "use longitudinal invariance (--longitudinal)" in r.stderr
    r = cli(
        "validate", "--study", "examples/study.yaml", "--where", "wave=T0", "--group", "rater", "-i", "wam-demo-client"
    )
    assert r.code == 2 and "--across roles" in r.stderr
    r = cli("validate", "--study", "examples/study.yaml", "--where", "wave=T0")
    assert r.code == 2 and "validate one at a time with --role client" in r.stderr


def test_two_indicator_factor_and_blank_groups(tmp_path):
    rng = np.random.default_rng(4)
    n = 300
    # correlated factors: with independent ones a two-indicator factor is empirically unidentified
    # (lavaan does not converge either)
    f = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=n)
    x = np.column_stack(
        [f[:, [0]] * 0.8 + rng.normal(scale=0.6, size=(n, 3)), f[:, [1]] * 0.8 + rng.normal(scale=0.6, size=(n, 2))]
    )
    g = np.where(np.arange(n) % 3 == 0, "a", np.where(np.arange(n) % 3 == 1, "b", ""))
    p = tmp_path / "two.csv"
    p.write_text(
        "g,a1,a2,a3,b1,b2\n"
        + "\n".join(f"{gg}," + ",".join(f"{v:.3f}" for v in r) for gg, r in zip(g, x, strict=False))
        + "\n"
    )
    rep, _ = validate_file(
        str(p),
        model="A =~ a1 + a2 + a3; B =~ b1 + b2",
        settings=ValidateSettings(group="g", skip=frozenset({"parallel", "efa"})),
    )
    d = rep.to_dict()
    assert d["reliability"]["B"]["alpha"] > 0.5 and d["reliability"]["B"]["omega_total"] is None
    assert any("omega needs at least 3 items" in w for w in d["reliability"]["B"]["warnings"])
    assert d["cfa"] is not None and d["cfa"]["converged"] and d["cfa"]["fit"]["cfi"] > 0.9
    assert all(m["iterations"] < 100 for m in d["invariance"]["models"].values())  # converged, not capped
    assert d["invariance"]["groups"] == ["a", "b"]  # blank is missing, not a group named ''
    assert any("100 rows with a blank 'g' are left out" in w for w in d["warnings"])


def test_total_over_subscales_gets_psych_omega_hierarchical(tmp_path):
    """A total built from three subscales: psych::omega(x, nfactors = 3) on its keyed items (tests/reference/omega.R)."""
    case = json.loads((REFERENCE / "omega.json").read_text())["cases"]["bfi_acn_3"]
    rev = [k.lstrip("-") for k in case["keys"] if k.startswith("-")]
    items = [k.lstrip("-") for k in case["keys"]]
    yaml = ["id: bfi-acn", "name: bfi A C N", "version: '1'", "scale: {min: 1, max: 6}", "items:"]
    yaml += [f"  - {{id: {i}{', reverse: true' if i in rev else ''}}}" for i in items]
    yaml += ["subscales:"] + [
        f"  - {{id: {s}, name: {s}, items: [{', '.join(i for i in items if i[0] == s)}]}}" for s in "ACN"
    ]
    yaml += ["totals:", "  - {id: acn, name: ACN, subscales: [A, C, N], method: mean}"]
    (tmp_path / "acn.yaml").write_text("\n".join(yaml) + "\n")
    rep, _ = validate_file(
        str(DATA / "bfi.csv"),
        instrument=load_instrument(str(tmp_path / "acn.yaml")),
        settings=ValidateSettings(skip=frozenset({"parallel", "efa", "cfa", "nesting"})),
    )
    tot = rep.to_dict()["reliability"]["acn"]
    ref = case["res"]
    assert tot["omega_hierarchical"] == pytest.approx(ref["omega_h"], abs=1e-6)
    assert tot["omega_total"] == pytest.approx(ref["omega_tot"], abs=1e-6)
    assert tot["ecv"] == pytest.approx(ref["ECV"], abs=1e-6)
    assert "nfactors = 3" in tot["omega_kind"]
    # each subscale keeps psych's one-factor omega
    assert "nfactors = 1" in rep.to_dict()["reliability"]["A"]["omega_kind"]


LONG = json.loads((REFERENCE / "invariance_long.json").read_text())


@pytest.fixture(scope="module")
def demo_designs():
    """validate on the demo study with the design: longitudinal (clients T0/T1) and across roles (T0)."""
    import wamkit

    skip = {"parallel", "efa", "cfa", "nesting"}
    waves = wamkit.validate(
        wamkit.read(study="examples/study.yaml", where=["rater=client"]), longitudinal=True, skip=skip
    ).to_dict()
    roles = wamkit.validate(
        wamkit.read(study="examples/study.yaml", where=["wave=T0"]), across="roles", skip=skip
    ).to_dict()
    return waves, roles


@pytest.mark.parametrize(
    "which,key,ref",
    [
        ("waves", "longitudinal_invariance", LONG["wam_waves"]["listwise"]),
        ("roles", "dyadic_invariance", LONG["wam_roles"]),
    ],
)
def test_design_invariance_equals_semtools_measeq(demo_designs, which, key, ref):
    """validate --longitudinal / --across roles = measEq.syntax(longFacNames=...) fitted by lavaan."""
    got = demo_designs[0 if which == "waves" else 1][key]
    for level in ("configural", "metric", "scalar", "strict"):
        theirs = ref["fits"][level]["fit"]
        for ours, name in (("chisq", "chisq"), ("df", "df"), ("cfi", "cfi"), ("rmsea", "rmsea"), ("srmr", "srmr")):
            assert got["models"][level][ours] == pytest.approx(theirs[name], rel=1e-4), (which, level, ours)
    for comp in got["comparisons"]:
        lrt = ref["lrt"][comp["level"]]
        assert comp["chisq_diff"] == pytest.approx(lrt["chisq_diff"], rel=1e-4)
        assert comp["df_diff"] == lrt["df_diff"]


def test_reliability_of_a_longitudinal_run_uses_the_first_wave(demo_designs):
    waves, _ = demo_designs
    assert waves["n"] == 400  # T0 clients, not 710 client-wave rows
    assert any("use the first wave (T0)" in w for w in waves["warnings"])


def test_ordinal_group_invariance_uses_thresholds_wlsmv(cli, tmp_path):
    """validate --ordinal --group: WLSMV with thresholds (measEq.syntax ID.cat = Wu.Estabrook.2016), not ML."""
    ref = json.loads((REFERENCE / "ordinal_invariance.json").read_text())["multigroup"]["bfi_gender"]
    bfi = np.genfromtxt(DATA / "bfi.csv", delimiter=",", names=True)
    rows = ["A1,A2,A3,A4,A5,gender"] + [
        ",".join(
            "" if np.isnan(v) else str(int(v)) for v in (7 - r["A1"], r["A2"], r["A3"], r["A4"], r["A5"], r["gender"])
        )
        for r in bfi
    ]
    (tmp_path / "a.csv").write_text("\n".join(rows) + "\n")
    r = cli(
        "validate",
        tmp_path / "a.csv",
        "--model",
        "agree =~ A1 + A2 + A3 + A4 + A5",
        "--ordinal",
        "--group",
        "gender",
        "--skip",
        "parallel",
        "--skip",
        "efa",
        "--format",
        "json",
    )
    assert r.code == 0, r.stderr
    inv = json.loads(r.stdout)["invariance"]
    assert inv["estimator"] == "WLSMV" and list(inv["models"]) == ["configural", "thresholds", "loadings", "intercepts"]
    for level in ("thresholds", "loadings", "intercepts"):
        theirs = ref["steps"][level]["fit"]
        assert inv["models"][level]["chisq"] == pytest.approx(theirs["chisq.scaled"], rel=1e-4)
        assert inv["models"][level]["df"] == theirs["df"]
        assert inv["models"][level]["cfi"] == pytest.approx(theirs["cfi.scaled"], rel=1e-4)
    comp = {c["level"]: c for c in inv["comparisons"]}
    assert comp["thresholds"]["chisq_diff"] == pytest.approx(ref["lrt"]["thresholds"]["chisq_diff"], rel=1e-4)


def test_instrument_and_model_together_equal_lavaan(cli):
    """-i supplies keys and reversals, --model adds a statement (tests/reference/validate_model.R)."""
    ref = json.loads((REFERENCE / "validate_model.json").read_text())
    r = cli(
        "validate",
        "--study",
        "examples/study.yaml",
        "--role",
        "client",
        "--where",
        "wave=T0",
        "--model",
        "wam02 ~~ wam16",
        "--skip",
        "parallel",
        "--skip",
        "efa",
        "--skip",
        "nesting",
        "--format",
        "json",
    )
    assert r.code == 0, r.stderr
    cfa = json.loads(r.stdout)["cfa"]
    for k in ("chisq", "df", "cfi", "tli", "rmsea", "srmr"):
        assert cfa["fit"][k] == pytest.approx(ref["fit"][k], rel=1e-4), k
    assert cfa["converged"] and cfa["iterations"] <= 2 * ref["iterations"]
    rc = next(p for p in cfa["parameters"] if (p["lhs"], p["op"], p["rhs"]) == ("wam02", "~~", "wam16"))
    for k in ("est", "se", "z", "std_all"):
        assert rc[k] == pytest.approx(ref["residual_covariance"][k], rel=1e-4), k
