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


def test_rows_intervals_are_error_bars_and_a_pipeline_check_says_so():
    from matplotlib.container import ErrorbarContainer

    from analysis.plots import PIPELINE_NOTICE

    rows = pd.DataFrame({"label": ["baseline", "3S", "5S"], "params_M": [41.5, 42.9, 43.1], "AP": [37.4, 38.8, 38.9],
                         "delta_AP": [None, 1.4, 1.5], "delta_AP_lo": [None, 0.6, 1.1], "delta_AP_hi": [None, 2.2, 1.9]})
    fig = ap_vs_params_figure(rows, "t", PIPELINE_NOTICE)
    [ax] = fig.axes
    [bars] = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    segments = bars.lines[2][0].get_segments()  # one vertical segment per row: baseline's has length 0
    spans = sorted((round(s[0][1], 2), round(s[1][1], 2)) for s in segments)
    assert spans == [(37.4, 37.4), (38.0, 39.6), (38.5, 39.3)]  # AP + (lo - Delta), AP + (hi - Delta)
    assert any("PIPELINE CHECK" in t.get_text() for t in fig.texts)
    assert not any("PIPELINE" in t.get_text() for t in ap_vs_params_figure(rows, "t").texts)


@pytest.mark.parametrize("sources, covers", [
    (["unknown", "unknown"], "val images"),
    (["seeds (pooled, df=1)", "seeds (pooled, df=1)"], "val images + seeds"),
    (["prior seed_sigma=0.3", "unknown"], "val images; + seeds where sigma_seed is known"),
])
def test_the_legend_says_what_the_delta_intervals_cover(sources, covers):
    rows = pd.DataFrame({"label": ["baseline", "3S", "5S"], "params_M": [41.5, 42.9, 43.1], "AP": [37.4, 38.8, 38.9],
                         "delta_AP": [None, 1.4, 1.5], "delta_AP_lo": [None, 0.6, 1.1], "delta_AP_hi": [None, 2.2, 1.9],
                         "delta_AP_source": [None, *sources]})
    legend = [t.get_text() for t in ap_vs_params_figure(rows, "t").axes[0].get_legend().get_texts()]
    assert f"interval of ΔAP vs baseline ({covers})" in legend
