"""Duplicate keys: a small file's tuples of texts and a large file's hashes find the same duplicates."""

import pandas as pd
import pytest

from ciclo.quality import checks


@pytest.mark.parametrize("limite", [0, 10_000])  # 0: every file takes the hashed path; 10,000: the tuples
def test_both_ways_of_keying_rows_find_the_same_duplicates(monkeypatch, limite):
    monkeypatch.setattr(checks, "CHAVE_JUNTA_ATE", limite)
    df = pd.DataFrame({"a": ["1", "1", None, None, "1", "x\x1fy"], "b": ["2", "2", "2", "\x00", None, ""],
                       "c": [1, 1, 1, 1, 1, 1]})
    k = checks._chave(df, ["a", "b", "c"])
    # rows 0 and 1 are equal; a text with the separator-like "\x1f" is not confused with anything
    assert list(k.duplicated(keep=False)) == [True, True, False, False, False, False]
    assert list(checks._chave(df, ["c"]).duplicated(keep="first")) == [False] + [True] * 5
