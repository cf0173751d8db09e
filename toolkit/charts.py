"""Small charts for the reports: matplotlib rendered to inline SVG (text kept as text, no fonts
embedded, no scripts), so a report stays one self-contained file."""

from __future__ import annotations

import io
import re

# Same hues as the report's status badges (templates/_style.css), plus a hatch per status so the
# chart does not rely on colour alone; the legend names every status.
STATUS_STYLE = {
    "met": ("#2e7d32", ""), "partial": ("#c98a00", "//"), "missing": ("#b3261e", "xx"),
    "n/a": ("#9e9e9e", ".."), "not-evaluated": ("#e0e0e0", "--"),
}


def status_by_area_svg(area_counts: list[tuple[str, str, dict[str, int]]], statuses: list[str]) -> str:
    """A horizontal stacked bar per area (findings by status across all documents), as an <svg>
    element with a title for screen readers. area_counts: (area id, area name, {status: n})."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    order = ["met", "partial", "missing", "n/a", "not-evaluated"]
    order = [s for s in order if s in statuses] + [s for s in statuses if s not in order]
    names = [name for _, name, _ in area_counts][::-1]
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "dipsample", "font.size": 9,
                                "font.family": "sans-serif", "hatch.linewidth": 0.6}):
        fig, ax = plt.subplots(figsize=(7.2, 0.32 * len(names) + 1.1))
        left = [0] * len(names)
        for s in order:
            values = [c.get(s, 0) for _, _, c in area_counts][::-1]
            if not any(values):
                continue
            colour, hatch = STATUS_STYLE.get(s, ("#777777", ""))
            ax.barh(names, values, left=left, color=colour, hatch=hatch, edgecolor="white", linewidth=0.5, label=s)
            left = [a + b for a, b in zip(left, values)]
        ax.set_xlabel("findings (all documents)")
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(ncol=5, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, fontsize=8)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    title = "Findings by status in each area: " + "; ".join(
        f"{name}: " + ", ".join(f"{c.get(s, 0)} {s}" for s in order if c.get(s)) for _, name, c in area_counts)
    svg = re.sub(r"<svg\b", '<svg role="img" aria-labelledby="chart-title" class="chart"', svg, count=1)
    svg = re.sub(r"(<svg[^>]*>)", lambda m: m.group(1) + f'<title id="chart-title">{_esc(title)}</title>', svg, count=1)
    # width/height in pt fix the size; let CSS scale it to the column instead
    return re.sub(r'(<svg[^>]*?)\s+width="[^"]*"\s+height="[^"]*"', r"\1", svg, count=1)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
