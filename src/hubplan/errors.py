"""The exceptions hubplan raises.

``HubplanError`` is the root; the command line turns an :class:`InputError` or an
:class:`InfeasibleError` into a one-line message and exit status 2, anything else
into exit status 1. No user error ever shows a Python traceback.
"""

from __future__ import annotations


class HubplanError(Exception):
    """Base class of every error hubplan raises on purpose."""


class InputError(HubplanError, ValueError):
    """Bad input: a file, row, column, code or argument that is not what was expected.

    The message names what is wrong and what was expected, e.g.
    ``travel_times.csv row 14, column 'minutes': expected a number >= 0, got '-3'``.
    """


class InfeasibleError(HubplanError):
    """The constraints cannot all be met; the message says which one fails."""


class SolverError(HubplanError):
    """The optimisation solver failed for a reason other than infeasibility."""
