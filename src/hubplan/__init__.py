"""hubplan: plan and appraise hub-and-spoke reconfigurations of specialist NHS services.

Quick start::

    import hubplan
    network = hubplan.load_bundled().restrict(country="England")
    service = hubplan.Service.preset("thrombectomy")
    option = hubplan.Option.from_capability(network, "thrombectomy", name="today")
    evaluation = hubplan.evaluate(network, service, option)
    print(evaluation.summary)
"""

from __future__ import annotations

__version__ = "0.1.0"

from hubplan.geography import load_bundled, load_csv_network
from hubplan.geography.demand import Demand
from hubplan.errors import HubplanError, InfeasibleError, InputError, SolverError
from hubplan.access.evaluate import Comparison, Evaluation, compare, evaluate
from hubplan.geography.network import Network
from hubplan.services.options import Helicopter, Option, Pathway
from hubplan.services import Service

__all__ = [
    "Comparison",
    "Demand",
    "Evaluation",
    "Helicopter",
    "HubplanError",
    "InfeasibleError",
    "InputError",
    "Network",
    "Option",
    "Pathway",
    "Service",
    "SolverError",
    "__version__",
    "compare",
    "evaluate",
    "load_bundled",
    "load_csv_network",
]
