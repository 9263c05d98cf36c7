"""Privacy (issue 7): no command opens a network socket, and stochastic results are reproducible.

Every way to open or use a socket is replaced by a function that records the attempt and raises, then
representative commands run in-process. A command that tried to reach the network would either fail
or leave a record; both fail the test.
"""

from __future__ import annotations

import json
import socket

import pytest

from conftest import DATA, EXAMPLES

DEMO = EXAMPLES / "wam_demo.csv"
OUTCOMES = EXAMPLES / "wam_demo_outcomes.csv"
BOTH = ["-i", "client=wam-demo-client", "-i", "professional=wam-demo-professional", "--rater", "rater"]


@pytest.fixture
def no_network(monkeypatch):
    attempts: list[str] = []

    def refuse(name):
        def blocked(*args, **kwargs):
            attempts.append(f"{name}{args[1:] if name.startswith('socket.') else args}")
            raise OSError(f"network access attempted in a test: {name}")

        return blocked

    for meth in ("connect", "connect_ex", "bind", "sendto", "sendmsg", "listen"):
        monkeypatch.setattr(socket.socket, meth, refuse(f"socket.{meth}"))
    monkeypatch.setattr(socket.socket, "__init__", refuse("socket.socket()"))
    for fn in ("create_connection", "create_server", "getaddrinfo", "gethostbyname", "socketpair"):
        monkeypatch.setattr(socket, fn, refuse(fn))
    return attempts


def test_the_guard_itself_catches_a_connection(no_network):
    with pytest.raises(OSError):
        socket.create_connection(("example.org", 80))
    with pytest.raises(OSError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    assert len(no_network) == 2
    no_network.clear()


def test_score_validate_check_inspect_open_no_socket(cli, tmp_path, no_network):
    steps = [
        ("score", DEMO, *BOTH, "-o", tmp_path / "s.csv", "-q"),
        ("score", DATA / "bfi.csv", "-i", DATA / "bfi.yaml", "--format", "json", "-o", tmp_path / "b.json", "-q"),
        (
            "validate",
            DEMO,
            "-i",
            "wam-demo-client",
            "--where",
            "rater=client",
            "--where",
            "wave=T0",
            "--bootstrap",
            "20",
            "--seed",
            "1",
            "--parallel-iter",
            "5",
            "--skip",
            "cfa",
            "--format",
            "json",
            "-o",
            tmp_path / "v.json",
        ),
        ("instruments", "check", "wai-sr-client", "wam-demo-client", "wam-demo-professional"),
        ("instruments", "list", "--format", "json"),
        (
            "inspect",
            DEMO,
            "-i",
            "wam-demo-client",
            "--id",
            "dyad",
            "--id",
            "rater",
            "--id",
            "wave",
            "--format",
            "json",
            "-o",
            tmp_path / "i.json",
        ),
        ("simulate", "-o", tmp_path, "--seed", "5", "--dyads", "40", "--officers", "5"),
    ]
    for args in steps:
        r = cli(*args)
        assert r.code == 0, (args[0], r.stderr[-2000:])
    assert no_network == []
    _all_json_strict(tmp_path)


def test_outcomes_dyads_report_open_no_socket(cli, tmp_path, no_network):
    steps = [
        (
            "outcomes",
            DEMO,
            "--outcomes",
            OUTCOMES,
            "--on",
            "dyad",
            *BOTH,
            "--by",
            "rater",
            "--outcome",
            "dropout:binary",
            "--format",
            "json",
            "-o",
            tmp_path / "o.json",
        ),
        ("dyads", DEMO, *BOTH, "--dyad", "dyad", "--wave", "wave", "--format", "json", "-o", tmp_path / "d.json", "-q"),
        (
            "report",
            DEMO,
            *BOTH,
            "--dyad-column",
            "dyad",
            "--wave",
            "wave",
            "--dyad",
            "D0001",
            "-o",
            tmp_path / "sheet.html",
            "-q",
        ),
    ]
    for args in steps:
        r = cli(*args)
        assert r.code == 0, (args[0], r.stderr[-2000:])
    assert no_network == []
    _all_json_strict(tmp_path)
    html = (tmp_path / "sheet.html").read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing fetched when opened
    assert "https://" not in html


def _all_json_strict(folder):
    """Machine-readable outputs are strict JSON (no NaN/Infinity) and carry provenance with the seed."""

    def refuse(token):
        raise AssertionError(f"non-standard JSON constant {token}")

    found = sorted(folder.glob("*.json"))
    assert found
    for path in found:
        payload = json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)
        prov = payload["provenance"]
        assert prov["wamkit_version"] and prov["inputs"] and all(i["sha256"] for i in prov["inputs"]), path.name
        assert "seed" in prov or "settings" in prov, path.name


# --------------------------------------------------------------------------- determinism


def _without_created(payload: dict) -> dict:
    payload = json.loads(json.dumps(payload))
    assert payload["provenance"].pop("created")
    return payload


def test_validate_bootstrap_same_seed_same_json(cli, tmp_path):
    args = [
        "validate",
        DEMO,
        "-i",
        "wam-demo-client",
        "--where",
        "rater=client",
        "--where",
        "wave=T0",
        "--bootstrap",
        "50",
        "--seed",
        "3",
        "--skip",
        "efa",
        "--skip",
        "cfa",
        "--format",
        "json",
    ]
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    assert cli(*args, "-o", a).code == 0
    assert cli(*args, "-o", b).code == 0
    ja, jb = json.loads(a.read_text()), json.loads(b.read_text())
    assert ja["provenance"]["seed"] == 3 and ja["settings"]["seed"] == 3
    assert _without_created(ja) == _without_created(jb)
    # and the seed matters: another seed gives another bootstrap interval
    assert cli(*args[:-4], "--seed", "4", "--format", "json", "-o", c).code == 0
    jc = json.loads(c.read_text())
    boot = [r.get("alpha_boot_ci") for r in ja["reliability"].values()]
    assert any(boot) and boot != [r.get("alpha_boot_ci") for r in jc["reliability"].values()]


def test_simulate_same_seed_same_bytes(cli, tmp_path):
    one, two, other = tmp_path / "1", tmp_path / "2", tmp_path / "3"
    for folder, seed in ((one, "11"), (two, "11"), (other, "12")):
        folder.mkdir()
        r = cli("simulate", "-o", folder, "--seed", seed, "--dyads", "60", "--officers", "6")
        assert r.code == 0, r.stderr
        assert f"seed {seed}" in r.stderr
    for name in ("wam_demo.csv", "wam_demo_outcomes.csv"):
        assert (one / name).read_bytes() == (two / name).read_bytes()
        assert (one / name).read_bytes() != (other / name).read_bytes()
