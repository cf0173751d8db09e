"""Score the matcher against gold labels: the metrics of SPEC section 3."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from toolkit.checklist import Checklist, load_checklist
from toolkit.labels import Label, load_labels
from toolkit.pipeline import CheckResult, check_file
from toolkit.policyset import SetResult, check_set

ADDRESSED = ("met", "partial")


@dataclass
class Scored:
    label: Label
    result: CheckResult | SetResult | None  # None when the document could not be read
    error: str = ""


def _norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def _f1(tp: int, fp: int, fn: int) -> float:
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return 2 * p * r / (p + r) if p + r else 0.0


def run(labels_dir: Path, docs_dir: Path, *, checklist: Checklist | None = None) -> list[Scored]:
    checklist = checklist or load_checklist()
    out = []
    for label in load_labels(labels_dir):
        school = label.school
        try:
            if label.is_set:  # a policy set: judged over its documents (toolkit.policyset)
                result = check_set([Path(docs_dir) / d for d in label.documents], checklist=checklist,
                                   as_of=label.as_of, school_type=school.get("type"), phase=school.get("phase"),
                                   name=label.document)
                out.append(Scored(label, result))
                continue
            result = check_file(Path(docs_dir) / label.document, checklist=checklist, as_of=label.as_of,
                                school_type=school.get("type"), phase=school.get("phase"))
            out.append(Scored(label, result))
        except Exception as exc:  # noqa: BLE001 - an unreadable document scores as not evaluated
            out.append(Scored(label, None, str(exc)))
    return out


def metrics(scored: list[Scored]) -> dict:
    tp = fp = fn = 0  # addressed
    mtp = mfp = mfn = 0  # missing
    correct = total = 0
    per = defaultdict(lambda: {"support": 0, "tp": 0, "fp": 0, "fn": 0, "correct": 0})
    ev_hits = ev_total = 0
    rf = {"tp": 0, "fp": 0, "fn": 0}
    od = {"tp": 0, "fp": 0, "fn": 0}
    for s in scored:
        items = s.result.match.items if s.result else {}
        for item_id, gold in s.label.items.items():
            finding = items.get(item_id)
            pred = finding.status if finding else "not-evaluated"
            st = per[item_id]
            st["support"] += 1
            total += 1
            if pred == gold.status:
                correct += 1
                st["correct"] += 1
            g_addr, p_addr = gold.status in ADDRESSED, pred in ADDRESSED
            if g_addr and p_addr:
                tp += 1; st["tp"] += 1
            elif p_addr:
                fp += 1; st["fp"] += 1
            elif g_addr:
                fn += 1; st["fn"] += 1
            if pred == "missing" and gold.status == "missing":
                mtp += 1
            elif pred == "missing":
                mfp += 1
            elif gold.status == "missing":
                mfn += 1
            if g_addr:
                quoted = " || ".join(_norm(e.text) for e in (finding.evidence if finding else []))
                for phrase in gold.evidence:
                    ev_total += 1
                    ev_hits += _norm(phrase) in quoted
        for gold_set, preds, acc in ((s.label.red_flags, s.result.match.red_flags if s.result else [], rf),
                                     (s.label.outdated, s.result.match.outdated if s.result else [], od)):
            predicted = {f.id for f in preds}
            acc["tp"] += len(predicted & gold_set)
            acc["fp"] += len(predicted - gold_set)
            acc["fn"] += len(gold_set - predicted)
    per_item = {}
    macro = []
    for item_id in sorted(per):
        st = per[item_id]
        defined = st["tp"] + st["fp"] + st["fn"] > 0
        f1 = _f1(st["tp"], st["fp"], st["fn"]) if defined else None
        if defined:
            macro.append(f1)
        per_item[item_id] = {"support": st["support"], "addressed_f1": None if f1 is None else round(f1, 4),
                             "status_accuracy": round(_ratio(st["correct"], st["support"]), 4)}
    return {
        "documents": len(scored),
        "items_scored": total,
        "addressed_f1_macro": round(sum(macro) / len(macro), 4) if macro else 0.0,
        "addressed_f1_micro": round(_f1(tp, fp, fn), 4),
        "missing_precision": round(_ratio(mtp, mtp + mfp), 4),
        "missing_recall": round(_ratio(mtp, mtp + mfn), 4),
        "status_accuracy": round(_ratio(correct, total), 4),
        "red_flag_precision": round(_ratio(rf["tp"], rf["tp"] + rf["fp"]), 4),
        "red_flag_recall": round(_ratio(rf["tp"], rf["tp"] + rf["fn"]), 4),
        "outdated_precision": round(_ratio(od["tp"], od["tp"] + od["fp"]), 4),
        "outdated_recall": round(_ratio(od["tp"], od["tp"] + od["fn"]), 4),
        "evidence_hit_rate": round(_ratio(ev_hits, ev_total), 4),
        "per_item": per_item,
    }


def evaluate(labels_dir: Path, docs_dir: Path, *, checklist: Checklist | None = None) -> dict:
    """Run the checker on every labelled document and return the SPEC metrics."""
    return metrics(run(labels_dir, docs_dir, checklist=checklist))


def disagreements(scored: list[Scored]) -> list[dict]:
    """Every scored item where the tool and the label differ: what a rule writer looks at."""
    rows = []
    for s in scored:
        items = s.result.match.items if s.result else {}
        for item_id, gold in s.label.items.items():
            f = items.get(item_id)
            pred = f.status if f else "not-evaluated"
            if pred != gold.status:
                rows.append({"document": s.label.document, "id": item_id, "gold": gold.status, "pred": pred,
                             "gold_evidence": gold.evidence,
                             "tool_evidence": [e.text for e in (f.evidence if f else [])][:2],
                             "explanation": f.explanation if f else s.error})
        if s.result:
            for kind, gold_set, preds in (("red_flag", s.label.red_flags, s.result.match.red_flags),
                                          ("outdated", s.label.outdated, s.result.match.outdated)):
                predicted = {f.id: f for f in preds}
                for x in sorted(gold_set - set(predicted)):
                    rows.append({"document": s.label.document, "id": x, "gold": "present", "pred": "absent"})
                for x in sorted(set(predicted) - gold_set):
                    rows.append({"document": s.label.document, "id": x, "gold": "absent", "pred": "present",
                                 "tool_evidence": [e.text for e in predicted[x].evidence][:2]})
    return rows
