"""The school register: import a GIAS establishment export (or a minimal CSV of urn, name, phase,
type), map GIAS types and phases to the checklist's school types and phases, and link policy
documents to schools (a URN given on the command line, a URN in the file name, or the school's
name in the policy's title block; uncertain name matches are reported, never guessed)."""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from toolkit.checklist import PHASES, SCHOOL_TYPES
from toolkit.errors import DipsampleError
from toolkit.store import _now, write_transaction

# GIAS "TypeOfEstablishment (name)" -> (our school type, special, alternative provision)
GIAS_TYPES: dict[str, tuple[str, bool, bool]] = {
    "community school": ("maintained", False, False),
    "voluntary aided school": ("maintained", False, False),
    "voluntary controlled school": ("maintained", False, False),
    "foundation school": ("maintained", False, False),
    "community special school": ("maintained", True, False),
    "foundation special school": ("maintained", True, False),
    "pupil referral unit": ("maintained", False, True),
    "local authority nursery school": ("maintained", False, False),
    "academy converter": ("academy", False, False),
    "academy sponsor led": ("academy", False, False),
    "academy special converter": ("academy", True, False),
    "academy special sponsor led": ("academy", True, False),
    "academy alternative provision converter": ("academy", False, True),
    "academy alternative provision sponsor led": ("academy", False, True),
    "academy 16-19 converter": ("academy", False, False),
    "academy 16 to 19 sponsor led": ("academy", False, False),
    "free schools": ("academy", False, False),
    "free schools special": ("academy", True, False),
    "free schools alternative provision": ("academy", False, True),
    "free schools 16 to 19": ("academy", False, False),
    "studio schools": ("academy", False, False),
    "university technical college": ("academy", False, False),
    "city technology college": ("academy", False, False),
    "other independent school": ("independent", False, False),
    "other independent special school": ("independent", True, False),
    # run by charities and approved by the Secretary of State; the independent-school standards apply
    "non-maintained special school": ("independent", True, False),
}
# GIAS "PhaseOfEducation (name)" -> our phase ("" = work it out from the ages)
GIAS_PHASES = {
    "nursery": "primary", "primary": "primary", "middle deemed primary": "primary",
    "secondary": "secondary", "middle deemed secondary": "secondary", "16 plus": "secondary",
    "all-through": "all-through", "not applicable": "",
}
GIAS_COLUMNS = ("URN", "EstablishmentName", "TypeOfEstablishment (name)", "PhaseOfEducation (name)")
MINIMAL_COLUMNS = ("urn", "name", "phase", "type")
_URN = re.compile(r"^\d{6,7}$")


class RegisterError(DipsampleError):
    """A register file that cannot be read at all (unknown columns, not a CSV)."""


@dataclass
class BadRow:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportResult:
    path: str
    format: str  # "gias" | "minimal"
    imported: int = 0
    open: int = 0
    closed: int = 0
    bad: list[BadRow] = field(default_factory=list)

    def to_json(self) -> dict:
        return {**asdict(self), "bad": [asdict(b) for b in self.bad]}


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # GIAS downloads are Windows-1252


def _ages_phase(low: str, high: str) -> str:
    """Phase from statutory ages when GIAS says "Not applicable" (independent schools)."""
    try:
        lo, hi = int(low), int(high)
    except (TypeError, ValueError):
        return ""
    if lo <= 7 and hi >= 16:
        return "all-through"
    if hi <= 13 and lo < 11:
        return "primary"
    if lo >= 10:
        return "secondary"
    return ""


def map_gias(type_name: str, phase_name: str, low_age: str = "", high_age: str = "") -> tuple[str, str, bool, bool]:
    """(school type, phase, special, ap) for a GIAS type and phase; raises ValueError with the reason."""
    key = (type_name or "").strip().lower()
    if not key:
        raise ValueError("no TypeOfEstablishment")
    if key not in GIAS_TYPES:
        raise ValueError(f"establishment type '{type_name}' is not a school the checklist covers")
    school_type, special, ap = GIAS_TYPES[key]
    p = (phase_name or "").strip().lower()
    if p not in GIAS_PHASES:
        raise ValueError(f"unknown phase '{phase_name}'")
    if ap:
        phase = "ap"
    elif special:
        phase = "special"
    else:
        phase = GIAS_PHASES[p] or _ages_phase(low_age, high_age)
        if not phase:
            raise ValueError(f"phase '{phase_name}' and ages {low_age or '?'}-{high_age or '?'} give no phase")
    return school_type, phase, special, ap


def _int(value: str) -> int | None:
    value = (value or "").strip().replace(",", "")
    return int(value) if value.isdigit() else None


def read_register(path: str | Path) -> tuple[list[dict], ImportResult]:
    """Parse a register CSV into school rows (GIAS export or minimal format); bad rows are listed
    with their line number and reason and left out."""
    path = Path(path)
    if not path.is_file():
        raise RegisterError(f"{path}: no such file")
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    if all(c in header for c in GIAS_COLUMNS):
        fmt = "gias"
    elif all(c in [h.lower() for h in header] for c in MINIMAL_COLUMNS):
        fmt = "minimal"
        reader.fieldnames = [h.lower() for h in header]
    else:
        raise RegisterError(f"{path.name}: not a register: needs the GIAS columns {', '.join(GIAS_COLUMNS)} "
                            f"or the columns {', '.join(MINIMAL_COLUMNS)}")
    result = ImportResult(str(path), fmt)
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for raw in reader:  # blank lines are skipped by the reader; a quoted field may span lines
        start = reader.line_num - sum(v.count("\n") for v in raw.values() if isinstance(v, str))
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue  # blank line
        if None in raw:
            result.bad.append(BadRow(start, f"{len(raw[None])} more field(s) than the header"))
            continue
        raw = {k: (v or "").strip() for k, v in raw.items()}
        try:
            row = _gias_row(raw) if fmt == "gias" else _minimal_row(raw)
        except ValueError as exc:
            result.bad.append(BadRow(start, str(exc)))
            continue
        if row["urn"] in seen:
            result.bad.append(BadRow(start, f"URN {row['urn']} repeats line {seen[row['urn']]}"))
            continue
        seen[row["urn"]] = start
        row["data"] = json.dumps(raw, ensure_ascii=False)
        rows.append(row)
    return rows, result


def _check_urn_name(urn: str, name: str) -> None:
    if not urn:
        raise ValueError("no URN")
    if not _URN.match(urn):
        raise ValueError(f"URN '{urn}' is not a 6- or 7-digit number")
    if not name:
        raise ValueError("no school name")


def _status(value: str) -> str:
    v = value.lower()
    if not v or v.startswith("open"):
        return "open"
    if v.startswith("closed"):
        return "closed"
    if v.startswith("proposed to open"):
        return "proposed"
    raise ValueError(f"unknown status '{value}'")


def _gias_row(raw: dict) -> dict:
    urn, name = raw.get("URN", ""), raw.get("EstablishmentName", "")
    _check_urn_name(urn, name)
    school_type, phase, special, ap = map_gias(raw["TypeOfEstablishment (name)"], raw["PhaseOfEducation (name)"],
                                               raw.get("StatutoryLowAge", ""), raw.get("StatutoryHighAge", ""))
    return {"urn": urn, "name": name, "school_type": school_type, "phase": phase, "special": int(special),
            "ap": int(ap), "gias_type": raw["TypeOfEstablishment (name)"], "gias_phase": raw["PhaseOfEducation (name)"],
            "la": raw.get("LA (name)", ""), "status": _status(raw.get("EstablishmentStatus (name)", "")),
            "pupils": _int(raw.get("NumberOfPupils", ""))}


def _minimal_row(raw: dict) -> dict:
    urn, name = raw.get("urn", ""), raw.get("name", "")
    _check_urn_name(urn, name)
    school_type, phase = raw.get("type", "").lower(), raw.get("phase", "").lower()
    special = ap = False
    if school_type not in SCHOOL_TYPES:  # a GIAS type name is accepted here too
        school_type, phase2, special, ap = map_gias(raw.get("type", ""), raw.get("phase", "") or "not applicable")
        phase = phase if phase in PHASES else phase2
    if phase not in PHASES:
        raise ValueError(f"phase '{raw.get('phase', '')}' is not one of {', '.join(PHASES)}")
    return {"urn": urn, "name": name, "school_type": school_type, "phase": phase,
            "special": int(special or phase == "special"), "ap": int(ap or phase == "ap"),
            "gias_type": raw.get("type", ""), "gias_phase": raw.get("phase", ""), "la": raw.get("la", ""),
            "status": _status(raw.get("status", "")), "pupils": _int(raw.get("pupils", ""))}


def import_register(db, path: str | Path) -> ImportResult:
    """Read a register CSV and upsert its schools (by URN) in one transaction."""
    rows, result = read_register(path)
    now = _now()
    with write_transaction(db):  # one transaction that waits for the write lock
        db["schools"].upsert_all([{**r, "register": Path(path).name, "imported_at": now} for r in rows], pk="urn")
    result.imported = len(rows)
    result.open = sum(r["status"] == "open" for r in rows)
    result.closed = sum(r["status"] == "closed" for r in rows)
    return result


def school(db, urn: str) -> dict:
    row = next(db["schools"].rows_where("urn = ?", [str(urn).strip()]), None)
    if row is None:
        raise DipsampleError(f"URN {urn} is not in the register (import one with `dipsample register import`)")
    return row


def schools(db, *, status: str | None = "open") -> list[dict]:
    where, params = ("status = ?", [status]) if status else (None, None)
    return list(db["schools"].rows_where(where, params, order_by="urn"))


# ---- linking documents to schools -------------------------------------------------------------

_FILE_URN = re.compile(r"^(\d{6,7})(?:[-_ .]|$)|[-_ .](\d{6,7})$")


def urn_from_filename(source: str | Path) -> str | None:
    """`<URN>-anything.pdf` or `anything-<URN>.pdf` (also `_` or a space); else None."""
    m = _FILE_URN.search(Path(str(source)).stem)
    return (m.group(1) or m.group(2)) if m else None


def link(db, document_id: int, urn: str, method: str, note: str = "") -> None:
    """Record that a document is this school's policy (replacing an earlier link of the document)."""
    school(db, urn)
    with write_transaction(db):  # one transaction that waits for the write lock
        db["school_documents"].upsert({"document_id": document_id, "urn": str(urn), "method": method,
                                       "note": note, "linked_at": _now()}, pk="document_id")


def mark_register_profile(db, run_ids: list[int]) -> None:
    """The runs were checked with the register's type and phase: say so on them."""
    with write_transaction(db):  # one transaction that waits for the write lock
        for run_id in run_ids:
            db.execute("update runs set profile_from = 'register' where id = ?", [run_id])


_WORDS = [(re.compile(p), r) for p, r in [
    (r"[’'`]", ""), (r"&", " and "), (r"\bsaint\b", "st"), (r"\bst\.", "st"),
    (r"\bchurch of england\b|\bc of e\b|\bcofe\b|\bc\.e\.", "ce"), (r"[^a-z0-9]+", " "),
]]


def normalise(name: str) -> str:
    text = f" {name.lower()} "
    for rx, rep in _WORDS:
        text = rx.sub(rep, text)
    return " ".join(text.split())


@dataclass
class NameMatch:
    urn: str | None  # set only when the match is certain
    name: str | None
    candidates: list[dict]  # [{urn, name}] when uncertain
    reason: str

    @property
    def certain(self) -> bool:
        return self.urn is not None


def match_title(db, document_id: int, source: str = "") -> NameMatch:
    """Find the school a document belongs to from its title block (the first clauses and
    headings): a URN stated there that is in the register, else one open school whose full name
    appears there. Several names, or only a near miss, are uncertain: candidates, no URN."""
    from toolkit.report import school_details

    head_rows = list(db.query("select text, heading_path from clauses where document_id = ? order by seq limit 25",
                              [document_id]))
    head = " | ".join([r["heading_path"] or "" for r in head_rows[:4]] + [r["text"] for r in head_rows])
    details = school_details(db, document_id, source)
    register = schools(db, status=None)
    by_urn = {s["urn"]: s for s in register}
    if details.get("urn") and details["urn"] in by_urn:
        s = by_urn[details["urn"]]
        return NameMatch(s["urn"], s["name"], [], f"URN {s['urn']} stated in the title block")
    text = f" {normalise(head)} "
    hits = [s for s in register if s["status"] == "open" and f" {normalise(s['name'])} " in text]
    # a longer name that contains a shorter one is the more specific match
    hits = [s for s in hits if not any(o is not s and normalise(s["name"]) in normalise(o["name"]) for o in hits)]
    if len(hits) == 1:
        return NameMatch(hits[0]["urn"], hits[0]["name"], [], f"name '{hits[0]['name']}' in the title block")
    if len(hits) > 1:
        return NameMatch(None, None, [{"urn": s["urn"], "name": s["name"]} for s in hits],
                         "several register names in the title block")
    stated = details["school"] if details.get("school_from_policy") else ""
    close = _near(stated, [s for s in register if s["status"] == "open"]) if stated else []
    if close:
        closed = [s for s in register if s["status"] != "open" and normalise(s["name"]) == normalise(stated)]
        note = f" ({closed[0]['name']}, {closed[0]['urn']}, is {closed[0]['status']})" if closed else ""
        return NameMatch(None, None, [{"urn": s["urn"], "name": s["name"]} for s in close],
                         f"title block names '{stated}'{note}: only near matches among open schools")
    return NameMatch(None, None, [], "no register school named in the title block"
                     + (f" (it names '{stated}')" if stated else ""))


GENERIC = set("the of and school schools primary secondary academy infant infants junior juniors high college "
              "community ce catholic rc church england free learning centre trust nursery prep preparatory "
              "special st".split())


def _distinctive(name: str) -> set[str]:
    return {w for w in normalise(name).split() if w not in GENERIC}


def _near(stated: str, candidates: list[dict], limit: int = 3) -> list[dict]:
    """Schools whose distinctive words (not 'primary', 'school' ...) are the same as or close to
    those of the stated name, closest first."""
    mine = _distinctive(stated)
    scored = []
    for s in candidates:
        theirs = _distinctive(s["name"])
        if not mine or not theirs:
            continue
        score = max(difflib.SequenceMatcher(None, a, b).ratio() for a in mine for b in theirs)
        if score >= 0.85:
            scored.append((-score, -difflib.SequenceMatcher(None, normalise(stated), normalise(s["name"])).ratio(),
                           s["urn"], s))
    return [s for *_, s in sorted(scored, key=lambda t: t[:3])[:limit]]


def links(db, urn: str | None = None) -> list[dict]:
    where, params = ("where sd.urn = ?", [urn]) if urn else ("", [])
    return list(db.query(f"""select sd.*, d.source, s.name from school_documents sd
                             join documents d on d.id = sd.document_id left join schools s on s.urn = sd.urn
                             {where} order by sd.urn, sd.document_id""", params))


# ---- used by `dipsample check` ----------------------------------------------------------------

def has_register(db) -> bool:
    return "schools" in db.table_names() and db["schools"].count > 0


def known_links(db, sources: list, urn: str | None = None) -> dict[str, dict]:
    """source -> register school for the policies whose school is known before checking: the
    --urn given, or a URN in the file name that is in the register."""
    if urn:
        if len(sources) != 1:
            raise DipsampleError("--urn links one policy to one school: give a single file")
        return {str(sources[0]): {**school(db, urn), "method": "given"}}
    if not has_register(db):
        return {}
    out = {}
    for s in sources:
        u = urn_from_filename(s)
        row = next(db["schools"].rows_where("urn = ?", [u]), None) if u else None
        if row:
            out[str(s)] = {**row, "method": "file name"}
    return out


def record_links(db, documents: list[dict], known: dict[str, dict], *, register_profile: bool) -> list[str]:
    """After checking: link each stored document to its school (known before, else by its title
    block, unless it is linked already); returns one message per document for the user."""
    messages = []
    for data in documents:
        source = str(data["source"])
        run = db["runs"].get(data["run_id"])
        doc_id = run["document_id"]
        name = Path(source).name
        if source in known:
            s = known[source]
            link(db, doc_id, s["urn"], s["method"])
            if register_profile:
                mark_register_profile(db, [data["run_id"]])
            messages.append(f"{name}: {s['name']} (URN {s['urn']}, from the {s['method'] if s['method'] != 'given' else '--urn option'}); "
                            f"checked as {run['school_type']} {run['phase']}")
            continue
        existing = next(db["school_documents"].rows_where("document_id = ?", [doc_id]), None)
        if existing:
            continue
        if not has_register(db):
            continue
        m = match_title(db, doc_id, source)
        if m.certain:
            link(db, doc_id, m.urn, "title block", m.reason)
            s = school(db, m.urn)
            msg = f"{name}: {s['name']} (URN {s['urn']}, {m.reason})"
            if (s["school_type"], s["phase"]) != (run["school_type"], run["phase"]):
                msg += (f"; note: checked as {run['school_type'] or '?'} {run['phase'] or '?'} from the policy, the "
                        f"register says {s['school_type']} {s['phase']}: check again with --urn {s['urn']} to use it")
            messages.append(msg)
        elif m.candidates:
            cands = ", ".join(f"{c['name']} ({c['urn']})" for c in m.candidates)
            messages.append(f"{name}: not linked: {m.reason}: {cands}; link it with "
                            f"`dipsample register link {name} URN`")
        else:
            messages.append(f"{name}: not linked: {m.reason}")
    return messages
