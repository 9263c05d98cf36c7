"""Plain option conversion (wamkit.cli.coercion): the same values as typer's pydantic path, without pydantic."""

from __future__ import annotations

import enum
import subprocess
import sys

import pytest
import typer

from wamkit.cli.coercion import _plain, install


def test_wamkit_commands_convert_options_without_pydantic():
    code = (
        "import sys; from wamkit.cli import app; from wamkit.cli.common import _command; "
        "c = _command(app); [p.get_runtime_param() for name in ('score', 'validate', 'outcomes', 'dyads') "
        "for p in c.commands[name].params if hasattr(p, 'get_runtime_param')]; print('pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(
    "kind,value,expected",
    [(str, "a b", "a b"), (int, "12", 12), (int, " 7 ", 7), (float, "0.75", 0.75), (float, "1e-3", 0.001)]
    + [(bool, "true", True), (bool, "0", False), (bool, True, True)],
)
def test_plain_values(kind, value, expected):
    assert _plain(kind, value) == expected and type(_plain(kind, value)) is kind


@pytest.mark.parametrize("kind,value", [(int, "x"), (int, "12.5"), (float, "abc"), (bool, "maybe"), (int, True)])
def test_plain_refuses(kind, value):
    with pytest.raises(ValueError, match="is not a valid"):
        _plain(kind, value)


class Colour(enum.Enum):
    red = "red"
    blue = "blue"


def test_options_wamkit_does_not_use_still_go_through_typer():
    """A choice, a range and a list[int] keep typer's own conversion (and its messages)."""
    install()
    app = typer.Typer()
    seen = {}

    @app.command()
    def go(
        colour: Colour = typer.Option(Colour.red),
        n: int = typer.Option(1, min=1),
        many: list[int] = typer.Option([]),
        name: str = typer.Option("x"),
    ) -> None:
        seen.update(colour=colour, n=n, many=many, name=name)

    cmd = typer.main.get_command(app)
    cmd.main(["--colour", "blue", "--n", "3", "--many", "4", "--many", "5", "--name", "y"], standalone_mode=False)
    assert seen == {"colour": Colour.blue, "n": 3, "many": [4, 5], "name": "y"}
    with pytest.raises(Exception, match="greater than or equal to 1"):  # typer's (pydantic's) own message
        cmd.main(["--n", "0"], standalone_mode=False)
