"""What the paper's tables are: their rows, parts and match keys, and the values the paper
reports, read from ``paper_values.yaml`` (data, torch-free).

Part of the study's description: the tables, the adaptive rounds and ``sweeps.plan`` all read
which variant each row is from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Mapping, NamedTuple

import yaml

from description.msfm_spec import KNOBS

MSFM_FIELDS = KNOBS  # the paper's six hyperparameters, as records name them
COLUMNS = ("AP", "AP50", "AP75", "APs", "APm", "APl")
PAPER_VALUES = Path(__file__).with_name("paper_values.yaml")


class RowKey(NamedTuple):
    """Which variant a table row is: its detector and, for an MSFM variant, its MSFM values (in
    ``MSFM_FIELDS`` order, as strings); ``msfm`` None is the detector's baseline, whose MSFM
    fields are irrelevant. Records and rows share it (``results.frame``'s ``row_key``)."""

    detector: str
    msfm: tuple[str, ...] | None = None

    @classmethod
    def of(cls, msfm: bool, detector: str, fields: Mapping) -> RowKey:
        """The key of a variant named by ``fields`` (a record's ``variant``, a row's MSFM values)."""
        return cls(str(detector), tuple(str(fields.get(f)) for f in MSFM_FIELDS) if msfm else None)

    @property
    def base(self) -> RowKey:
        """The key of this detector's baseline."""
        return RowKey(self.detector)

    @property
    def values(self) -> dict[str, str]:
        """MSFM field -> value (empty for a baseline)."""
        return dict(zip(MSFM_FIELDS, self.msfm or (), strict=True)) if self.msfm else {}

    def __str__(self) -> str:
        """The key's one string form: the records frame's ``match`` and a table's ``variant`` column."""
        if self.msfm is None:
            return f"baseline|{self.detector}"
        return "|".join(("msfm", self.detector, *self.msfm))


@dataclass(frozen=True)
class RowSpec:
    """One table row: the variant it matches and the paper's values for it."""

    name: str
    detector: str
    baseline: bool
    msfm: dict[str, str]  # empty for baselines: their MSFM fields are irrelevant
    paper: tuple[float, ...] | None  # AP, AP50, AP75, APs, APm, APl (x100)
    paper_params: float | None  # M, only where the paper states it
    evaluable: bool = True  # False for COCO test-dev rows

    @property
    def key(self) -> RowKey:
        """The variant this row is."""
        return RowKey.of(not self.baseline, self.detector, self.msfm)

    @property
    def match(self) -> str:
        """The string form of :attr:`key`, shared with records of this variant (``match``)."""
        return str(self.key)


@dataclass(frozen=True)
class PartSpec:
    """A block of rows (Table 2's Scales, Ratios, ...; Table 4's detectors)."""

    name: str
    sweep: str | None
    rows: tuple[RowSpec, ...]


@dataclass(frozen=True)
class TableSpec:
    """One paper table: ``metric`` is ``bbox`` or ``segm``."""

    name: str
    caption: str
    metric: str
    parts: tuple[PartSpec, ...]
    sweeps: tuple[str, ...] = field(default=())
    paper_setup: str = "COCO minival, 1x schedule"  # the paper's dataset and schedule


def match_key(msfm: bool, detector: str, fields: Mapping) -> str:
    """The string form of a variant's :class:`RowKey`; baselines ignore the MSFM fields."""
    return str(RowKey.of(msfm, detector, fields))


def _row(raw: dict, detector: str, base: dict[str, str]) -> RowSpec:
    detector = raw.get("detector", detector)
    baseline = bool(raw.get("baseline", False))
    msfm = {} if baseline else {f: str(raw.get(f, base[f])) for f in MSFM_FIELDS}
    paper = raw.get("paper")
    return RowSpec(
        name=str(raw["name"]),
        detector=detector,
        baseline=baseline,
        msfm=msfm,
        paper=tuple(float(v) for v in paper) if paper else None,
        paper_params=raw.get("paper_params"),
        evaluable=bool(raw.get("evaluable", True)),
    )


@cache
def load_specs(path: Path = PAPER_VALUES) -> dict[str, TableSpec]:
    """Parse the paper-values file into table specs, keyed ``table2`` ... ``table6``."""
    data = yaml.safe_load(path.read_text())
    variants = data["variants"]
    specs = {}
    for name, table in data["tables"].items():
        parts = []
        for part in table["parts"]:
            detector = part.get("detector", table.get("detector"))
            base = variants[part.get("base", table.get("base", "default"))]
            rows = tuple(_row(r, detector, base) for r in part["rows"])
            parts.append(PartSpec(part.get("name", ""), part.get("sweep"), rows))
        sweeps = tuple(dict.fromkeys(p.sweep for p in parts if p.sweep))
        specs[name] = TableSpec(name, table["caption"], table["metric"], tuple(parts), sweeps,
                                table.get("paper_setup", TableSpec.paper_setup))
    return specs


def sweep_tables(specs: dict[str, TableSpec]) -> dict[str, list[str]]:
    """Map each sweep preset name to the tables it fills (``frameworks`` -> 4 and 5)."""
    out: dict[str, list[str]] = {}
    for spec in specs.values():
        for sweep in spec.sweeps:
            out.setdefault(sweep, []).append(spec.name)
    return out


def paper_baselines(specs: dict[str, TableSpec]) -> dict[tuple[str, str], tuple[float, ...]]:
    """Paper values of each detector's baseline, keyed ``(metric, detector)``."""
    out = {}
    for spec in specs.values():
        for part in spec.parts:
            for row in part.rows:
                if row.baseline and row.paper:
                    out.setdefault((spec.metric, row.detector), row.paper)
    return out
