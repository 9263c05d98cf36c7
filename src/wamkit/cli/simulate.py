"""``wamkit simulate``: seeded demonstration data."""

from __future__ import annotations

import typer


def simulate_command(
    output_dir: str = typer.Option(
        "examples", "-o", "--output-dir", help="Folder to write wam_demo.csv and wam_demo_outcomes.csv into."
    ),
    dyads: int = typer.Option(400, "--dyads", help="Number of client-professional dyads."),
    officers: int = typer.Option(40, "--officers", help="Number of officers (professionals) the dyads are nested in."),
    seed: int = typer.Option(2026, "--seed", help="Random seed (same seed, same data)."),
    force: bool = typer.Option(False, "--force", help="Replace existing wam_demo*.csv files in the folder."),
) -> None:
    """Write demonstration data: WAM-demo items (client + professional, waves T0/T1) and outcomes.

    Example: wamkit simulate -o examples --seed 2026
    """
    from pathlib import Path

    from wamkit.errors import UsageError
    from wamkit.io import write_frame
    from wamkit.simulate import simulate_demo

    if seed < 0:
        raise UsageError(f"--seed must be a non-negative whole number, not {seed}")
    folder = Path(output_dir)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{output_dir}: is a file, not a folder")
    if not folder.is_dir():
        raise UsageError(f"{output_dir}: output folder does not exist")
    targets = [folder / "wam_demo.csv", folder / "wam_demo_outcomes.csv"]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        raise UsageError(
            f"{', '.join(existing)} exist(s); add --force to replace (the shipped examples are "
            "this command's output for seed 2026)"
        )
    demo = simulate_demo(n_dyads=dyads, n_officers=officers, seed=seed)
    write_frame(demo.items, str(folder / "wam_demo.csv"), "csv", overwrite=force)
    write_frame(demo.outcomes, str(folder / "wam_demo_outcomes.csv"), "csv", overwrite=force)
    typer.echo(
        f"wrote {folder / 'wam_demo.csv'} ({len(demo.items)} rows) and "
        f"{folder / 'wam_demo_outcomes.csv'} ({len(demo.outcomes)} rows), seed {seed}",
        err=True,
    )
