"""The centre stays light: description/ and the config gate import neither torch, mmdet nor training/."""
import subprocess
import sys

# mmengine.config (no torch) may read a detector's backbone config; nothing heavier
HEAVY = ("torch", "mmdet", "mmcv", "training", "faster_coco_eval", "pycocotools")


def test_spec_and_gate_import_nothing_heavy():
    code = ("import sys; import description.variant, description.msfm_spec, description.run_spec, description.files, sweeps.variants, "
            "sweeps.schema, results.record, results.store; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_gate_validates_a_preset_without_training_imports(tmp_path):
    code = ("import sys; from sweeps.gate import Gate; "
            f"specs = Gate().check(['+sweep=scales', 'output_root={tmp_path}']); "
            f"print(len(specs), sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "6 []", out.stdout


def test_each_grid_point_is_validated_once_per_process(monkeypatch, tmp_path):
    """The gate validates every grid point once; the sweeper and main then trust it."""
    from description.variant import Variant
    from sweeps.gate import Gate

    calls = []
    original = Variant.validate

    def counting(self, *args, **kwargs):
        calls.append(self.key())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Variant, "validate", counting)
    gate = Gate()
    specs = gate.check(["+sweep=scales", f"output_root={tmp_path}"])
    assert len(calls) == len(specs) == 6
    gate.validate_jobs(None, None, [s.overrides for s in specs])  # what the rows sweeper does next
    assert all(gate.passed(s.overrides)[1] is s for s in specs)  # what main / the launcher use
    assert Gate().passed(specs[0].overrides) is None  # a gate's memory is its own
    assert len(calls) == 6
