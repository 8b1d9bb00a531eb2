"""squeue/sacct ``JobID|State`` lines -> one state per job id, through submitit's sacct reader:
folded array rows of tasks that never started, ``%`` limits, comma lists, ``CANCELLED by 0``."""
import pytest

from launchers.slurm import _parse_states

SAMPLES = [
    ("12_[3-5%4]|PENDING", {"12_3": "PENDING", "12_4": "PENDING", "12_5": "PENDING"}),
    ("12_[0-1,5%2]|PENDING", {"12_0": "PENDING", "12_1": "PENDING", "12_5": "PENDING"}),
    ("12_[1-2,5-6]|PENDING", {f"12_{i}": "PENDING" for i in (1, 2, 5, 6)}),
    ("16_[1,3]|PENDING", {"16_1": "PENDING", "16_3": "PENDING"}),
    ("18_[4]|PENDING", {"18_4": "PENDING"}),
    ("13|CANCELLED by 0", {"13": "CANCELLED"}),
    ("14_7|COMPLETED", {"14_7": "COMPLETED"}),
    (" 21 |OUT_OF_MEMORY ", {"21": "OUT_OF_MEMORY"}),
    ("17|", {"17": "UNKNOWN"}),
    ("", {}),
]


@pytest.mark.parametrize("text, states", SAMPLES)
def test_each_line_gives_the_state_of_every_job_it_names(text, states):
    assert _parse_states(text) == states


def test_later_lines_win_and_lines_add_up():
    text = "12_[2-3]|PENDING\n12_1|RUNNING\n12_3|CANCELLED by 1000\n"
    assert _parse_states(text) == {"12_1": "RUNNING", "12_2": "PENDING", "12_3": "CANCELLED"}
