"""The customer-insight report: one self-contained page on a scored base for the people who act on it."""
