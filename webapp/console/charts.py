"""Geometry for the dashboard's server-drawn SVG charts: daily bars and a running-total line.

The template draws what this computes; no chart library, no script.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

WIDTH, HEIGHT = 480, 240  # drawn at card width: its 14-unit labels stay readable on a phone
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 64, 64, 12, 30
MAX_BUCKETS = 60


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    start: dt.date
    value: int


@dataclass
class _Frame:
    """The drawing area every chart shares: its size, the plot's edges, a scale and labels."""

    width: int = WIDTH
    height: int = HEIGHT
    line: str = ""  # SVG path of the line
    ticks: list[tuple[float, int]] = field(default_factory=list)  # (y, value) on the scale
    labels: list[tuple[float, dt.date]] = field(default_factory=list)  # (x, day) under the plot
    top: int = PAD_TOP
    bottom: int = HEIGHT - PAD_BOTTOM
    left: int = PAD_LEFT
    right: int = WIDTH - PAD_RIGHT


@dataclass
class Chart(_Frame):
    """Daily bars with the running total as a line (`line`) on a second scale (`total_ticks`)."""

    bars: list[Bar] = field(default_factory=list)
    total_ticks: list[tuple[float, int]] = field(default_factory=list)  # (y, value) for the running total
    bucket_days: int = 1
    total: int = 0

    @property
    def empty(self) -> bool:
        return not self.bars


def _nice(value: int) -> int:
    """A round upper bound for an axis: 1, 2, 5 times a power of ten."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def series_chart(points: list[tuple[dt.date, int]], *, until: dt.date | None = None) -> Chart:
    """Bars per day (per week when the range is long) plus the running total, from sparse points."""
    chart = Chart()
    if not points:
        return chart
    first = points[0][0]
    last = max(points[-1][0], until or points[-1][0])
    days = (last - first).days + 1
    bucket = 1 if days <= MAX_BUCKETS else (7 if days <= MAX_BUCKETS * 7 else -(-days // MAX_BUCKETS))
    count = -(-days // bucket)
    values = [0] * count
    for day, value in points:
        values[min((day - first).days // bucket, count - 1)] += value
    chart.bucket_days = bucket
    chart.total = sum(values)

    plot_w = chart.right - chart.left
    plot_h = chart.bottom - chart.top
    slot = plot_w / count
    peak = _nice(max(values))
    total_peak = _nice(chart.total)
    running = 0
    path = []
    for i, value in enumerate(values):
        height = plot_h * value / peak
        x = chart.left + i * slot
        chart.bars.append(
            Bar(
                x=round(x + slot * 0.1, 1),
                y=round(chart.bottom - height, 1),
                width=round(max(slot * 0.8, 1), 1),
                height=round(height, 1),
                start=first + dt.timedelta(days=i * bucket),
                value=value,
            )
        )
        running += value
        y = chart.bottom - plot_h * running / total_peak
        path.append(f"{'M' if i == 0 else 'L'}{x + slot / 2:.1f},{y:.1f}")
    chart.line = " ".join(path)
    chart.ticks = [(round(chart.bottom - plot_h * f, 1), round(peak * f)) for f in (0, 0.5, 1)]
    chart.total_ticks = [(round(chart.bottom - plot_h * f, 1), round(total_peak * f)) for f in (0, 0.5, 1)]
    every = max(1, count // 6)
    chart.labels = [
        (round(chart.left + i * slot + slot / 2, 1), (first + dt.timedelta(days=i * bucket)))
        for i in range(0, count, every)
    ]
    return chart


@dataclass
class LevelChart(_Frame):
    """A line of a level measured once a day (a segment's size), not summed like `series_chart`."""

    points: list[tuple[float, float, dt.date, int]] = field(default_factory=list)  # (x, y, day, value)

    @property
    def empty(self) -> bool:
        return not self.points


def level_chart(points: list[tuple[dt.date, int]]) -> LevelChart:
    """A line through the daily values (oldest first), on a scale from zero."""
    chart = LevelChart()
    if not points:
        return chart
    plot_w = chart.right - chart.left
    plot_h = chart.bottom - chart.top
    first = points[0][0]
    span = max((points[-1][0] - first).days, 1)
    peak = _nice(max(value for _, value in points))
    for day, value in points:
        x = chart.left + plot_w * ((day - first).days / span if len(points) > 1 else 0.5)
        y = chart.bottom - plot_h * value / peak
        chart.points.append((round(x, 1), round(y, 1), day, value))
    chart.line = " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y, _, _) in enumerate(chart.points))
    chart.ticks = [(round(chart.bottom - plot_h * f, 1), round(peak * f)) for f in (0, 0.5, 1)]
    every = max(1, len(chart.points) // 6)
    chart.labels = [(x, day) for x, _, day, _ in chart.points[::every]]
    return chart
