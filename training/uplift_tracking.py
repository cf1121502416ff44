"""MLflow around the uplift model: log a run, register `customer-uplift`, promote it only when it
beats random targeting, targeting by churn probability and the current champion on the same
held-out customers (the promotion gate of the other models, with targeting baselines)."""

from __future__ import annotations

import pickle
import tempfile
from pathlib import Path

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow import MlflowClient

from training import plots
from training.bases import TRAINING_EXPERIMENT
from training.champions import CHALLENGER, CHAMPION
from training.config import tracking_uri
from training.recovery import owned_run
from training.tracking import Registration, _requirements, configure
from training.uplift import OUTCOME_COLUMN, TREATED_COLUMN, UpliftOutcome, XLearner, qini_coefficient, qini_curve

UPLIFT_MODEL_NAME = "customer-uplift"
MODEL_FILE = "uplift_model.pkl"


class UpliftPyfunc(mlflow.pyfunc.PythonModel):
    """The pyfunc face of the uplift model: a feature frame in, customer_id and uplift_score out."""

    def load_context(self, context) -> None:
        self.model = load_model_file(context.artifacts["model"])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return pd.DataFrame({"customer_id": model_input["customer_id"].astype(str).to_numpy(),
                             "uplift_score": self.model.predict(model_input)})


def load_model_file(path: str | Path) -> XLearner:
    with Path(path).open("rb") as handle:
        return pickle.load(handle)


def uplift_champion(client: MlflowClient | None = None) -> tuple[XLearner | None, str | None]:
    """The registered uplift champion and its version (None, None when there is none)."""
    if client is None:
        mlflow.set_tracking_uri(tracking_uri())
        client = MlflowClient()
    try:
        version = client.get_model_version_by_alias(UPLIFT_MODEL_NAME, CHAMPION)
    except mlflow.exceptions.MlflowException:
        return None, None
    path = mlflow.artifacts.download_artifacts(f"models:/{UPLIFT_MODEL_NAME}@{CHAMPION}")
    return load_model_file(Path(path) / "artifacts" / MODEL_FILE), version.version


def promotion(outcome: UpliftOutcome, champion: XLearner | None, champion_version: str | None) -> tuple[bool, str]:
    """Promote or not, and why: the model's held-out Qini against random targeting, targeting by
    churn probability and the current champion re-scored on the same customers."""
    new = outcome.qini("uplift")
    for baseline, label in (("random", "random targeting"), ("churn", "targeting by churn probability")):
        reference = outcome.qini(baseline)
        if np.isfinite(reference) and not new > reference:
            return False, f"Qini {new:.4f} does not beat {label} ({reference:.4f}) on the held-out customers"
    if champion is None:
        return True, (f"no champion yet; Qini {new:.4f} beats random ({outcome.qini('random'):.4f}) and churn "
                      f"targeting ({outcome.qini('churn'):.4f}) on the held-out customers")
    h = outcome.holdout
    old = qini_coefficient(h[OUTCOME_COLUMN], h[TREATED_COLUMN], champion.predict(h))
    if new > old:
        return True, f"Qini {new:.4f} beats champion v{champion_version}'s {old:.4f} on the same held-out customers"
    return False, f"Qini {new:.4f} does not beat champion v{champion_version}'s {old:.4f} on the same held-out customers"


def log_uplift_run(outcome: UpliftOutcome, campaign_ids: list[str], client: MlflowClient | None = None
                   ) -> tuple[str, Registration]:
    """Log the fit and its evaluation, register the model and alias it champion or challenger."""
    client = client or configure()
    champion, champion_version = uplift_champion(client)
    promote, reason = promotion(outcome, champion, champion_version)
    with owned_run(client, TRAINING_EXPERIMENT, f"uplift campaigns={','.join(campaign_ids)}") as run:
        mlflow.set_tags({"job": "uplift", "learner": "x-learner (LightGBM)", "campaigns": ",".join(campaign_ids)})
        mlflow.log_params({"learner": "x-learner", "campaigns": ",".join(campaign_ids),
                           "treated_share": outcome.model.treated_share_,
                           **{f"gbm_{k}": v for k, v in outcome.model.params.items()},
                           **{f"members_{k}": v for k, v in outcome.counts.items()}})
        for row in outcome.evaluation.itertuples():
            if np.isfinite(row.qini):
                mlflow.log_metric(f"uplift.{row.candidate}.qini", float(row.qini))
            mlflow.log_metric(f"uplift.{row.candidate}.incremental_top30", float(row.incremental_top30))
        mlflow.log_table(outcome.evaluation, "uplift_evaluation.json")
        h = outcome.holdout
        curves = {"uplift": qini_curve(h[OUTCOME_COLUMN], h[TREATED_COLUMN], h["uplift_score"])}
        if "churn_probability" in h:
            curves["churn"] = qini_curve(h[OUTCOME_COLUMN], h[TREATED_COLUMN], h["churn_probability"])
        figure = plots.qini_figure(curves, "uplift: Qini curves on held-out customers")
        mlflow.log_figure(figure, "plots/uplift_qini.png")
        plots.plt.close(figure)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / MODEL_FILE
            with path.open("wb") as handle:
                pickle.dump(outcome.model, handle, protocol=pickle.HIGHEST_PROTOCOL)
            info = mlflow.pyfunc.log_model(name="uplift", python_model=UpliftPyfunc(), artifacts={"model": str(path)},
                                           registered_model_name=UPLIFT_MODEL_NAME, pip_requirements=_requirements())
        version = str(info.registered_model_version)
        alias = CHAMPION if promote else CHALLENGER
        client.set_registered_model_alias(UPLIFT_MODEL_NAME, alias, version)
        client.set_model_version_tag(UPLIFT_MODEL_NAME, version, "promotion", reason)
        mlflow.set_tag("promotion.uplift", f"{alias}: {reason}")
    return run.info.run_id, Registration("uplift", UPLIFT_MODEL_NAME, version, alias, reason,
                                         score=outcome.qini("uplift"))
