"""The task registry: what each of the four models predicts, from what, and how it is judged.

One record per task, read by the models, the job, tuning, evaluation, promotion, tracking,
packaging and the report, so a task's name, registered model, label, LightGBM objective and
offset, selection metric and output columns are written down here and nowhere else. The name is
the one used everywhere: the validation table, tuning parameters, the champion set's tags, the
bundle's attribute (`CustomerModels.next_purchase`) and `Base.model_name`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    """One model of a customer base and how it is trained, judged and served."""

    name: str
    registered_name: str
    """The registered MLflow model in the default base (others prefix it, see `training.bases`)."""
    description: str
    outputs: tuple[str, ...]
    """The columns of `training.predict.score` this task's model answers (the pyfunc model's output)."""
    metric: str
    """The validation metric that picks the candidate and decides promotion."""
    higher_is_better: bool
    label: str | None = None
    """The label column (see `features.pipeline.labels`); None for the unsupervised segments."""
    objective: str | None = None
    """LightGBM's objective for the task's boosted model."""
    offset: str | None = None
    """The baseline column boosting starts from (LightGBM's init_score), used alike by tuning and
    training; None: the trees start from LightGBM's own average."""

    @property
    def direction(self) -> str:
        """`max` or `min`: which way the metric improves (Optuna's and `best_candidate`'s word)."""
        return "max" if self.higher_is_better else "min"


SEGMENTS = Task(
    name="segments",
    registered_name="customer-segments",
    description="segment id and plain-word name: k-means / Gaussian mixture on transformed features, "
                "ids kept stable across retrains",
    outputs=("segment_id", "segment_name"),
    metric="silhouette",
    higher_is_better=True,
)
CHURN = Task(
    name="churn",
    registered_name="customer-churn",
    description="probability of no purchase in the horizon: LightGBM boosted from BG/NBD's probability, "
                "isotonic-calibrated",
    outputs=("churn_probability",),
    metric="roc_auc",
    higher_is_better=True,
    label="label_churned",
    objective="binary",
    offset="bgnbd_p_no_purchase",
)
NEXT_PURCHASE = Task(
    name="next_purchase",
    registered_name="customer-next-purchase",
    description="expected orders in the horizon, P(purchase within 30/90 days) and the expected next "
                "purchase date: Poisson LightGBM boosted from BG/NBD, a survival curve for timing",
    outputs=("expected_orders", "p_purchase_30d", "p_purchase_90d", "expected_next_purchase_date",
             "next_purchase_after_horizon"),
    metric="rmse",
    higher_is_better=False,
    label="label_orders",
    objective="poisson",
    offset="bgnbd_expected_orders",
)
CLV = Task(
    name="clv",
    registered_name="customer-clv",
    description="expected net spend in the horizon: Tweedie LightGBM with BG/NBD x Gamma-Gamma spend "
                "among its inputs, not as an offset (on CDNOW the offset ranked customers worse, "
                "normalized Gini 0.53 against 0.62)",
    outputs=("predicted_clv",),
    metric="gini",
    higher_is_better=True,
    label="label_spend",
    objective="tweedie",
    offset=None,
)

TASKS: dict[str, Task] = {task.name: task for task in (SEGMENTS, CHURN, NEXT_PURCHASE, CLV)}
"""Every task by name, in the order the registry and the champion set list them."""
SUPERVISED: tuple[Task, ...] = (NEXT_PURCHASE, CHURN, CLV)
"""The tasks with a label: the validation table's tasks, in its order."""
MODEL_NAMES: dict[str, str] = {task.name: task.registered_name for task in TASKS.values()}
"""Task name -> registered model name in the default base."""
LABEL_COLUMNS: tuple[str, ...] = tuple(task.label for task in SUPERVISED)


def task(name: str) -> Task:
    """The task called `name`; a ValueError listing the tasks otherwise."""
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; tasks are {', '.join(TASKS)}") from None
