"""Monitoring: benchmarking units against audit data (funnel plots, :mod:`~hubplan.monitoring.benchmark`)
and statistical process control of monthly activity (:mod:`~hubplan.monitoring.spc`).

Nothing is imported here, so ``import hubplan.monitoring.spc`` does not load SciPy.
"""
