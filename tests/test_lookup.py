"""Finding a record by what people call it: a key in any case, a product, a near miss."""

from __future__ import annotations

import pytest

from conftest import exo
from helpers import ok_json


@pytest.mark.parametrize("name", ["CAP-2003", "cap2003", "CAP 2003", "capricor-therapeutics"])
def test_a_product_name_shows_its_company(name):
    shown = ok_json("show", name, "--json")
    assert (shown["type"], shown["key"]) == ("company", "capricor-therapeutics"), shown


@pytest.mark.parametrize("typed, suggested", [("kordelass", "Kordelas2014"), ("capricr", "capricor-therapeutics"), ("exovita", "exovita-biosciences")])
def test_a_key_not_found_gets_the_closest_keys_and_names(typed, suggested):
    r = exo("show", typed)
    assert r.code == 1 and r.stdout == "", r
    assert "did you mean" in r.stderr and suggested in r.stderr, r


def test_no_far_fetched_suggestion():
    r = exo("show", "Smith2024")
    assert r.code == 1 and r.stdout == "" and "no key matches 'Smith2024'" in r.stderr, r
    assert "did you mean" not in r.stderr, r
