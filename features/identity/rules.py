"""Deterministic matching: records sharing an email, phone or loyalty card are one customer.

Households share an email or a phone, so a shared value alone is not proof. A rule links two
records when they share the value and
  * both have names and the names agree (same words, or one name's words inside the other's:
    "Nguyen Lan" ~ "Nguyen Thi Lan", with at most one word one typo away), or
  * one has no name and the value is not known to be shared (no two records carrying it have
    conflicting names),
and their birth dates, where both are known, are equal. Pairs that fail stay for the
probabilistic model to weigh. The first rule that links a pair names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Rule:
    """Link records whose normalised `column` is equal (subject to the name and birth-date checks)."""

    name: str
    column: str


RULES: tuple[Rule, ...] = (
    Rule("same_email", "email_key"),
    Rule("same_phone", "phone"),
    Rule("same_loyalty_card", "loyalty_card"),
)
PAIR_COLUMNS = ("unique_id_l", "unique_id_r", "rule")
_SYLLABLE_SCRIPTS = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af"
                               r"\uf900-\ufaff\U00020000-\U0003134f]")


def deterministic_pairs(records: pd.DataFrame, rules: tuple[Rule, ...] = RULES) -> pd.DataFrame:
    """Pairs linked by `rules` in normalised `records` (needs unique_id, name_key, date_of_birth).

    Returns unique_id_l < unique_id_r and the name of the first rule that linked the pair.
    """
    needed = {"unique_id", "name_key", "date_of_birth", *(r.column for r in rules)}
    missing = sorted(needed - set(records.columns))
    if missing:
        raise ValueError(f"normalised records lack column '{missing[0]}'")
    found = [_rule_pairs(records, rule) for rule in rules]
    pairs = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=list(PAIR_COLUMNS))
    pairs = pairs.drop_duplicates(["unique_id_l", "unique_id_r"], keep="first")
    return pairs.sort_values(["unique_id_l", "unique_id_r"], ignore_index=True)[list(PAIR_COLUMNS)]


def names_agree(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Whether two name keys (sorted folded words) name the same person: the words of one are all
    among the words of the other, allowing one word to be one typo away ("ngueyn" ~ "nguyen").
    Missing names never agree. The typo allowance is for alphabetic words only: in Chinese,
    Japanese and Korean one character is a syllable, and siblings often differ by just one
    (王小明 / 王小红, 김민준 / 김민서); emoji are not letters either."""
    out = np.zeros(len(left), dtype=bool)
    for i, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        if isinstance(a, str) and isinstance(b, str):
            out[i] = _words_agree(a.split(), b.split())
    return out


def one_edit_apart(a: str, b: str) -> bool:
    """Whether `b` is `a` with one letter changed, dropped, added, or two neighbours swapped."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (a[i + 2:] == b[i + 2:] and a[i:i + 2] == b[i:i + 2][::-1])
    return a[i:] == b[i + 1:]


def _words_agree(a: list[str], b: list[str]) -> bool:
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    unmatched = list(longer)
    typos = 0
    for word in shorter:
        if word in unmatched:
            unmatched.remove(word)
            continue
        near = next((w for w in unmatched if _may_have_typo(word) and one_edit_apart(word, w)), None)
        if near is None or typos:
            return False
        unmatched.remove(near)
        typos += 1
    return True


def _may_have_typo(word: str) -> bool:
    """Long enough, and written in letters of an alphabet, for one edit to be a typo."""
    return len(word) >= 3 and word.isalpha() and not _SYLLABLE_SCRIPTS.search(word)


def _rule_pairs(records: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    side = records.loc[records[rule.column].notna(), ["unique_id", rule.column, "name_key", "date_of_birth"]]
    side = side.rename(columns={rule.column: "value"})
    pairs = side.merge(side, on="value", suffixes=("_l", "_r"))
    pairs = pairs[pairs["unique_id_l"] < pairs["unique_id_r"]]
    both_named = pairs["name_key_l"].notna() & pairs["name_key_r"].notna()
    agree = names_agree(pairs["name_key_l"], pairs["name_key_r"])
    conflict = both_named.to_numpy() & ~agree
    shared_values = set(pairs.loc[conflict, "value"].tolist())
    unshared = ~pairs["value"].isin(shared_values).to_numpy()
    one_unnamed = ~both_named.to_numpy()
    dob_l, dob_r = pairs["date_of_birth_l"], pairs["date_of_birth_r"]
    dob_conflict = (dob_l.notna() & dob_r.notna() & (dob_l != dob_r)).fillna(False).to_numpy()
    linked = (agree | (one_unnamed & unshared)) & ~dob_conflict
    out = pairs.loc[linked, ["unique_id_l", "unique_id_r"]].astype("int64")
    return out.assign(rule=rule.name)
