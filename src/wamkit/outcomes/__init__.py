"""Alliance against outcomes (``wamkit outcomes``): one module per step, see :mod:`wamkit.outcomes.analysis`.

Public entry points: :func:`outcomes` (a study's data in, a result out), :func:`analyse_outcomes`
(scores and an outcomes table in), :class:`OutcomeSettings` and :class:`OutcomesResult`.
"""

from wamkit.outcomes.analysis import analyse_outcomes, outcomes
from wamkit.outcomes.result import OutcomesResult
from wamkit.outcomes.settings import EventVar, OutcomeSettings, OutcomeVar

__all__ = ["EventVar", "OutcomeSettings", "OutcomeVar", "OutcomesResult", "analyse_outcomes", "outcomes"]

from wamkit.packages import make_callable

make_callable(__name__, outcomes)  # wamkit.outcomes(data) calls outcomes(data)
