"""Matplotlib for writing PNG files: pyplot on the Agg backend, which needs no display."""

from __future__ import annotations

from types import ModuleType


def pyplot() -> ModuleType:
    """matplotlib.pyplot with the Agg backend; imported on first use, as matplotlib is slow to load."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
