"""The demonstration study end to end through the Python API (run it, or paste the cells into Jupyter).

    python examples/notebook.py            # from the repository root; prints each step's summary

Every call below is what a command does (`wamkit score`, `validate`, `outcomes`, `dyads`,
`report`, `shorten`); ``result.to_dict()`` equals that command's ``--format json`` output
without its provenance block, ``result.to_frame()`` gives the tables as DataFrames, and in a
notebook each result shows itself as HTML tables.
"""

# %% The study: data, roles, waves, outcomes declared once in examples/study.yaml
import wamkit

data = wamkit.read(study="examples/study.yaml")
print(wamkit.check_study("examples/study.yaml").summary())

# %% Scores of every row (client rows scored with the client form, professional rows with theirs)
scores = wamkit.score(data)
print(scores.summary())

# %% The instrument in the clients' answers at intake: reliability, factors, CFA, nesting in officers
clients_t0 = wamkit.read(study="examples/study.yaml", where=["rater=client", "wave=T0"])
report = wamkit.validate(clients_t0)
print(report.summary())

# %% Does the instrument measure the same at 0 and 6 months? (one model over the waves of the same clients)
clients = wamkit.read(study="examples/study.yaml", where=["rater=client"])
waves = wamkit.validate(clients, longitudinal=True, skip={"parallel", "efa"})
print(waves.to_dict()["longitudinal_invariance"]["verdict"])

# %% ... and for clients and their officers? (one model over dyads)
t0 = wamkit.read(study="examples/study.yaml", where=["wave=T0"])
roles = wamkit.validate(t0, across="roles", skip={"parallel", "efa"})
print(roles.to_dict()["dyadic_invariance"]["verdict"])

# %% Alliance and outcomes: the named outcomes, cluster-robust by officer, landmark Cox for the 6-month wave,
#    and response surfaces for client-professional (dis)agreement
outcomes = wamkit.outcomes(data, surface=True)
print(outcomes.summary())

# %% Dyads: agreement per wave, reliable change, alerts, and the APIM between consecutive waves
dyads = wamkit.dyads(data, apim=True)
print(dyads.summary())
html = wamkit.reflection_sheet(dyads, "D0001", lang="nl")
print(f"reflection sheet for D0001 (Dutch): {len(html)} characters of self-contained HTML")

# %% A shorter questionnaire that keeps its measurement (5-fold cross-validated)
from wamkit.shortform import shorten_data  # noqa: E402  (the notebook imports what each step needs)

short = shorten_data(clients_t0, items_per_scale=3)
print(short.summary())
