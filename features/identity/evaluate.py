"""Accuracy of a clustering against true person ids: pairwise and B-cubed precision and recall.

Pairwise: of all record pairs put in one cluster, the share that are one true person (precision),
and of all true same-person pairs, the share put in one cluster (recall). B-cubed (Bagga &
Baldwin 1998, "Entity-based cross-document coreferencing using the vector space model"): per
record, the share of its cluster that is its person (precision) and the share of its person that
is in its cluster (recall), averaged over records; large clusters weigh less than pairwise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Accuracy:
    """Pairwise and B-cubed precision and recall, with the counts behind the pairwise figures."""

    pairwise_precision: float
    pairwise_recall: float
    bcubed_precision: float
    bcubed_recall: float
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def accuracy(truth: pd.Series | np.ndarray, predicted: pd.Series | np.ndarray) -> Accuracy:
    """Compare a predicted cluster label per record with the true entity label per record."""
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    if truth.shape != predicted.shape or truth.ndim != 1:
        raise ValueError(f"truth and predicted need one label per record each; got shapes "
                         f"{truth.shape} and {predicted.shape}")
    if len(truth) == 0:
        raise ValueError("no records to evaluate")
    labels = pd.DataFrame({"truth": pd.factorize(truth)[0], "predicted": pd.factorize(predicted)[0]})
    joint = labels.groupby(["truth", "predicted"]).size().rename("both")
    truth_size = labels.groupby("truth").size().rename("truth_size")
    predicted_size = labels.groupby("predicted").size().rename("predicted_size")
    cells = joint.reset_index().join(truth_size, on="truth").join(predicted_size, on="predicted")
    correct, true_pairs, predicted_pairs = _pairs(cells["both"]), _pairs(truth_size), _pairs(predicted_size)
    n = len(labels)
    both = cells["both"].to_numpy(dtype=float)
    return Accuracy(
        pairwise_precision=correct / predicted_pairs if predicted_pairs else 1.0,
        pairwise_recall=correct / true_pairs if true_pairs else 1.0,
        bcubed_precision=float((both**2 / cells["predicted_size"]).sum() / n),
        bcubed_recall=float((both**2 / cells["truth_size"]).sum() / n),
        predicted_pairs=predicted_pairs,
        true_pairs=true_pairs,
        correct_pairs=correct,
    )


def _pairs(sizes: pd.Series) -> int:
    s = sizes.to_numpy(dtype=np.int64)
    return int((s * (s - 1) // 2).sum())
