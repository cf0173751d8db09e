"""Drawing a dip sample from the school register: reproducible stratified random sampling
(proportional allocation, largest-remainder rounding, at least one school per non-empty stratum
when the size allows), optionally weighted by a register column for risk-based sampling, and
recorded in the database with its seed, method, parameters and rationale."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import secrets
from collections import Counter
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

from toolkit.errors import DipsampleError
from toolkit.register import schools
from toolkit.store import _now, write_transaction

DEFAULT_STRATA = ("phase", "type")
_COLUMN_ALIASES = {"type": "school_type", "school_type": "school_type", "phase": "phase", "la": "la",
                   "special": "special", "ap": "ap", "pupils": "pupils"}


class SampleError(DipsampleError):
    """A sample that cannot be drawn (empty register, unknown column, size too large)."""


@dataclass
class Sample:
    id: int
    sample_date: str
    seed: int
    method: str
    parameters: dict
    rationale: str
    schools: list[dict] = field(default_factory=list)  # urn, name, phase, school_type, stratum, reason

    def to_json(self) -> dict:
        return asdict(self)


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Split a sample of n over strata in proportion to their sizes: each stratum gets the whole
    part of its quota n*N_h/N, the units left go to the largest remainders (ties: the larger
    stratum, then the stratum key). When n is at least the number of non-empty strata, a stratum
    left with none takes one from the stratum most over its quota that has more than one."""
    strata = {k: v for k, v in sizes.items() if v > 0}
    total = sum(strata.values())
    if n > total:
        raise SampleError(f"a sample of {n} is larger than the {total} schools to draw from")
    if not strata or n <= 0:
        return {k: 0 for k in sizes}
    quota = {k: Fraction(n * v, total) for k, v in strata.items()}
    alloc = {k: int(q) for k, q in quota.items()}
    left = n - sum(alloc.values())
    for k in sorted(strata, key=lambda k: (-(quota[k] - alloc[k]), -strata[k], k))[:left]:
        alloc[k] += 1
    if n >= len(strata):
        for k in sorted((k for k in strata if alloc[k] == 0), key=lambda k: (-quota[k], k)):
            donor = max((d for d in strata if alloc[d] > 1), key=lambda d: (alloc[d] - quota[d], strata[d], d))
            alloc[donor] -= 1
            alloc[k] += 1
    return {k: alloc.get(k, 0) for k in sizes}


def _value(school: dict, column: str):
    col = _COLUMN_ALIASES.get(column.lower())
    if col:
        return school[col]
    data = json.loads(school["data"] or "{}")
    if column in data:
        return data[column]
    raise SampleError(f"no register column '{column}' (use phase, type, la, special, ap, pupils or a column "
                      f"of the imported CSV, e.g. 'NumberOfPupils')")


def _weight(school: dict, column: str) -> float:
    v = _value(school, column)
    try:
        w = float(str(v).replace(",", "")) if v not in (None, "") else 0.0
    except ValueError:
        raise SampleError(f"URN {school['urn']}: weight column '{column}' holds '{v}', not a number") from None
    return max(w, 0.0)


def _years_before(day: dt.date, years: float) -> dt.date:
    return day - dt.timedelta(days=round(365.25 * years))


def register_fingerprint(rows: list[dict]) -> str:
    text = json.dumps([[r["urn"], r["name"], r["school_type"], r["phase"], r["status"], r["data"]] for r in rows])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def draw(db, size: int, *, strata: list[str] | tuple[str, ...] = DEFAULT_STRATA, seed: int | None = None,
         exclude_sampled_within: float | None = None, include: list[str] = (), weight: str | None = None,
         rationale: str = "", sample_date: dt.date | None = None, record: bool = True) -> Sample:
    """Draw (and record) a sample of `size` open schools. Schools named in `include` are taken
    first and count towards the size; the rest are drawn from the remaining open schools (less
    those sampled within `exclude_sampled_within` years of the sample date), allocated to strata
    in proportion to their sizes. Within a stratum schools are drawn at random, or with
    probability proportional to `weight` (sequential weighted sampling without replacement,
    Efraimidis-Spirakis keys). The same seed and register give the same sample."""
    sample_date = sample_date or dt.date.today()
    seed = secrets.randbelow(10**6) if seed is None else int(seed)
    strata = [s.strip() for s in strata if s and s.strip() and s.strip().lower() != "none"]
    everyone = schools(db, status=None)
    population = [s for s in everyone if s["status"] == "open"]
    if not population:
        raise SampleError("no open schools in the register: import one with `dipsample register import FILE.csv`")
    by_urn = {s["urn"]: s for s in everyone}
    included = []
    for urn in dict.fromkeys(str(u).strip() for u in include):
        if urn not in by_urn:
            raise SampleError(f"--include {urn}: not in the register")
        if by_urn[urn]["status"] != "open":
            raise SampleError(f"--include {urn}: {by_urn[urn]['name']} is {by_urn[urn]['status']}")
        included.append(by_urn[urn])
    if len(included) > size:
        raise SampleError(f"{len(included)} schools are included by name but the sample size is {size}")
    excluded: set[str] = set()
    if exclude_sampled_within:
        since = _years_before(sample_date, exclude_sampled_within).isoformat()
        excluded = {r["urn"] for r in db.query(
            "select ss.urn from sample_schools ss join samples s on s.id = ss.sample_id "
            "where s.sample_date > ? and s.sample_date <= ?", [since, sample_date.isoformat()])}
    chosen = {s["urn"] for s in included}
    eligible = [s for s in population if s["urn"] not in excluded and s["urn"] not in chosen]

    def key(s):
        return " / ".join(str(_value(s, c)) for c in strata) if strata else "all"

    groups: dict[str, list[dict]] = {}
    for s in sorted(eligible, key=lambda s: s["urn"]):
        groups.setdefault(key(s), []).append(s)
    groups = dict(sorted(groups.items()))
    n = size - len(included)
    alloc = allocate({k: len(v) for k, v in groups.items()}, n)
    rng = random.Random(seed)
    picked = [{**s, "stratum": key(s), "reason": "included"} for s in included]
    for k, members in groups.items():
        m = alloc[k]
        if weight:
            keyed = sorted(((rng.random() ** (1 / w) if (w := _weight(s, weight)) > 0 else -rng.random(), s)
                            for s in members), key=lambda t: -t[0])
            chosen_here = [s for _, s in keyed[:m]]
        else:
            chosen_here = rng.sample(members, m)
        picked += [{**s, "stratum": k, "reason": "drawn"} for s in sorted(chosen_here, key=lambda s: s["urn"])]
    method = ("stratified random sample by " + ", ".join(strata) if strata else "simple random sample") + \
        (", proportional allocation (largest remainder, at least one per stratum)" if strata else "") + \
        (f", probability proportional to {weight}" if weight else "")
    params = {
        "size": size, "strata": strata, "exclude_sampled_within_years": exclude_sampled_within,
        "include": [s["urn"] for s in included], "weight": weight, "population": len(population),
        "excluded_recently_sampled": len(excluded & {s["urn"] for s in population}), "eligible": len(eligible),
        "strata_sizes": {k: len(v) for k, v in groups.items()}, "allocation": alloc,
        "register": register_fingerprint(everyone), "tool": "dipsample sampling v1",
    }
    sample = Sample(0, sample_date.isoformat(), seed, method, params, rationale,
                    [{k: s[k] for k in ("urn", "name", "phase", "school_type", "stratum", "reason")} for s in picked])
    if record:
        with write_transaction(db):  # one transaction that waits for the write lock
            sample.id = db["samples"].insert({
                "sample_date": sample.sample_date, "created_at": _now(), "seed": seed, "method": method,
                "parameters": json.dumps(params), "rationale": rationale, "size": size}).last_pk
            db["sample_schools"].insert_all([{"sample_id": sample.id, "urn": s["urn"], "stratum": s["stratum"],
                                              "reason": s["reason"], "position": i}
                                             for i, s in enumerate(sample.schools)])
    return sample


def get(db, sample_id: int) -> Sample:
    row = next(db["samples"].rows_where("id = ?", [sample_id]), None)
    if row is None:
        raise SampleError(f"no sample {sample_id} (see `dipsample sample list`)")
    members = list(db.query("""select ss.urn, coalesce(s.name, '(not in register)') as name, s.phase, s.school_type,
                                      ss.stratum, ss.reason
                               from sample_schools ss left join schools s on s.urn = ss.urn
                               where ss.sample_id = ? order by ss.position""", [sample_id]))
    return Sample(row["id"], row["sample_date"], row["seed"], row["method"], json.loads(row["parameters"]),
                  row["rationale"] or "", members)


def list_samples(db) -> list[dict]:
    return list(db.query("""select s.id, s.sample_date, s.size, s.seed, s.method, s.rationale,
                                   count(ss.urn) as schools
                            from samples s left join sample_schools ss on ss.sample_id = s.id
                            group by s.id order by s.id"""))


def school_policy(db, urn: str) -> dict | None:
    """The latest run of the latest document linked to the school, if any (a school checked as a
    policy set: see `school_set`)."""
    return next(db.query("""select r.id as run_id, d.id as document_id, d.source, r.as_of
                            from school_documents sd join documents d on d.id = sd.document_id
                            join runs r on r.document_id = d.id where sd.urn = ?
                            order by r.id desc limit 1""", [urn]), None)


def school_set(db, urn: str, *, start: dt.date | None = None, end: dt.date | None = None) -> int | None:
    """The school's latest stored policy set run (by URN), if any; with `start` and `end`, the
    latest one whose as-of date falls between them. A school checked as a set is judged on it."""
    if not urn or "set_runs" not in db.table_names():
        return None
    where, params = "urn = ?", [urn]
    if start and end:
        where, params = where + " and as_of between ? and ?", params + [start.isoformat(), end.isoformat()]
    row = next(db.query(f"select max(id) as id from set_runs where {where} having max(id) is not null", params), None)
    return row["id"] if row else None


def set_documents(db, set_run_id: int) -> list[dict]:
    """The documents of a set that were stored (read, or a copy read once): document id, name,
    source (as stored) and run, in the set's order, each document once."""
    rows = db.query("""select sd.document_id, sd.name, sd.run_id, sd.role, d.source from set_documents sd
                       join documents d on d.id = sd.document_id
                       where sd.set_run_id = ? and sd.role != 'unreadable' and sd.run_id is not null
                       order by sd.position""", [set_run_id])
    out: dict[int, dict] = {}
    for r in rows:
        out.setdefault(r["document_id"], r)
    return list(out.values())


def run_results(db, run_id: int) -> dict:
    """Counts from a run with current (reviewed) statuses."""
    counts = Counter()
    flags = outdated = reviewed = 0
    for f in db.query("select kind, status, reviewed_by from current_findings where run_id = ?", [run_id]):
        if f["kind"] == "item":
            counts[f["status"]] += 1
        elif f["status"] != "dismissed":
            flags += f["kind"] == "red_flag"
            outdated += f["kind"] == "outdated"
        reviewed += f["reviewed_by"] is not None
    return {"met": counts["met"], "partial": counts["partial"], "missing": counts["missing"],
            "n/a": counts["n/a"], "not-evaluated": counts["not-evaluated"], "red_flags": flags,
            "outdated": outdated, "decided": reviewed}


def set_results(db, set_run_id: int) -> dict:
    """Counts over a policy set with reviewers' decisions carried in as the set report does
    (`toolkit.report.reviewed_set`): item statuses over the set, red flags and outdated markers
    (one per marker over its documents, dismissed ones left out) and the findings decided in its
    documents."""
    from toolkit.report import reviewed_set

    data = reviewed_set(db, set_run_id)
    counts = Counter(f["status"] for f in data["items"].values())
    decided = sum(run_results(db, d["run_id"])["decided"] for d in set_documents(db, set_run_id))
    return {"met": counts["met"], "partial": counts["partial"], "missing": counts["missing"],
            "n/a": counts["n/a"], "not-evaluated": counts["not-evaluated"], "red_flags": len(data["red_flags"]),
            "outdated": len(data["outdated"]), "decided": decided}


def status(db, sample_id: int) -> dict:
    """Per school of the sample: policy received (a linked document), checked, review progress
    (findings decided, findings waiting in the review queue) and key results. A school whose
    policies were checked as a set (`check --school URN`) is shown by its latest set: results over
    the set, its documents' review progress, "set of N policies"."""
    from toolkit import review

    sample = get(db, sample_id)
    waiting = Counter(e.document for e in review.queue(db))
    rows = []
    for s in sample.schools:
        set_id = school_set(db, s["urn"])
        policy = school_policy(db, s["urn"])
        received = policy is not None or set_id is not None
        row = {**s, "received": received, "checked": received, "document": None, "documents": [],
               "run_id": None, "set_run_id": None, "as_of": None, "to_review": 0}
        if set_id is not None:
            docs = set_documents(db, set_id)
            row.update(document=f"set of {len(docs)} polic{'y' if len(docs) == 1 else 'ies'}",
                       documents=[d["name"] for d in docs], set_run_id=set_id,
                       as_of=db["set_runs"].get(set_id)["as_of"],
                       to_review=sum(waiting.get(d["source"], 0) for d in docs), **set_results(db, set_id))
        elif policy:
            res = run_results(db, policy["run_id"])
            row.update(document=Path(policy["source"]).name, documents=[Path(policy["source"]).name],
                       run_id=policy["run_id"], as_of=policy["as_of"],
                       to_review=waiting.get(policy["source"], 0), **res)
        rows.append(row)
    return {"sample": sample.to_json(), "schools": rows,
            "received": sum(r["received"] for r in rows), "checked": sum(r["checked"] for r in rows),
            "decided": sum(r.get("decided", 0) for r in rows), "to_review": sum(r["to_review"] for r in rows)}
