"""Scoring against gold labels (SPEC section 3), on hand-computed cases."""

import json

import pytest
from click.testing import CliRunner

from toolkit.cli import cli
from toolkit.evaluate import Scored, metrics
from toolkit.labels import GoldItem, Label
from toolkit.match import Evidence, Finding, Match

from conftest import AS_OF, CORPUS

SPEC_KEYS = {"documents", "items_scored", "addressed_f1_macro", "addressed_f1_micro", "missing_precision",
             "missing_recall", "status_accuracy", "red_flag_precision", "red_flag_recall", "outdated_precision",
             "outdated_recall", "evidence_hit_rate", "per_item"}


class FakeResult:
    def __init__(self, items, flags=(), old=()):
        mk = lambda i, k: Finding(i, k, "present", 1.0)  # noqa: E731
        self.match = Match(items, [mk(i, "red_flag") for i in flags], [mk(i, "outdated") for i in old])


def finding(status, *quotes):
    return Finding("X", "item", status, 0.9, [Evidence("c1", q, 1) for q in quotes])


def label(items, flags=(), old=()):
    return Label(None, "d.pdf", {}, AS_OF, items, set(flags), set(old))


def test_hand_computed_metrics():
    gold = label({"A-1": GoldItem("met", ["self-discipline"]), "A-2": GoldItem("missing"),
                  "A-3": GoldItem("partial"), "A-4": GoldItem("n/a"), "A-5": GoldItem("missing")},
                 flags=["RF-01", "RF-02"], old=["OUT-01"])
    pred = FakeResult({"A-1": finding("met", "We build Self-Discipline daily."), "A-2": finding("missing"),
                       "A-3": finding("met"), "A-4": finding("missing"), "A-5": finding("partial")},
                      flags=["RF-01", "RF-09"], old=["OUT-01"])
    m = metrics([Scored(gold, pred)])
    assert m["items_scored"] == 5
    assert m["status_accuracy"] == pytest.approx(2 / 5)
    # addressed: tp; fp A-5; fn none -> P 2/3, R 1
    assert m["addressed_f1_micro"] == pytest.approx(0.8)
    # missing predicted: A-2 (right), A-4 (gold n/a: wrong); gold missing A-2, A-5 -> P 1/2, R 1/2
    assert m["missing_precision"] == pytest.approx(0.5) and m["missing_recall"] == pytest.approx(0.5)
    assert m["red_flag_precision"] == 0.5 and m["red_flag_recall"] == 0.5
    assert m["outdated_precision"] == 1.0 and m["outdated_recall"] == 1.0
    assert m["evidence_hit_rate"] == 1.0  # case-insensitive phrase inside the quoted clause
    assert m["per_item"]["A-3"] == {"support": 1, "addressed_f1": 1.0, "status_accuracy": 0.0}


def test_not_evaluated_is_never_correct():
    gold = label({"A-1": GoldItem("met", ["x"]), "A-2": GoldItem("missing")})
    m = metrics([Scored(gold, None, "unreadable")])
    assert m["status_accuracy"] == 0 and m["missing_recall"] == 0 and m["addressed_f1_micro"] == 0
    assert m["evidence_hit_rate"] == 0


def test_eval_command_prints_the_spec_metrics_object():
    r = CliRunner().invoke(cli, ["eval", str(CORPUS / "labels"), "--docs", str(CORPUS), "--json"])
    assert r.exit_code == 0, r.output
    m = json.loads(r.stdout)
    assert set(m) >= SPEC_KEYS
    assert m["documents"] == len(list((CORPUS / "labels").glob("*.yaml")))
    assert m["items_scored"] >= 12 * 60
