"""The shared pyplot helper: Agg, so plots are written on a machine without a display."""

from __future__ import annotations

from pathlib import Path

from clinical_r1.plotting import pyplot


def test_pyplot_uses_agg_and_writes_a_png(tmp_path: Path) -> None:
    plt = pyplot()
    assert plt.get_backend().lower() == "agg"
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    fig.savefig(tmp_path / "line.png")
    plt.close(fig)
    assert (tmp_path / "line.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
