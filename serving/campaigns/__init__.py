"""Campaigns with random control groups: split, store, report (see README)."""
