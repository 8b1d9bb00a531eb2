"""The tree follows the flow: conf -> sweeps -> launchers -> training/msfm -> results -> stats
-> analysis. Each stage imports only the stages it is allowed to (no upward import: analysis
never imports training, the MSFM layer never sees Hydra, results and stats never call back),
and no module imports itself through others (no import circle), lazy imports included.
msfm imports no other stage of the project: it is the one installed package, loaded by a user's
own mmdet config from any directory (tests/msfm/test_dropin.py runs that), so description/
imports its one block rule from msfm, not the other way round.
Tests mirror the packages (tests/<stage>/), and no test module imports another."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# stage -> the stages it may import (besides itself); description/ is what a run is: everyone's
# but msfm's
ALLOWED = {
    "hydra_plugins": {"sweeps", "launchers", "results", "description"},
    "sweeps": {"launchers", "training", "msfm", "results", "stats", "description"},  # never analysis
    "launchers": {"training", "results", "description"},
    "training": {"msfm", "results", "stats", "description"},
    "msfm": set(),  # the one installed package: nothing of the project outside itself
    "results": {"description"},
    "stats": {"results", "description"},
    "analysis": {"stats", "results", "description"},
    "description": {"msfm"},  # msfm.block_rule, torch-free
}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """First-party modules ``path`` imports anywhere (top level or inside a function)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = _module(path).rsplit(".", node.level)[0] if "__init__" not in path.name else _module(path)
            found |= {f"{base}.{node.module}" if node.module else base}
    return {m for m in found if m.split(".")[0] in ALLOWED}


GRAPH = {_module(p): _imports(p) for stage in ALLOWED for p in (ROOT / stage).rglob("*.py")}


@pytest.mark.parametrize("stage", sorted(ALLOWED))
def test_no_stage_imports_upward(stage):
    wrong = sorted(f"{m} imports {t}" for m, targets in GRAPH.items() if m.split(".")[0] == stage
                   for t in targets if t.split(".")[0] not in ALLOWED[stage] | {stage})
    assert not wrong, wrong


def test_allowed_stages_form_no_circle():
    done = set()

    def visit(stage, path):
        assert stage not in path, f"circle: {' -> '.join([*path, stage])}"
        if stage not in done:
            for t in ALLOWED[stage]:
                visit(t, [*path, stage])
            done.add(stage)
    for stage in ALLOWED:
        visit(stage, [])


def test_no_module_imports_itself_through_others():
    modules = set(GRAPH)
    edges = {m: {t if t in modules else t.rsplit(".", 1)[0] for t in ts} & modules - {m}
             for m, ts in GRAPH.items()}
    state: dict[str, int] = {}

    def visit(m, path):
        if state.get(m) == 2:
            return
        assert state.get(m) != 1, f"import circle: {' -> '.join(path[path.index(m):] + [m])}"
        state[m] = 1
        for t in sorted(edges[m]):
            visit(t, [*path, m])
        state[m] = 2
    for m in sorted(edges):
        visit(m, [])


def test_description_takes_only_the_torch_free_block_rule_from_msfm():
    taken = sorted(t for m, targets in GRAPH.items() if m.split(".")[0] == "description"
                   for t in targets if t.split(".")[0] == "msfm")
    assert taken and all(t.startswith("msfm.block_rule") for t in taken), taken


def test_the_graph_is_read():  # the checks above would pass on an empty graph
    assert "stats.detections" in GRAPH["training.detections_hook"]
    assert len(GRAPH) > 60


def test_no_test_module_imports_another():
    """Shared settings and helpers live in tests/helpers.py (fixtures in tests/conftest.py)."""
    wrong = []
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            wrong += [f"{path.relative_to(ROOT)} imports {n}" for n in names
                      if n.split(".")[-1].startswith(("test_", "conftest"))]
    assert not wrong, wrong
