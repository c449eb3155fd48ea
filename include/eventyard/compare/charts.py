"""Inline SVG charts for the HTML report (no script, no CDN: the file opens anywhere, offline)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from eventyard.compare.model import HourRow

SEGMENT_COLOR, EVENTYARD_COLOR, FLAG_COLOR = "#9aa5b1", "#2f6fde", "#fde2e1"


def hourly_bars(hours: Sequence[HourRow], title: str, height: int = 160) -> str:
    """Rows per hour, Segment's bar beside ours; a flagged hour gets a red band behind its bars."""
    if not hours:
        return ""
    # A week of hours still fits a page: the slots narrow down to 4 px (two 2 px bars).
    slot = max(4.0, min(28.0, 1000 / len(hours)))
    bar, left, bottom, top = slot * 0.4, 44, 34, 18
    width = max(360, int(left + slot * len(hours) + 10))
    peak = max(max(h.segment.rows, h.eventyard.rows) for h in hours) or 1
    plot = height - bottom - top

    def y(value: int) -> float:
        return top + plot - plot * value / peak

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot}" x2="{width - 6}" y2="{top + plot}" stroke="#333"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="10">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot}" text-anchor="end" font-size="10">0</text>',
    ]
    for i, h in enumerate(hours):
        x = left + i * slot
        if h.flagged:
            parts.append(
                f'<rect x="{x:.1f}" y="{top}" width="{slot:.1f}" height="{plot}" fill="{FLAG_COLOR}"/>'
            )
        sides = (
            (3, h.segment.rows, SEGMENT_COLOR, "Segment"),
            (slot * 0.1 + bar, h.eventyard.rows, EVENTYARD_COLOR, "Eventyard"),
        )
        for offset, value, color, side in sides:
            tip = f"{h.hour:%Y-%m-%d %H}:00 {side}: {value}"
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{y(value):.1f}" width="{bar:.1f}" '
                f'height="{top + plot - y(value):.1f}" fill="{color}"><title>{tip}</title></rect>'
            )
        if len(hours) <= 36 or i % (len(hours) // 24 + 1) == 0:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{top + plot + 14}" text-anchor="middle" '
                f'font-size="10">{h.hour:%H}</text>'
            )
    parts.append(
        f'<text x="{left}" y="{height - 4}" font-size="10">hour (UTC) — '
        f'<tspan fill="{SEGMENT_COLOR}">■ Segment</tspan> '
        f'<tspan fill="{EVENTYARD_COLOR}">■ Eventyard</tspan></text>'
    )
    parts.append("</svg>")
    return "".join(parts)
