"""Round settings: budgets, TOML tables, flags on top, validation, and the TOML written out."""

from __future__ import annotations

import sys

import pytest

from seqdesign.campaign.settings import objective_spec, split_objective
from seqdesign.config import (
    KAPPA_ONE,
    KAPPA_SEVERAL,
    RoundSettings,
    build_settings,
    load_toml,
    to_toml,
)
from seqdesign.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_defaults_and_budgets():
    s = build_settings()
    assert s == RoundSettings(gflownet=s.gflownet)
    assert s.proxy.max_steps == 3000 and s.evolution.queries == 15_000
    fast = build_settings("fast")
    assert fast.budget == "fast" and fast.proxy.max_steps == 1000 and fast.evolution.queries == 4000
    thorough = build_settings("thorough")
    assert thorough.proxy.members == 8


def test_precedence_defaults_budget_toml_flags():
    table = {
        "kappa": 2.0,
        "generator": "evolution",
        "proxy": {"max_steps": 200},
        "evolution": {"walkers": 8},
    }
    s = build_settings("fast", table, {"kappa": 3.0, "generator": None})
    assert s.kappa == 3.0  # the flag beats the file
    assert s.generator == "evolution"  # a None flag is not given
    assert s.proxy.max_steps == 200  # the file beats the budget
    assert s.evolution.queries == 4000 and s.evolution.walkers == 8  # the budget, then the file
    assert s.proxy.members == 5  # the default


def test_budget_in_the_toml_file():
    assert build_settings("default", {"budget": "fast"}).proxy.max_steps == 1000
    assert (
        build_settings("default", {"budget": "fast"}, {"budget": "thorough"}).budget == "thorough"
    )


@pytest.mark.parametrize(
    "table,pattern",
    [
        ({"nope": 1}, "unknown setting 'nope'"),
        ({"proxy": {"max_stepz": 1}}, r"\[proxy\]: unknown setting 'max_stepz'"),
        ({"proxy": 3}, r"\[proxy\] must be a table"),
        ({"proxy": {"max_steps": "many"}}, "expected an integer"),
        ({"proxy": {"members": 1}}, "members must be >= 2"),
        ({"generator": "xx"}, "generator must be"),
        ({"acquisition": "pi"}, "acquisition must be"),
        ({"oversample": 0}, "oversample"),
        ({"budget": "huge"}, "budget: expected one of fast, default, thorough"),
        ({"evolution": {"threshold": 2.0}}, "threshold"),
        ({"gflownet": {"not_a_setting": 1}}, "gflownet"),
    ],
)
def test_bad_settings_are_config_errors(table, pattern):
    with pytest.raises(ConfigError, match=pattern) as err:
        build_settings("default", table, source="my.toml")
    assert str(err.value).startswith("my.toml")  # the error names the file


def test_a_bad_flag_is_not_blamed_on_the_file():
    with pytest.raises(ConfigError, match="kappa must be a finite number") as err:
        build_settings("default", {"kappa": 0.3}, {"kappa": float("nan")}, source="my.toml")
    assert "my.toml" not in str(err.value)
    with pytest.raises(ConfigError, match="^--budget: expected one of"):
        build_settings("default", {}, {"budget": "huge"}, source="my.toml")


@pytest.mark.parametrize(
    "table", [{"kappa": "high"}, {"proxy": {"lr": "fast"}}, {"evolution": {"threshold": "x"}}]
)
def test_string_for_a_float_setting_is_a_config_error(table):
    with pytest.raises(ConfigError, match="expected a number"):
        build_settings("default", table, source="my.toml")


def test_load_toml_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[proxy\nmax_steps = 1\n")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML"):
        load_toml(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_toml(tmp_path / "missing.toml")


def test_to_toml_round_trips_through_build_settings():
    s = build_settings(
        "fast", {"kappa": 0.5, "proxy": {"hidden": 16}, "selection": {"min_distance": 3}}
    )
    table = tomllib.loads(to_toml(s, {"seed": 3}))
    assert table.pop("seed") == 3
    assert build_settings("default", table) == s


def test_kappa_unset_resolves_by_the_number_of_objectives():
    s = build_settings()
    assert s.kappa is None
    assert (KAPPA_ONE, KAPPA_SEVERAL) == (0.1, 0.5)
    assert s.for_objectives(1).kappa == KAPPA_ONE
    assert s.for_objectives(2).kappa == s.for_objectives(3).kappa == KAPPA_SEVERAL
    assert s.for_objectives(2).proxy == s.proxy  # nothing else changes
    pinned = build_settings("default", {"kappa": 0.3})
    assert pinned.for_objectives(1) is pinned and pinned.for_objectives(2).kappa == 0.3
    assert build_settings("default", {"kappa": 1}).kappa == 1.0  # an integer reads as a number


def test_unset_kappa_is_left_out_of_the_toml_and_reads_back_unset():
    s = build_settings("fast")
    text = to_toml(s)
    assert "kappa" not in text
    assert build_settings("default", tomllib.loads(text)) == s
    assert "kappa = 0.5" in to_toml(s.for_objectives(2))


@pytest.mark.parametrize(
    "spec,parsed",
    [
        ("y", ("y", True)),
        ("y:min", ("y", False)),
        ("cell count:max", ("cell count", True)),
        ("tox:min:max", ("tox:min", True)),
        ("act:24h:min", ("act:24h", False)),
    ],
)
def test_objective_spec_direction_follows_the_last_colon_and_reads_back(spec, parsed):
    assert split_objective(spec) == parsed
    assert split_objective(objective_spec(*parsed)) == parsed


@pytest.mark.parametrize("spec", ["", ":max", "y:", "y:up", "tox:min:", "a:b"])
def test_malformed_objective_spec_is_a_config_error(spec):
    with pytest.raises(ConfigError, match="expected NAME, NAME:max or NAME:min"):
        split_objective(spec)
