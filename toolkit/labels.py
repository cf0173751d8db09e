"""Gold labels (SPEC section 2): one YAML file per document."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from toolkit.errors import LabelError

STATUSES = ("met", "partial", "missing", "n/a")


@dataclass
class GoldItem:
    status: str
    evidence: list[str] = field(default_factory=list)


@dataclass
class Label:
    path: Path
    document: str
    school: dict
    as_of: dt.date
    items: dict[str, GoldItem]
    red_flags: set[str]
    outdated: set[str]


def load_label(path: Path) -> Label:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LabelError(f"{path.name}: cannot read labels ({exc})") from exc
    if not isinstance(data, dict) or "document" not in data:
        raise LabelError(f"{path.name}: field 'document': is required")
    items = {}
    for item_id, v in (data.get("items") or {}).items():
        status, evidence = (v, []) if isinstance(v, str) else (v.get("status"), v.get("evidence") or [])
        if status not in STATUSES:
            raise LabelError(f"{path.name}: {item_id}: field 'status': must be one of {', '.join(STATUSES)}")
        items[item_id] = GoldItem(status, [str(e) for e in evidence])
    as_of = data.get("as_of")
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    if not isinstance(as_of, dt.date):
        raise LabelError(f"{path.name}: field 'as_of': must be a date (YYYY-MM-DD)")
    return Label(path, data["document"], data.get("school") or {}, as_of, items,
                 set(data.get("red_flags") or []), set(data.get("outdated") or []))


def load_labels(folder: Path) -> list[Label]:
    folder = Path(folder)
    if not folder.is_dir():
        raise LabelError(f"{folder}: no such labels folder")
    labels = [load_label(p) for p in sorted(folder.glob("*.y*ml"))]
    if not labels:
        raise LabelError(f"{folder}: no label files (*.yaml)")
    return labels
