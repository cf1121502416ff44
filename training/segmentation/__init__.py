"""Customer segmentation: clustering with profiles, readable names and ids stable across retrains,
and classic RFM quintile segments. The Optuna search over method, k and transform is
`training.segmentation.search.search_segments` (kept out of this import, which stays light).

Model math only: fit on a `features.pipeline.build_features` frame; no files, MLflow or CLI here.
"""

from training.segmentation.model import SegmentationModel
from training.segmentation.rfm import RFM_GROUPS, rfm_segments
from training.segmentation.transform import DEFAULT_FEATURES

__all__ = ["DEFAULT_FEATURES", "RFM_GROUPS", "SegmentationModel", "rfm_segments"]
