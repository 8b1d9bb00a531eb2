"""The README quotes the numbers the code uses (one source: the code)."""
import re
from pathlib import Path

from sweeps.schema import PlanConf

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_quotes_the_cost_model_of_the_plan():
    text = " ".join(README.read_text().split())
    quoted = re.findall(r"/ ([\d.]+) TFLOP/s effective per GPU \(`plan.effective_tflops`\)", text)
    assert quoted == [str(PlanConf().effective_tflops)], quoted
