"""Dates as policies write them: "14 March 2023", "March 2024", "14/03/2023", "2024-03-14", "Spring 2025"."""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_TERMS = {"spring": 3, "summer": 6, "autumn": 10}
_MONTH_RX = "|".join(sorted(_MONTHS, key=len, reverse=True))
DATE = re.compile(
    rf"\b(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTH_RX})\.?,?\s+(?P<y1>(?:19|20)\d\d)"
    rf"|(?P<m2>{_MONTH_RX})\.?\s+(?:(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?(?P<y2>(?:19|20)\d\d)"
    rf"|(?P<d3>\d{{1,2}})[/.-](?P<m3>\d{{1,2}})[/.-](?P<y3>(?:19|20)?\d\d)"
    rf"|(?P<y4>(?:19|20)\d\d)-(?P<m4>\d\d)-(?P<d4>\d\d)"
    rf"|(?P<t5>spring|summer|autumn)\s+(?:term\s+)?(?P<y5>(?:19|20)\d\d))\b", re.I)


def find_dates(text: str) -> list[tuple[dt.date, int, int]]:
    """Every date in the text with its character span; month-only dates fall on the 1st."""
    out = []
    for m in DATE.finditer(text):
        g = m.groupdict()
        try:
            if g["y1"]:
                d = dt.date(int(g["y1"]), _MONTHS[g["m1"].lower()], int(g["d1"]))
            elif g["y2"]:
                d = dt.date(int(g["y2"]), _MONTHS[g["m2"].lower()], int(g["d2"] or 1))
            elif g["y3"]:
                y = int(g["y3"])
                d = dt.date(y + 2000 if y < 100 else y, int(g["m3"]), int(g["d3"]))
            elif g["y4"]:
                d = dt.date(int(g["y4"]), int(g["m4"]), int(g["d4"]))
            else:
                d = dt.date(int(g["y5"]), _TERMS[g["t5"].lower()], 1)
        except (ValueError, KeyError):
            continue
        out.append((d, m.start(), m.end()))
    return out


def months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month
