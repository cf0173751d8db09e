"""Checklists as data: load, validate (clear errors naming file, item and field) and overlay.

A bundled checklist is a folder under `checklists/` whose `checklist.yaml` holds the name, version,
effective date and sources, and whose other YAML files hold `items`, `red_flags` and `outdated`.
A local overlay is one YAML file with `extends: <name>` that adds items or overrides fields of
existing ones (for example `remedy` or `priority`), without copying the national file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from toolkit.errors import ChecklistError
from toolkit.patterns import PatternError, PatternSet
from toolkit.resources import checklists_dir

SCHOOL_TYPES = ("maintained", "academy", "independent")
PHASES = ("primary", "secondary", "all-through", "special", "ap")
BASES = ("statutory", "advisory", "local")
DEFAULT_CHECKLIST = "national"


@dataclass
class Element:
    name: str
    any: list  # pattern strings, or lists of patterns that must all hit in one clause
    context: list = field(default_factory=list)  # clause, lead-in or heading must match one
    negation: str = "allow"  # allow | reject (hits in a negated scope do not count)
    core: bool = False  # met is impossible without this element, however many others are found
    exclude: list = field(default_factory=list)  # a clause matching one of these never counts


@dataclass
class Item:
    id: str
    title: str
    area: str
    requirement: str
    basis: str
    citation: str
    remedy: str
    elements: list[Element]
    applies: list[str] = field(default_factory=lambda: list(SCHOOL_TYPES))
    phases: list[str] = field(default_factory=lambda: list(PHASES))
    used: list = field(default_factory=list)  # if-used: the practice is used
    not_used: list = field(default_factory=list)  # if-used: the policy says it is not used
    used_exclude: list = field(default_factory=list)  # clauses that never show the practice is used
    if_used: bool = False
    met: int | None = None  # elements needed for met (default all)
    partial: int = 1  # elements needed for partial
    caps: list = field(default_factory=list)  # any hit caps the status at partial
    sections: list = field(default_factory=list)  # heading words where this topic usually lives
    priority: str = ""  # "local" items are shown first in reports


@dataclass
class Marker:
    """A red flag or an outdated marker: present when any rule fires."""

    id: str
    kind: str  # red_flag | outdated
    title: str
    basis: str
    any: list
    remedy: str = ""
    replaced_by: str = ""
    context: list = field(default_factory=list)
    negation: str = "reject"
    check: str = ""  # a computed check instead of rules (e.g. "review_date")
    active_from: dt.date | None = None  # only outdated when judged on or after this date
    exclude: list = field(default_factory=list)  # a clause that matches one of these never counts
    applies: list[str] = field(default_factory=lambda: list(SCHOOL_TYPES))
    dated: list = field(default_factory=list)  # [{active_from: date, any: [...]}]: rules that count from a date


@dataclass
class Checklist:
    name: str
    version: str
    effective: dt.date
    title: str = ""
    sources: dict = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    red_flags: list[Marker] = field(default_factory=list)
    outdated: list[Marker] = field(default_factory=list)
    overlays: list[str] = field(default_factory=list)
    digest: str = ""  # changes whenever any rule file changes: stored findings are keyed on it
    loaded_from: str = ""  # the name or path given to load_checklist (worker processes reload it)
    _patterns: PatternSet | None = None

    def item(self, item_id: str) -> Item | Marker:
        for x in [*self.items, *self.red_flags, *self.outdated]:
            if x.id == item_id:
                return x
        raise KeyError(item_id)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}" + "".join(f" + {o}" for o in self.overlays)

    @property
    def fingerprint(self) -> str:
        return f"{self.label} #{self.digest[:12]}"

    def patterns(self) -> PatternSet:
        """Compile every rule once; checklist errors name the item."""
        if self._patterns is None:
            ps = PatternSet()
            for owner in [*self.items, *self.red_flags, *self.outdated]:
                try:
                    for entry in _all_entries(owner):
                        for p in entry if isinstance(entry, list) else [entry]:
                            ps.add(p)
                except PatternError as exc:
                    raise ChecklistError(f"checklist {self.name}: {owner.id}: {exc}") from exc
            self._patterns = ps
        return self._patterns


def _all_entries(owner) -> list:
    if isinstance(owner, Item):
        out = [*owner.used, *owner.not_used, *owner.used_exclude, *owner.caps, *owner.sections]
        for el in owner.elements:
            out += [*el.any, *el.context, *el.exclude]
        return out
    return [*owner.any, *owner.context, *owner.exclude, *(e for d in owner.dated for e in d["any"])]


# ---------------------------------------------------------------- validation

class _Where:
    def __init__(self, path: Path, ident: str = ""):
        self.path, self.ident = path, ident

    def fail(self, fld: str, msg: str):
        where = f"{self.path.name}: {self.ident}: " if self.ident else f"{self.path.name}: "
        raise ChecklistError(f"{where}field '{fld}': {msg}")


def _req(d: dict, key: str, where: _Where, kind=str):
    if key not in d or d[key] in (None, ""):
        where.fail(key, "is required")
    if not isinstance(d[key], kind):
        where.fail(key, f"must be a {kind.__name__ if isinstance(kind, type) else 'list'}")
    return d[key]


def _rules(d: dict, key: str, where: _Where, required=False) -> list:
    value = d.get(key, [])
    if required and not value:
        where.fail(key, "needs at least one pattern")
    if not isinstance(value, list):
        where.fail(key, "must be a list of patterns")
    for entry in value:
        parts = entry if isinstance(entry, list) else [entry]
        if not parts or not all(isinstance(p, str) and p.strip() for p in parts):
            where.fail(key, f"entries must be pattern strings or lists of them, got {entry!r}")
    return value


_ITEM_FIELDS = {"id", "title", "area", "requirement", "basis", "citation", "remedy", "elements",
                "applies", "phases", "if_used", "used", "not_used", "used_exclude", "met", "partial", "caps",
                "sections", "priority"}
_MARKER_FIELDS = {"id", "title", "basis", "any", "remedy", "replaced_by", "context", "negation",
                  "check", "active_from", "exclude", "applies", "dated"}


def parse_item(d: dict, path: Path) -> Item:
    where = _Where(path, str(d.get("id", "?")))
    unknown = set(d) - _ITEM_FIELDS
    if unknown:
        where.fail(sorted(unknown)[0], "is not a known item field")
    item_id = _req(d, "id", where)
    if d.get("basis") not in BASES:
        where.fail("basis", f"must be one of {', '.join(BASES)}")
    applies = d.get("applies", list(SCHOOL_TYPES))
    if not isinstance(applies, list) or any(a not in SCHOOL_TYPES for a in applies):
        where.fail("applies", f"must be a list of {', '.join(SCHOOL_TYPES)}")
    phases = d.get("phases", list(PHASES))
    if not isinstance(phases, list) or any(p not in PHASES for p in phases):
        where.fail("phases", f"must be a list of {', '.join(PHASES)}")
    elements = []
    raw_elements = _req(d, "elements", where, list)
    for i, e in enumerate(raw_elements):
        if not isinstance(e, dict):
            where.fail(f"elements[{i}]", "must be a mapping with name and any")
        ew = _Where(path, f"{item_id} element {e.get('name', i)}")
        if e.get("negation", "allow") not in ("allow", "reject"):
            ew.fail("negation", "must be allow or reject")
        unknown_el = set(e) - {"name", "any", "context", "negation", "core", "exclude"}
        if unknown_el:
            ew.fail(sorted(unknown_el)[0], "is not a known element field")
        elements.append(Element(name=_req(e, "name", ew), any=_rules(e, "any", ew, required=True),
                                context=_rules(e, "context", ew), negation=e.get("negation", "allow"),
                                core=bool(e.get("core", False)), exclude=_rules(e, "exclude", ew)))
    met = d.get("met")
    if met is not None and not (isinstance(met, int) and 1 <= met <= len(elements)):
        where.fail("met", f"must be a number from 1 to {len(elements)}")
    if_used = bool(d.get("if_used", False))
    if if_used and not d.get("used") and not d.get("not_used"):
        where.fail("used", "an if_used item needs 'used' or 'not_used' patterns")
    return Item(
        id=item_id, title=_req(d, "title", where), area=d.get("area") or item_id.split("-")[0],
        requirement=_req(d, "requirement", where), basis=d["basis"], citation=_req(d, "citation", where),
        remedy=_req(d, "remedy", where), elements=elements, applies=applies, phases=phases,
        if_used=if_used, used=_rules(d, "used", where), not_used=_rules(d, "not_used", where),
        used_exclude=_rules(d, "used_exclude", where),
        met=met, partial=int(d.get("partial", 1)), caps=_rules(d, "caps", where),
        sections=_rules(d, "sections", where), priority=str(d.get("priority", "")))


def parse_marker(d: dict, kind: str, path: Path) -> Marker:
    where = _Where(path, str(d.get("id", "?")))
    unknown = set(d) - _MARKER_FIELDS
    if unknown:
        where.fail(sorted(unknown)[0], f"is not a known {kind.replace('_', ' ')} field")
    check = d.get("check", "")
    if check not in ("", "review_date"):
        where.fail("check", "must be review_date when given")
    active = d.get("active_from")
    if active is not None and not isinstance(active, dt.date):
        where.fail("active_from", "must be a date (YYYY-MM-DD)")
    if d.get("negation", "reject") not in ("allow", "reject"):
        where.fail("negation", "must be allow or reject")
    applies = d.get("applies", list(SCHOOL_TYPES))
    if not isinstance(applies, list) or any(a not in SCHOOL_TYPES for a in applies):
        where.fail("applies", f"must be a list of {', '.join(SCHOOL_TYPES)}")
    dated = d.get("dated") or []
    if not isinstance(dated, list):
        where.fail("dated", "must be a list of {active_from, any}")
    for n, block in enumerate(dated):
        if not isinstance(block, dict) or not isinstance(block.get("active_from"), dt.date):
            where.fail(f"dated[{n}].active_from", "must be a date (YYYY-MM-DD)")
        _rules(block, "any", _Where(path, f"{d.get('id', '?')} dated[{n}]"), required=True)
    return Marker(
        id=_req(d, "id", where), kind=kind, title=_req(d, "title", where), basis=d.get("basis", ""),
        any=_rules(d, "any", where, required=not check and not dated), remedy=d.get("remedy", ""),
        applies=applies, dated=dated,
        replaced_by=d.get("replaced_by", ""), context=_rules(d, "context", where),
        negation=d.get("negation", "reject"), check=check, active_from=active,
        exclude=_rules(d, "exclude", where))


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ChecklistError(f"{path.name}: not valid YAML ({exc})") from exc
    except OSError as exc:
        raise ChecklistError(f"{path}: cannot read ({exc.strerror})") from exc
    if not isinstance(data, dict):
        raise ChecklistError(f"{path.name}: must be a mapping with items, red_flags or outdated")
    return data


def _add_entries(cl: Checklist, data: dict, path: Path, *, overlay: bool) -> None:
    known = {x.id: x for x in [*cl.items, *cl.red_flags, *cl.outdated]}
    for key, kind in (("items", "item"), ("red_flags", "red_flag"), ("outdated", "outdated")):
        entries = data.get(key) or []
        if not isinstance(entries, list):
            raise ChecklistError(f"{path.name}: field '{key}': must be a list")
        target = {"items": cl.items, "red_flags": cl.red_flags, "outdated": cl.outdated}[key]
        for d in entries:
            if not isinstance(d, dict) or "id" not in d:
                raise ChecklistError(f"{path.name}: field '{key}': every entry needs an id")
            if d["id"] in known:
                if not overlay:
                    raise ChecklistError(f"{path.name}: {d['id']}: field 'id': defined twice")
                _override(known[d["id"]], d, path)
                continue
            entry = parse_item(d, path) if kind == "item" else parse_marker(d, kind, path)
            target.append(entry)
            known[entry.id] = entry


def _override(existing, d: dict, path: Path) -> None:
    allowed = {"title", "requirement", "remedy", "priority", "citation"}
    for k, v in d.items():
        if k == "id":
            continue
        if k not in allowed:
            raise ChecklistError(f"{path.name}: {d['id']}: field '{k}': an overlay may only change "
                                 f"{', '.join(sorted(allowed))} of a national entry")
        if hasattr(existing, k):
            setattr(existing, k, v)


def _load_folder(folder: Path) -> Checklist:
    meta_path = folder / "checklist.yaml"
    if not meta_path.exists():
        raise ChecklistError(f"{folder}: no checklist.yaml")
    meta = _read_yaml(meta_path)
    where = _Where(meta_path)
    effective = meta.get("effective")
    if not isinstance(effective, dt.date):
        where.fail("effective", "must be a date (YYYY-MM-DD)")
    cl = Checklist(name=_req(meta, "name", where), version=str(_req(meta, "version", where)),
                   effective=effective, title=meta.get("title", ""), sources=meta.get("sources") or {})
    _add_entries(cl, meta, meta_path, overlay=False)
    digest = hashlib.sha256(meta_path.read_bytes())
    for path in sorted(folder.glob("*.yaml")):
        if path.name != "checklist.yaml":
            _add_entries(cl, _read_yaml(path), path, overlay=False)
            digest.update(path.read_bytes())
    cl.digest = digest.hexdigest()
    return cl


def available() -> list[str]:
    return sorted(p.name for p in checklists_dir().iterdir() if (p / "checklist.yaml").exists())


def load_checklist(name: str | Path = DEFAULT_CHECKLIST) -> Checklist:
    """Load a bundled checklist by name, a checklist folder, or an overlay file (`extends:`)."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml"):
        if not path.exists():
            raise ChecklistError(f"{path}: no such checklist file")
        data = _read_yaml(path)
        base = data.get("extends")
        if not base:
            raise ChecklistError(f"{path.name}: field 'extends': an overlay names the checklist it extends")
        cl = load_checklist(base)
        _add_entries(cl, data, path, overlay=True)
        cl._patterns = None  # compile (and so validate) the overlay's rules too
        cl.digest = hashlib.sha256(cl.digest.encode() + path.read_bytes()).hexdigest()
        cl.overlays.append(f"{data.get('name', path.stem)} {data.get('version', '')}".strip())
        cl.patterns()
        cl.loaded_from = str(name)
        return cl
    folder = path if path.is_dir() else checklists_dir() / str(name)
    if not folder.is_dir():
        raise ChecklistError(f"unknown checklist '{name}' (available: {', '.join(available())})")
    cl = _load_folder(folder)
    cl.patterns()
    cl.loaded_from = str(name)
    return cl
