"""Doctest collection: skip modules whose optional dependency is not installed."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("pyspark") is None:
    collect_ignore.append("kl_drift/spark.py")
if importlib.util.find_spec("numba") is None:
    collect_ignore.append("kl_drift/_core/string_kernel.py")
