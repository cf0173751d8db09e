"""Write corpus/register.csv: a synthetic GIAS establishment export for the fictional local
authority of Wexcombe (about 120 open schools across phases and types, a few closed ones), with
the 12 corpus schools under the URNs of corpus/labels/*.yaml. Deterministic: the same file every
run.

    python corpus/make_register.py            # writes corpus/register.csv
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LA_CODE, LA_NAME = "999", "Wexcombe"
COLUMNS = ["URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName",
           "TypeOfEstablishment (name)", "EstablishmentTypeGroup (name)", "EstablishmentStatus (name)",
           "OpenDate", "CloseDate", "PhaseOfEducation (name)", "StatutoryLowAge", "StatutoryHighAge",
           "Gender (name)", "ReligiousCharacter (name)", "NumberOfPupils", "Town", "Postcode"]

# (URN, name, GIAS type, GIAS phase, low age, high age, pupils) for the corpus policies
CORPUS = [
    ("102345", "Ashgrove School", "Community school", "Secondary", 11, 16, 842),
    ("109876", "Brookside Junior School", "Community school", "Primary", 7, 11, 356),
    ("103456", "Castlemere High School", "Foundation school", "Secondary", 11, 18, 1204),
    ("100999", "Elmstead School", "Other independent school", "Not applicable", 11, 18, 415),
    ("145002", "Fenwick Academy", "Academy sponsor led", "Secondary", 11, 16, 968),
    ("100452", "Hartley Infant School", "Community school", "Primary", 4, 7, 178),
    ("135790", "Northgate Learning Centre", "Pupil referral unit", "Not applicable", 11, 16, 64),
    ("118765", "Oakfield School", "Community special school", "Not applicable", 4, 19, 152),
    ("147123", "Pennine Free School", "Free schools", "Secondary", 11, 18, 720),
    ("140211", "Riverside Primary Academy", "Academy converter", "Primary", 4, 11, 412),
    ("113580", "St Aldhelm's Preparatory School", "Other independent school", "Not applicable", 3, 13, 238),
    ("146789", "Willowbank College", "Academy converter", "All-through", 4, 18, 1630),
]
PLACES = """Abbotsmead Barnfield Bramley Cotterill Coldharbour Dunmore Eastleigh Foxhollow Glebe Greystones
Hallam Hazelwood Holmecroft Kingsley Larkhill Longmoor Marlow Meadowbank Millbrook Netherby Newlands
Orchard Parkside Quarry Redhill Rookwood Sandford Shelley Southmead Stanway Thornbury Tillington
Upton Valley Westbury Whitecross Woodlands Yardley Ashby Beacon Belmont Briar Chalkhill Claypit
Copperfield Deanfield Elmhurst Fairview Fernbrook Gorsey Harefield Heathcote Highfield Hollins
Ivydale Juniper Kestrel Lambourne Lindley Mapleton Moorside Norbury Oakhurst Pinewood Primrose
Ravensworth Rowan Saltley Silverdale Springfield Stonebridge Summerhill Sycamore Tanners Thistle
Underwood Vicarage Walton Waverley Welland Whitmore Windmill Wrenfield Yewtree Alder Bishopsgate
Canal Carrow Dovecote Fieldway Gatley Hawthorn Kiln Lanes Marsh Ladybrook Mount Nightingale Brackenfield
Cheltham Drayton Emberton Frogmore Goldthorpe""".split()
SAINTS = ["St Mary's", "St Joseph's", "St Peter's", "St Anne's", "Holy Trinity", "St Chad's", "St Bede's",
          "Our Lady's", "St John's", "St Michael's", "All Saints", "St Thomas'"]
TOWNS = ["Wexcombe", "Wexcombe", "Wexcombe", "Stanbridge", "Holme Vale", "Marston Cross"]


def _schools(rng: random.Random) -> list[dict]:
    places = iter(rng.sample(PLACES, len(PLACES)))
    saints = iter(SAINTS)
    plan = (  # (count, kind)
        [(30, "community primary"), (8, "infant"), (8, "junior"), (10, "va primary"), (8, "vc primary"),
         (4, "foundation primary"), (16, "academy primary"), (2, "nursery"), (6, "community secondary"),
         (6, "academy secondary"), (1, "free secondary"), (1, "utc"), (1, "all-through academy"),
         (2, "community special"), (2, "academy special"), (1, "pru"), (1, "ap academy"),
         (2, "independent"), (1, "independent prep"), (1, "independent special"), (1, "nmss")])
    out = []
    for count, kind in plan:
        for _ in range(count):
            place = next(places) if kind not in ("va primary", "utc", "pru") else ""
            if kind in ("va primary",):
                saint = next(saints)
                name, t, ph, ages, rc = f"{saint} Catholic Primary School", "Voluntary aided school", "Primary", (4, 11), "Roman Catholic"
            elif kind == "vc primary":
                name, t, ph, ages, rc = f"{place} Church of England Primary School", "Voluntary controlled school", "Primary", (4, 11), "Church of England"
            else:
                rc = "Does not apply"
                name, t, ph, ages = {
                    "community primary": (f"{place} Primary School", "Community school", "Primary", (4, 11)),
                    "infant": (f"{place} Infant School", "Community school", "Primary", (4, 7)),
                    "junior": (f"{place} Junior School", "Community school", "Primary", (7, 11)),
                    "foundation primary": (f"{place} Community Primary School", "Foundation school", "Primary", (3, 11)),
                    "academy primary": (f"{place} Primary Academy", rng.choice(["Academy converter", "Academy sponsor led"]), "Primary", (4, 11)),
                    "nursery": (f"{place} Nursery School", "Local authority nursery school", "Nursery", (2, 5)),
                    "community secondary": (f"{place} High School", "Community school", "Secondary", (11, 16)),
                    "academy secondary": (f"{place} Academy", rng.choice(["Academy converter", "Academy sponsor led"]), "Secondary", (11, 18)),
                    "free secondary": (f"{place} Free School", "Free schools", "Secondary", (11, 16)),
                    "utc": (f"{LA_NAME} University Technical College", "University technical college", "Secondary", (14, 19)),
                    "all-through academy": (f"{place} School", "Academy converter", "All-through", (4, 18)),
                    "community special": (f"{place} School", "Community special school", "Not applicable", (5, 19)),
                    "academy special": (f"{place} Academy", "Academy special converter", "Not applicable", (11, 19)),
                    "pru": (f"{LA_NAME} Pupil Referral Unit", "Pupil referral unit", "Not applicable", (5, 16)),
                    "ap academy": (f"{place} Alternative Provision Academy", "Academy alternative provision sponsor led", "Not applicable", (11, 16)),
                    "independent": (f"{place} House School", "Other independent school", "Not applicable", (3, 18)),
                    "independent prep": (f"{place} Preparatory School", "Other independent school", "Not applicable", (3, 13)),
                    "independent special": (f"{place} College", "Other independent special school", "Not applicable", (8, 19)),
                    "nmss": (f"{place} Hall School", "Non-maintained special school", "Not applicable", (5, 19)),
                }[kind]
            if ph == "Primary":
                pupils = rng.randint(90, 630) if ages != (4, 7) and ages != (7, 11) else rng.randint(80, 360)
            elif ph == "Nursery":
                pupils = rng.randint(40, 110)
            elif ph in ("Secondary", "All-through"):
                pupils = rng.randint(600, 1700)
            else:
                pupils = rng.randint(30, 240)
            out.append({"name": name, "type": t, "phase": ph, "ages": ages, "rc": rc, "pupils": pupils})
    return out


def _group(t: str) -> str:
    if t.startswith(("Academy", "Free schools", "University", "Studio", "City")):
        return "Free Schools" if t.startswith("Free") else "Academies"
    if "independent" in t.lower() or t.startswith("Non-maintained"):
        return "Independent schools" if "independent" in t.lower() else "Special schools"
    if "special" in t.lower():
        return "Special schools"
    return "Local authority maintained schools"


def rows() -> list[dict]:
    rng = random.Random(20250901)
    taken = {u for u, *_ in CORPUS} | {f"11700{i}" for i in range(1, 6)}  # corpus and closed schools
    out = []

    def add(urn, name, t, phase, lo, hi, pupils, status="Open", opened="", closed="", rc="Does not apply"):
        out.append({
            "URN": urn, "LA (code)": LA_CODE, "LA (name)": LA_NAME, "EstablishmentNumber": str(2000 + len(out)),
            "EstablishmentName": name, "TypeOfEstablishment (name)": t, "EstablishmentTypeGroup (name)": _group(t),
            "EstablishmentStatus (name)": status, "OpenDate": opened, "CloseDate": closed,
            "PhaseOfEducation (name)": phase, "StatutoryLowAge": lo, "StatutoryHighAge": hi,
            "Gender (name)": "Mixed", "ReligiousCharacter (name)": rc,
            "NumberOfPupils": pupils if status == "Open" else "", "Town": rng.choice(TOWNS),
            "Postcode": f"WX{rng.randint(1, 19)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
        })

    for urn, name, t, phase, lo, hi, pupils in CORPUS:
        add(urn, name, t, phase, lo, hi, pupils)
    for s in _schools(rng):
        urn = str(rng.randint(100100, 149999))
        while urn in taken:
            urn = str(rng.randint(100100, 149999))
        taken.add(urn)
        opened = f"{rng.randint(2011, 2022)}-09-01" if s["type"].startswith(("Academy", "Free", "University")) else ""
        add(urn, s["name"], s["type"], s["phase"], *s["ages"], s["pupils"], opened=opened, rc=s["rc"])
    # closed schools: predecessors of academies and an amalgamation
    for urn, name, t, phase, lo, hi, closed in [
        ("117001", "Riverside Primary School", "Community school", "Primary", 4, 11, "2014-08-31"),
        ("117002", "Fenwick High School", "Community school", "Secondary", 11, 16, "2012-08-31"),
        ("117003", "Hartley Junior School", "Community school", "Primary", 7, 11, "2019-08-31"),
        ("117004", "Wexcombe Tutorial Centre", "Pupil referral unit", "Not applicable", 11, 16, "2016-03-31"),
        ("117005", "Netherby Grange School", "Other independent school", "Not applicable", 7, 16, "2021-07-31"),
    ]:
        add(urn, name, t, phase, lo, hi, "", status="Closed", closed=closed)
    return sorted(out, key=lambda r: r["URN"])


def main(out: Path = HERE / "register.csv") -> Path:
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows())
    return out


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "register.csv"))
