"""``python -m benchmarks [name ...]``: run every benchmark (or the named ones) in turn.

Each benchmark is a module here with a ``main() -> dict`` that measures, writes
``benchmarks/results/<name>.json`` and prints its figures; this runner calls them one after
another (never in parallel: the timings assume an otherwise idle machine) and ends with one
summary line per benchmark. A failing benchmark is reported and the others still run; the
exit status is 1 if any failed. Names may be given with or without the ``bench_`` prefix.
"""
from __future__ import annotations

import importlib
import sys
import time
import traceback

BENCHMARKS = ("bench_plan", "bench_msfm_module", "bench_msfm_overhead", "bench_tables",
              "bench_coco_eval", "bench_cpu_schedule", "bench_submit", "bench_bootstrap",
              "bench_search", "bench_resolve", "bench_pairing", "bench_evidence",
              "bench_chain")


def _summary(name: str, r: dict) -> str:
    """The headline figures of one benchmark's result, in one line."""
    if name == "bench_plan":
        n = sum(v["variants"] for v in r["presets"].values())
        return (f"{len(r['presets'])} presets, {n} variants in {r['total_s']} s from a cold cache, "
                f"{r['warm_total_s']} s warm (full builds {r['full_build_total_s']} s; goal "
                f"{r['goal_s']} s met: {r['meets_goal']})")
    if name == "bench_msfm_module":
        parts = [f"{k}: {runs['error']}" if "error" in runs else
                 f"{k}: " + ", ".join(f"{v} x{m['speedup']} vs reference" for v, m in runs.items())
                 for k, runs in r["runs"].items()]
        return "; ".join(parts) + (f" ({r['note']})" if r["note"] else "")
    if name == "bench_msfm_overhead":
        return "; ".join(f"{d}: time overhead {m['time_overhead']:.1%} vs FLOPs overhead "
                         f"{r['flops_overhead']:.1%} (ratio {m['ratio_time_to_flops_overhead']}, "
                         f"goal met: {m['meets_goal']})" for d, m in r["devices"].items())
    if name == "bench_tables":
        return f"{r['records']} records -> {r['tables']} tables in {r['total_s']} s (goal {r['goal_s']} s)"
    if name == "bench_coco_eval":
        d, m = r["direct"], r["cocometric"]
        parts = [f"{t}: x{d[t]['speedup_total']} faster, max|diff| {d[t]['max_abs_diff']:.1e}" for t in d]
        return "; ".join(parts) + (f"; CocoMetric x{m['speedup']}, identical stats: {m['identical_stats']}")
    if name == "bench_cpu_schedule":
        b = r["bbox"]
        return (f"baseline bbox_mAP {b.get('bbox_mAP')} (AP50 {b.get('bbox_mAP_50')}) in {r['wall_s']:.0f} s,"
                f" goal {r['goal']} met: {r['meets_goal']}")
    if name == "bench_bootstrap":
        return (f"{r['images']} images, B={r['resamples']}: {r['seconds']} s vs COCOeval {r['cocoeval_seconds']} s"
                f" (x{r['ratio_to_cocoeval']}), artifact {r['artifact_mb']} MB, goal met: {r['goal_met']}")
    if name == "bench_search":
        return (f"pruning: {r['epochs_saving']:.0%} fewer epochs, best AP {r['pruned']['best_ap']} vs "
                f"{r['unpruned']['best_ap']} (delta 95% CI {r['noise']['ci95']}), goal met: {r['meets_goal']}")
    if name == "bench_resolve":
        m = r["settings"]["main"]
        a, f3 = m["designs"]["adaptive"], m["designs"]["fixed_3"]
        return (f"adaptive {a['seeds_per_variant']} seeds/variant, {r['adaptive_gpu_hours_vs_fixed_3']:.0%} of fixed-3's "
                f"GPU-hours, wrong verdicts {a['wrong_verdict_rate']:.2%} vs {f3['wrong_verdict_rate']:.2%} (goal met: "
                f"{r['adaptive_goal_met']}); one-seed false positives at Delta 0: "
                f"{m['one_seed_false_positive_rate']['level_95']:.1%} (goal met: {r['false_positive_goal_met']})")
    if name == "bench_pairing":
        return (f"std of Delta AP over {len(r['seeds'])} seeds: paired {r['arms']['paired']['delta_std']}, "
                f"unpaired {r['arms']['unpaired']['delta_std']} (ratio {r['ratio_paired_to_unpaired']})")
    if name == "bench_evidence":
        return (f"{r['runs']} runs x {r['detections_per_run']} detections: a look {r['look_stored']['seconds']} s "
                f"(peak {r['look_stored']['peak_gib']} GiB), re-render after one more run "
                f"{r['rerender_one_more_run']['seconds']} s; not stored: {r['baseline_over_stored']}x slower "
                f"on {r['subset_runs']} runs (goals met: {r['look_goal_met']}, {r['rerender_goal_met']}, {r['peak_goal_met']})")
    if name == "bench_chain":
        return (f"command {r['command_s']} s; follow-up jobs {r['follow_up_wall_s']} s each; idle gap "
                f"between rounds {r['idle_gap_s']} s ({r['idle_gap_to_round_wall']} of a round's wall; "
                f"an empty job {r['empty_job_wall_s']} s)")
    return ", ".join(f"{k}={v}" for k, v in list(r.items())[:4])


def _resolve(names: list[str]) -> list[str]:
    chosen = [n if n.startswith("bench_") else f"bench_{n}" for n in names] or list(BENCHMARKS)
    unknown = [n for n in chosen if n not in BENCHMARKS]
    if unknown:
        sys.exit(f"error: unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    return chosen


def main(names: list[str] | None = None) -> dict:
    """Run the chosen benchmarks; return {name: result dict, or {'error': ...} if it failed}."""
    results, lines = {}, []
    for name in _resolve(list(names or [])):
        print(f"== {name}", flush=True)
        t = time.perf_counter()
        try:
            results[name] = importlib.import_module(f"benchmarks.{name}").main()
            line = _summary(name, results[name])
        except Exception as e:  # noqa: BLE001 - one failed benchmark must not stop the others
            traceback.print_exc()
            results[name] = {"error": f"{type(e).__name__}: {' '.join(str(e).split())[:300]}"}
            line = f"FAILED {results[name]['error']}"
        lines.append(f"{name:<20} {time.perf_counter() - t:7.1f} s  {line}")
    print("\n".join(["", "summary:", *lines]))
    return results


if __name__ == "__main__":
    sys.exit(1 if any("error" in r for r in main(sys.argv[1:]).values()) else 0)
