"""The report: its Pareto filter against a brute-force definition, and its Pareto plot."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from seqdesign.report import non_dominated


def brute(values: np.ndarray, maximize: np.ndarray) -> np.ndarray:
    y = np.where(maximize, values, -values)
    out = []
    for i in range(len(y)):
        if np.isnan(y[i]).any():
            out.append(False)
            continue
        out.append(
            not any(
                not np.isnan(y[j]).any() and (y[j] >= y[i]).all() and (y[j] > y[i]).any()
                for j in range(len(y))
            )
        )
    return np.array(out, dtype=bool)


def test_a_known_front_with_a_minimized_objective():
    v = np.array([[1.0, 1.0], [2.0, 2.0], [2.0, 0.5], [0.5, 0.1], [np.nan, 0.0], [2.0, 0.5]])
    # maximize column 0, minimize column 1: (2, 0.5) twice (ties both stay), (0.5, 0.1)
    assert non_dominated(v, np.array([True, False])).tolist() == [
        False, False, True, True, False, True,
    ]  # fmt: skip


@given(
    st.integers(1, 40).flatmap(
        lambda n: st.lists(
            st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.0, np.nan]), min_size=3, max_size=3),
            min_size=n,
            max_size=n,
        )
    ),
    st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_matches_the_definition(rows, directions):
    v, up = np.array(rows), np.array(directions)
    assert (non_dominated(v, up) == brute(v, up)).all()


def test_the_pareto_plot_joins_the_front_only_for_two_objectives():
    import pandas as pd

    from seqdesign.report import plot_pareto

    rng = np.random.default_rng(0)
    seqs = pd.DataFrame(rng.random((30, 3)), columns=["a", "b", "c"]).assign(round=0)
    two = plot_pareto(seqs, [("a", True), ("b", False)]).axes[0]
    assert two.lines[0].get_linestyle() == "-" and two.get_title() == "measured Pareto front"
    three = plot_pareto(seqs, [("a", True), ("b", False), ("c", True)]).axes[0]
    assert three.lines[0].get_linestyle() == "None"
    assert three.get_title() == "measured Pareto front (first 2 of 3 objectives)"
