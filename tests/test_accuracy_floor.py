"""Accuracy never silently regresses: the project corpus must stay at or above these floors.

Raise a floor when the matcher improves; never lower one without saying why in the commit.
"""

import pytest

from toolkit.evaluate import evaluate

from conftest import CORPUS

FLOORS = {
    "addressed_f1_macro": 0.98,
    "missing_recall": 0.97,
    "missing_precision": 0.97,
    "status_accuracy": 0.99,
    "red_flag_precision": 0.95,
    "red_flag_recall": 0.93,
    "outdated_precision": 0.95,
    "outdated_recall": 0.95,
    "evidence_hit_rate": 0.98,
}


@pytest.fixture(scope="module")
def corpus_metrics(national):
    return evaluate(CORPUS / "labels", CORPUS, checklist=national)


@pytest.mark.parametrize("metric", FLOORS)
def test_corpus_metric_floor(corpus_metrics, metric):
    assert corpus_metrics[metric] >= FLOORS[metric], f"{metric} fell to {corpus_metrics[metric]}"


def test_corpus_covers_every_item(corpus_metrics):
    assert corpus_metrics["documents"] >= 12
    assert len(corpus_metrics["per_item"]) == 65
