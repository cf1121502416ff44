"""The columns of `features.pipeline.build_features` that segmentation reads by name.

Definitions are in the feature modules' docstrings (features/pipeline/rfm.py, seasonality.py,
basket.py, channels.py): recency in whole days since the last purchase, frequency as purchase
orders, monetary value as net spend over the customer's history.
"""

from __future__ import annotations

CUSTOMER_ID = "customer_id"
RECENCY = "recency_days"
TENURE = "tenure_days"
FREQUENCY = "orders"
MONETARY = "spend_total"
ORDER_VALUE = "order_value_mean"
FESTIVE_SHARE = "nov_dec_order_share"
CHANNEL_SHARE_PREFIX = "channel_share_"
