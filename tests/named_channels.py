"""Channel names as real sources write them, for the batch store: capitalised, spaced, non-ASCII."""

from __future__ import annotations

import pandas as pd

CHANNEL_NAMES = {"web": "Web Shop", "store": "Cửa hàng", "app": "App"}
"""The simulator's channels -> the names the store's transactions carry."""
MIXED_CUSTOMER = "hand-mixed"
"""Two Web Shop orders and one Cửa hàng order before the cutoff: channel shares 2/3 and 1/3."""


def with_named_channels(simulated: pd.DataFrame) -> pd.DataFrame:
    """`simulated` with its channels renamed by CHANNEL_NAMES, plus MIXED_CUSTOMER's three orders."""
    mixed = pd.DataFrame({
        "customer_id": MIXED_CUSTOMER, "order_id": [f"{MIXED_CUSTOMER}-{i}" for i in range(3)],
        "timestamp": pd.to_datetime(["2023-02-01 10:00", "2023-05-10 12:00", "2023-08-20 18:00"], utc=True),
        "amount": [40.0, 25.0, 60.0], "quantity": 1.0, "channel": ["Web Shop", "Cửa hàng", "Web Shop"],
    })
    renamed = simulated.assign(channel=simulated["channel"].map(CHANNEL_NAMES))
    return pd.concat([renamed, mixed.reindex(columns=renamed.columns)], ignore_index=True)
