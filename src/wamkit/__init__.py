"""wamkit: psychometrics for working-alliance questionnaires.

The package root stays import-light on purpose: ``wamkit --help`` must not pull in
pandas or scipy. Import the library modules you need, e.g.::

    from wamkit.instrument import load_instrument
    from wamkit.scoring.core import score
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
