"""Emergency hub-and-spoke networks (stroke, thrombectomy, vascular): the engine's own outputs.

Access, transfers, hub activity, beds and workforce are what :func:`hubplan.access.evaluate.evaluate`
and :mod:`hubplan.capacity` already report for these services, so this kind adds no measures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hubplan.kinds import Kind, KindResult

if TYPE_CHECKING:
    from hubplan.access.evaluate import Evaluation


class EmergencyKind(Kind):
    name = "emergency"
    title = "Emergency hub-and-spoke network (transfers from spokes to hubs)"

    def assess(self, evaluation: "Evaluation", baseline: "Evaluation | None" = None) -> KindResult:
        return KindResult(kind=self.name, option=evaluation.option.name)


KIND = EmergencyKind()
