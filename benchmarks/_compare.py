"""Wording shared by the benchmarks: ratios against a peer or a reference, and objective agreement.

One place decides whether hubplan is "faster" or "slower" (errors "smaller" or "larger")
than a peer, so no benchmark prints "0.6x faster" for something that is 1.7x slower.
"""

from __future__ import annotations

import math

#: Two values (timings, errors) closer than this factor are reported as about the same.
SAME_SPEED_FACTOR = 1.05


def _times(factor: float) -> str:
    return f"{factor:.1f}x" if factor < 9.95 else f"{factor:.0f}x"


def factor_words(ours: float, reference: float, smaller: str, larger: str) -> str:
    """``ours`` against ``reference`` as "N.Nx <smaller>", "N.Nx <larger>" or "about the same".

    The factor is always the larger value over the smaller one, so it is never below 1:
    ``factor_words(1.7, 1.0, "faster", "slower")`` is ``"1.7x slower"``, not "0.6x faster".
    """
    if not (ours > 0 and reference > 0) or math.isinf(ours + reference):
        raise ValueError(f"values must be positive and finite, got {ours!r} and {reference!r}")
    if reference >= ours:
        factor, word = reference / ours, smaller
    else:
        factor, word = ours / reference, larger
    if factor < SAME_SPEED_FACTOR:
        return "about the same"
    return f"{_times(factor)} {word}"


def speed_factor(hubplan_seconds: float, peer_seconds: float) -> str:
    """``"3.2x faster"``, ``"1.7x slower"`` or ``"about as fast"``: hubplan's time against a peer's."""
    try:
        words = factor_words(hubplan_seconds, peer_seconds, "faster", "slower")
    except ValueError:
        raise ValueError(f"timings must be positive and finite, got {hubplan_seconds!r} and {peer_seconds!r}")
    return "about as fast" if words == "about the same" else words


def speed_ratio(hubplan_seconds: float, peer_seconds: float, peer: str) -> str:
    """How hubplan's time compares with a peer's on the same task, in a sentence.

    ``speed_ratio(1.0, 3.2, "spopt")`` is ``"hubplan is 3.2x faster than spopt"``;
    ``speed_ratio(1.7, 1.0, "x")`` is ``"hubplan is 1.7x slower than x"``.
    """
    factor = speed_factor(hubplan_seconds, peer_seconds)
    if factor == "about as fast":
        return f"hubplan is about as fast as {peer}"
    return f"hubplan is {factor} than {peer}"


def objectives_agree(ours: float, theirs: float, rel_tol: float) -> tuple[bool, str]:
    """Whether two objective values agree to ``rel_tol`` (relative to the larger), with the difference in words."""
    scale = max(abs(ours), abs(theirs))
    difference = abs(ours - theirs)
    same = difference <= rel_tol * scale if scale > 0 else difference == 0
    relative = difference / scale if scale > 0 else 0.0
    verdict = "same objective" if same else "DIFFERENT objective"
    return same, f"{verdict} (difference {difference:.3g}, {100 * relative:.2g}%; tolerance {100 * rel_tol:.2g}%)"
