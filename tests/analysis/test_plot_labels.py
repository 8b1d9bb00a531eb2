"""AP-vs-#Param labels: every point labelled, none cut off, under the legend or on another."""
import itertools

import pandas as pd
import pytest

from analysis.plots import ap_vs_params_figure


@pytest.mark.parametrize("params, ap", [
    # the demo's shape: a far baseline, five close variants, ties in AP and in params
    ([41.13, 42.42, 42.55, 42.42, 42.50, 42.61], [0.3, 0.5, 0.9, 0.4, 0.5, 0.9]),
    # points in the corners where the legend used to sit and at the axes' edges
    ([41.0, 41.0, 44.0, 44.0, 42.5, 44.0], [0.0, 1.0, 0.0, 1.0, 0.5, 0.02]),
])
def test_labels_are_inside_the_axes_apart_and_clear_of_the_legend(params, ap):
    labels = ["baseline", "3S", "5S", "3L", "4SL", "5SL"]
    fig = ap_vs_params_figure(pd.DataFrame({"label": labels, "params_M": params, "AP": ap}), "t")
    renderer = fig.canvas.get_renderer()
    [ax] = fig.axes
    texts = {t.get_text(): t.get_window_extent(renderer) for t in ax.texts}
    assert sorted(texts) == sorted(labels)
    inside = ax.get_window_extent(renderer)
    legend = ax.get_legend().get_window_extent(renderer)
    for box in texts.values():
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 <= box.y1 <= inside.y1
        assert not box.overlaps(legend)
    for (a, box_a), (b, box_b) in itertools.combinations(texts.items(), 2):
        assert not box_a.overlaps(box_b), (a, b)
