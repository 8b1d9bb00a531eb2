"""Every config field declares its domain, and the gate refuses a value outside it for every
field: the cases are generated from the declarations, so a field added later is tested too."""
import math

import pytest

from description.domain import Domain, domains
from sweeps.gate import Gate
from sweeps.schema import Config

FIELDS = list(domains(Config))


def override(value) -> str:
    """A Python value as a Hydra command-line value."""
    if isinstance(value, str):
        return repr(value) if value == "" or not value.isidentifier() else value
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(override(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{override(v)}" for k, v in value.items()) + "}"
    return str(value)


# one value outside each field's domain through the real gate (a compose each); every value
# outside is checked against its domain in the first test
CASES = [pytest.param(name, domain.outside()[0], id=f"{name}={override(domain.outside()[0])}")
         for name, domain in FIELDS]


def test_every_field_declares_a_domain_with_a_value_outside_it():
    assert len(FIELDS) > 60
    assert {"objective", "wandb.mode", "launcher.name", "msfm.scales", "schedule.lr"} <= dict(FIELDS).keys()
    for name, domain in FIELDS:
        assert isinstance(domain, Domain)
        bad = domain.outside()
        assert bad and not any(domain.contains(b) for b in bad), name


@pytest.mark.parametrize("name, bad", CASES)
def test_the_gate_refuses_a_value_outside_each_fields_domain(tmp_path, name, bad):
    with pytest.raises(ValueError) as e:
        Gate().check([f"output_root={tmp_path}", f"{name}={override(bad)}"])
    message = str(e.value)
    assert message.startswith(f"{name}:") and "allowed" in message and "\n" not in message, message
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())


def test_domain_messages_name_the_value_and_what_is_allowed():
    scales = dict(FIELDS)["msfm.scales"]
    with pytest.raises(ValueError) as e:
        scales.check("msfm.scales", [0.5, 1000.0])
    assert str(e.value) == ("msfm.scales: [0.5, 1000.0] is not allowed; allowed: a list of 1-8 "
                            "items, each a finite number in 0.1..4 (a branch at scale s holds "
                            "s^2 x the block's activations; 8 branches at most)")
    lr = dict(FIELDS)["schedule.lr"]
    assert not lr.contains(math.nan) and not lr.contains(math.inf) and lr.contains(0.02)
    assert not dict(FIELDS)["seed"].contains(True)  # a bool is no integer here
