"""Adaptive seeds end to end on CPU: ``resolve=`` runs rounds until every row is settled, a
round gives a seed only to the rows the previous one left unresolved, and ``sweeps.plan`` names
exactly the runs the next ``sweeps.run`` launches."""
import json
import shutil

import pytest

from tests.helpers import TINY, records, sweeps_run

# No seed_sigma prior: after round 1 (one seed a row) sigma_seed is unknown, so every row not
# below the val set's floor gets a replicate; round 2 is never empty by luck of the AP values.
SWEEP = ["-m", "hydra/sweeper=rows", "msfm.enabled=false,true", "msfm.scales=[0.5,1.0],[0.5,0.7,1.0]", "resolve=2.0",
         "max_seeds=2", "wandb.enabled=false", "dataset.num_val=6"]
ARGS = [a for a in SWEEP if a != "-m"]  # the same sweep, for sweeps.plan and sweeps.status


def planned(tmp_path, results_dir) -> list[tuple[str, int]]:
    """(row key, seed) of every run the plan says the next sweeps.run launches."""
    from sweeps.plan import planned as plan_rows

    rows, _, this_round = plan_rows([f"output_root={tmp_path}", f"results_dir={results_dir}",
                                     *TINY, *ARGS])
    return sorted((r["key"], r["seed"]) for r in this_round.rows if r["seed"] is not None)


@pytest.mark.slow
def test_second_round_spends_seeds_only_on_unresolved_rows(tmp_path, capsys):
    first = planned(tmp_path, tmp_path / "results")
    assert [seed for _, seed in first] == [0, 0, 0]  # every row's first seed (the baseline once)

    proc = sweeps_run(tmp_path, *SWEEP, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = [r for r in records(tmp_path) if r["status"] == "finished"]
    seeds: dict = {}
    for r in runs:
        seeds.setdefault(json.dumps(r["variant"], sort_keys=True), set()).add(r["seed"])
    assert len(seeds) == 3 and all(s in ({0}, {0, 1}) for s in seeds.values()), seeds

    # the store as round 1 left it: what did round 1's evidence leave unresolved?
    round1 = tmp_path / "round1"
    round1.mkdir()
    for r in runs:
        if r["seed"] == 0:
            for name in (f"{r['key']}.json", r["detections"]):
                shutil.copy(tmp_path / "results" / name, round1 / name)
    second = planned(tmp_path, round1)
    assert second and all(seed == 1 for _, seed in second), second
    from description.paper_tables import match_key

    got_second = sorted(match_key(v["msfm"], v["detector"], v)
                        for v in (r["variant"] for r in runs if r["seed"] == 1))
    assert got_second == [key for key, _ in second]  # round 2 launched what round 1 left open
    assert planned(tmp_path, tmp_path / "results") == []  # done: nothing more to launch
    from sweeps.plan import main as plan_cli  # `python -m sweeps.plan ...`, in this process

    code = plan_cli([f"output_root={tmp_path}", *TINY, *ARGS])
    out = capsys.readouterr().out
    assert code == 0 and "this round: 0 run(s)" in out, out[-2000:]
    from sweeps.status import main as status_cli  # `python -m sweeps.status ...`: the same round

    code = status_cli([f"output_root={tmp_path}", *TINY, *ARGS])
    out, err = capsys.readouterr()
    done = f"this round: 0 run(s); expected to resolve every row: 0 more run(s), {len(runs)} in all"
    assert code == 0 and done in out, (out + err)[-2000:]
