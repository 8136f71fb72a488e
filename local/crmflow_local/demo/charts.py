"""Charts as inline SVG, with no library: bars (grouped or stacked), horizontal bars, lines, and a
workflow canvas.

Every chart is an ``<svg role="img">`` labelled by its ``<title>`` and ``<desc>``; each data mark has
``class="mark"`` and a ``<title>`` of its own (the browser's tooltip, and what a screen reader reads);
:func:`figure` puts a chart in a ``<figure>`` with a ``<figcaption>`` and the same numbers as a table."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from html import escape

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:100%;height:auto"
TEXT = "#222"
_ids = itertools.count(1)

Series = tuple[str, Sequence[float]]


def reset_ids() -> None:
    """Start the element ids again (one report, one sequence)."""
    global _ids
    _ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def _num(value: float | str) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def el(tag: str, content: str = "", **attrs: float | str) -> str:
    """One SVG or HTML element; ``class_`` stands for ``class``, other underscores for dashes."""
    names = {"class_": "class"}
    parts = "".join(f' {names.get(k, k.replace("_", "-"))}="{escape(_num(v))}"' for k, v in attrs.items())
    return f"<{tag}{parts}>{content}</{tag}>" if content else f"<{tag}{parts}/>"


def tip(text: str) -> str:
    """A mark's tooltip (and accessible name)."""
    return el("title", escape(text))


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least ``top``."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if step < 1 and top >= 1:
        step = 1
    ticks, value = [], 0.0
    while value < top - 1e-9:
        ticks.append(value)
        value += step
    ticks.append(value)
    return ticks


def fmt(value: float, percent: bool = False) -> str:
    if percent:
        return f"{value:.0%}"
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 10 else f"{value:.1f}"


def _svg(title: str, desc: str, width: float, height: float, body: str) -> str:
    title_id, desc_id = _id("t"), _id("d")
    labels = el("title", escape(title), id=title_id) + el("desc", escape(desc), id=desc_id)
    return el(
        "svg",
        labels + body,
        xmlns="http://www.w3.org/2000/svg",
        role="img",
        viewBox=f"0 0 {_num(width)} {_num(height)}",
        width=width,
        height=height,
        aria_labelledby=f"{title_id} {desc_id}",
        style=FONT,
    )


def _legend(names: Sequence[str], x: float, y: float, width: float) -> tuple[str, float]:
    """Coloured keys for the series, wrapped into rows within ``width``; the markup and its height."""
    parts, offset, row = [], 0.0, 0
    for i, name in enumerate(names):
        size = 24 + 7 * len(name)
        if offset and x + offset + size > width:
            offset, row = 0.0, row + 1
        top = y + 18 * row
        parts.append(el("rect", x=x + offset, y=top - 9, width=10, height=10, fill=PALETTE[i % len(PALETTE)]))
        parts.append(el("text", escape(name), x=x + offset + 14, y=top, font_size=12, fill=TEXT))
        offset += size
    return el("g", "".join(parts), aria_hidden="true"), 18.0 * (row + 1) if names else 0.0


def _y_axis(
    ticks: list[float], left: float, right: float, y_of: Callable[[float], float], percent: bool
) -> str:
    parts = []
    for tick in ticks:
        y = y_of(tick)
        parts.append(el("line", x1=left, x2=right, y1=y, y2=y, stroke="#ddd"))
        parts.append(
            el("text", fmt(tick, percent), x=left - 6, y=y + 4, font_size=11, text_anchor="end", fill="#444")
        )
    return el("g", "".join(parts), aria_hidden="true")


def _x_labels(labels: Sequence[str], x_of: Callable[[int], float], y: float) -> str:
    every = max(1, math.ceil(len(labels) / 10))
    shown = [i for i in range(len(labels)) if i % every == 0]
    if shown and len(labels) - 1 - shown[-1] >= every * 0.75:
        shown.append(len(labels) - 1)
    parts = [
        el("text", escape(labels[i]), x=x_of(i), y=y, font_size=11, text_anchor="middle", fill="#444")
        for i in shown
    ]
    return el("g", "".join(parts), aria_hidden="true")


def _baseline(left: float, right: float, y: float) -> str:
    return el("path", d=f"M{_num(left)},{_num(y)}H{_num(right)}", stroke="#666", aria_hidden="true")


def bars(
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    stacked: bool = False,
    width: int = 760,
    height: int = 260,
) -> str:
    """Vertical bars per label: one bar per series side by side, or stacked."""
    legend, legend_height = _legend([name for name, _ in series], 48, 16, width)
    height += int(legend_height) - 18
    left, right, top, bottom = 48, width - 12, 12 + legend_height, height - 28
    if stacked:
        peak = max((sum(values[i] for _, values in series) for i in range(len(labels))), default=0)
    else:
        peak = max((v for _, values in series for v in values), default=0)
    ticks = nice_ticks(peak)
    scale = (bottom - top) / ticks[-1]

    def y_of(value: float) -> float:
        return bottom - value * scale

    slot = (right - left) / max(1, len(labels))
    group = slot * 0.8
    bar = group if stacked else group / max(1, len(series))

    def x_of(i: int) -> float:
        return left + slot * i + slot / 2

    marks = []
    for i, label in enumerate(labels):
        base = 0.0
        for j, (name, values) in enumerate(series):
            value = values[i]
            if value <= 0:
                continue
            x = left + slot * i + (slot - group) / 2 + (0 if stacked else j * bar)
            y0, y1 = (y_of(base + value), y_of(base)) if stacked else (y_of(value), y_of(0))
            colour = PALETTE[j % len(PALETTE)]
            box = {"x": x, "y": y0, "width": max(bar - 1, 1.0), "height": max(y1 - y0, 0.5)}
            marks.append(el("rect", tip(f"{label}: {name} {fmt(value)}"), class_="mark", fill=colour, **box))
            if stacked:
                base += value
    body = (
        _y_axis(ticks, left, right, y_of, False)
        + _baseline(left, right, bottom)
        + "".join(marks)
        + _x_labels(labels, x_of, bottom + 16)
        + legend
    )
    return _svg(title, desc, width, height, body)


def lines(
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    percent: bool = False,
    width: int = 760,
    height: int = 240,
) -> str:
    """One line per series over the labels, with a dot (and its tooltip) at each value."""
    legend, legend_height = _legend([name for name, _ in series], 48, 16, width)
    height += int(legend_height) - 18
    left, right, top, bottom = 48, width - 12, 12 + legend_height, height - 28
    peak = max((v for _, values in series for v in values), default=0)
    ticks = [t / 100 for t in nice_ticks(peak * 100)] if percent else nice_ticks(peak)
    scale = (bottom - top) / (ticks[-1] or 1)

    def y_of(value: float) -> float:
        return bottom - value * scale

    step = (right - left) / max(1, len(labels) - 1)

    def x_of(i: int) -> float:
        return left + step * i

    marks = []
    for j, (name, values) in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(values))
        marks.append(el("polyline", class_="mark", points=points, fill="none", stroke=colour, stroke_width=2))
        for i, value in enumerate(values):
            text = f"{labels[i]}: {name} {fmt(value, percent)}"
            marks.append(el("circle", tip(text), class_="mark", cx=x_of(i), cy=y_of(value), r=3, fill=colour))
    body = (
        _y_axis(ticks, left, right, y_of, percent)
        + _baseline(left, right, bottom)
        + "".join(marks)
        + _x_labels(labels, x_of, bottom + 16)
        + legend
    )
    return _svg(title, desc, width, height, body)


def hbars(
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 760,
    label_width: int = 300,
    row: int = 24,
    legend: bool = False,
) -> str:
    """Horizontal bars, one row per label; several series (or one, with ``legend``) are stacked along
    the row, with their key above."""
    keyed = legend or len(series) > 1
    key, key_height = _legend([name for name, _ in series], 10, 18, width) if keyed else ("", 0.0)
    left, right, top = label_width, width - 60, 10 + key_height
    height = top + row * len(labels) + 10
    peak = max((sum(values[i] for _, values in series) for i in range(len(labels))), default=0)
    scale = (right - left) / (peak or 1)
    parts = [el("path", d=f"M{left},{_num(top)}V{_num(height - 10)}", stroke="#666", aria_hidden="true")]
    for i, label in enumerate(labels):
        y = top + i * row
        middle = y + row / 2 + 4
        parts.append(
            el("text", escape(label), x=left - 8, y=middle, font_size=12, text_anchor="end", fill=TEXT)
        )
        x = float(left)
        for j, (name, values) in enumerate(series):
            value = values[i]
            if value <= 0:
                continue
            w = value * scale
            text = f"{label}: {name} {fmt(value)}" if keyed else f"{label}: {fmt(value)}"
            colour = PALETTE[j % len(PALETTE)]
            box = {"x": x, "y": y + 3, "width": max(w, 1.0), "height": row - 6}
            parts.append(el("rect", tip(text), class_="mark", fill=colour, **box))
            x += w
        total = sum(values[i] for _, values in series)
        parts.append(el("text", fmt(total), x=x + 6, y=middle, font_size=12, fill=TEXT))
    return _svg(title, desc, width, height, key + "".join(parts))


def canvas(title: str, desc: str, steps: Sequence[tuple[str, str, int, str]], *, width: int = 800) -> str:
    """A workflow's actions top to bottom as on HubSpot's canvas, each with a bar and a badge of how
    many records wait there now: ``(action id, text, waiting now, a note such as the peak)``."""
    row, box_w, left = 40, 400, 20
    height = 10 + row * len(steps)
    peak = max((w for _, _, w, _ in steps), default=0) or 1
    parts = []
    for i, (action_id, text, waiting, note) in enumerate(steps):
        y = 6 + i * row
        if i:
            parts.append(el("path", d=f"M{left + 20},{y - 10}V{y}", stroke="#888", aria_hidden="true"))
        box = {"x": left, "y": y, "width": box_w, "height": row - 12, "rx": 5}
        described = tip(f"action {action_id}: {text}, {waiting} waiting now")
        parts.append(el("rect", described, class_="mark", fill="#f3f6fa", stroke="#8aa", **box))
        parts.append(
            el("text", escape(f"{action_id} · {text}"), x=left + 10, y=y + 18, font_size=12, fill=TEXT)
        )
        x = float(left + box_w + 16)
        if waiting:
            w = max(2.0, (width - x - 230) * waiting / peak)
            bar = {"x": x, "y": y + 5, "width": w, "height": row - 22}
            parts.append(
                el(
                    "rect",
                    tip(f"{waiting} waiting at action {action_id} now"),
                    class_="mark",
                    fill=PALETTE[1],
                    **bar,
                )
            )
            x += w
        label = f"{waiting} waiting" + (f" · {note}" if note else "")
        parts.append(el("text", escape(label), x=x + 6, y=y + 18, font_size=12, fill=TEXT))
    return _svg(title, desc, width, height, "".join(parts))


def table(
    caption: str, header: Sequence[str], rows: Sequence[Sequence[object]], *, table_id: str = ""
) -> str:
    """A data table: the first cell of each row is its header; numbers are right-aligned."""
    head = "".join(f'<th scope="col">{escape(str(h))}</th>' for h in header)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            text = escape(str(cell))
            numeric = isinstance(cell, (int, float)) or str(cell).rstrip("%").replace(",", "").isdigit()
            if i == 0:
                cells.append(f'<th scope="row">{text}</th>')
            else:
                cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    ident = f' id="{escape(table_id)}"' if table_id else ""
    return (
        f"<table{ident}><caption>{escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def figure(svg: str, caption: str, data_table: str, *, figure_id: str = "") -> str:
    """A chart with its caption (HTML), and its numbers as a table (folded, for who wants them)."""
    ident = f' id="{escape(figure_id)}"' if figure_id else ""
    return (
        f"<figure{ident}>{svg}<figcaption>{caption}</figcaption>"
        f"<details><summary>The numbers as a table</summary>{data_table}</details></figure>"
    )
