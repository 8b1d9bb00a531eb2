"""Every config field's domain, declared beside its definition, and the one check against it.

A field is declared with :func:`value` (or :func:`nested` for a sub-config): its default and its
:class:`Domain` (type, range or allowed values, finite, length). :func:`check_domains` walks a
config dataclass and refuses the first value outside its field's domain with one line that names
the field, the value and what is allowed. :meth:`Domain.outside` gives values outside a domain, so
the bad-input tests are generated from the declarations: a field added later is tested too.
"""
from __future__ import annotations

import math
import re
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from typing import Any, Iterator, Optional

NAME = r"[A-Za-z0-9][A-Za-z0-9_.+*-]*"  # a name that reads well in tables, paths and wandb
NO_SPACE = r"\S+"


@dataclass(frozen=True)
class Domain:
    """The values one field may take. ``kind``: bool, int, float, str, list or dict."""

    kind: type
    low: Optional[float] = None  # inclusive bounds of a number (or of each item)
    high: Optional[float] = None
    choices: Optional[tuple] = None  # the allowed values (or items)
    pattern: Optional[str] = None  # a string (or each item) must match it whole
    optional: bool = False  # None (YAML null) is allowed
    item: Optional[type] = None  # list items / dict values: bool, int, float or str
    lengths: Optional[tuple] = None  # allowed list lengths
    unique: bool = False  # list items may not repeat
    keys: Optional[tuple] = None  # a dict's keys, all required
    why: str = ""  # why the bounds are what they are, shown with the error

    def describe(self) -> str:
        """What is allowed, in words: 'a number in 0.1..4', 'one of ap, ap_params', ..."""
        scalar = self._describe_scalar(self.item or self.kind)
        if self.kind is list:
            text = f"a list of {_count(self.lengths)}{'distinct ' if self.unique else ''}items, " \
                   f"each {scalar}"
        elif self.kind is dict:
            keys = "{" + ", ".join(self.keys) + "}" if self.keys else "names"
            text = f"a mapping of {keys} to {scalar}"
        else:
            text = scalar
        text += " or null" if self.optional else ""
        return f"{text} ({self.why})" if self.why else text

    def _describe_scalar(self, kind: type) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        words = {bool: "true or false", int: "an integer", float: "a finite number",
                 str: "a non-empty string"}[kind]
        if kind in (int, float) and (self.low is not None or self.high is not None):
            words += f" in {_num(self.low, '-inf')}..{_num(self.high, 'inf')}"
        if kind is str and self.pattern not in (None, ".+"):
            words += f" matching {self.pattern}"
        return words

    def check(self, name: str, value: Any) -> None:
        """Raise ``ValueError`` (one line: field, value, what is allowed) if ``value`` is outside."""
        if not self.contains(value):
            raise ValueError(f"{name}: {_show(value)} is not allowed; allowed: {self.describe()}")

    def contains(self, value: Any) -> bool:
        """Whether ``value`` lies in this domain."""
        if value is None:
            return self.optional
        if self.kind is list:
            items = list(value) if isinstance(value, (list, tuple)) else None
            return (items is not None and (self.lengths is None or len(items) in self.lengths)
                    and (not self.unique or len(set(map(str, items))) == len(items))
                    and all(self._scalar_ok(self.item, v) for v in items))
        if self.kind is dict:
            return (isinstance(value, dict) and set(value) == set(self.keys or value)
                    and all(self._scalar_ok(self.item, v) for v in value.values()))
        return self._scalar_ok(self.kind, value)

    def _scalar_ok(self, kind: type, v: Any) -> bool:
        if kind is bool:
            return isinstance(v, bool)
        if kind in (int, float):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return False
            if kind is int and not float(v).is_integer():
                return False
            if not math.isfinite(v):
                return False
            if self.low is not None and v < self.low or self.high is not None and v > self.high:
                return False
        if kind is str:
            if not isinstance(v, str) or not v or not re.fullmatch(self.pattern or ".+", v):
                return False
        return self.choices is None or v in self.choices

    def outside(self) -> list:
        """Values outside this domain (at least one), for generated bad-input tests."""
        kind = self.item or self.kind
        bad = [self._bad_scalar(kind), *self._more_bad(kind)]
        if self.kind is list:
            good = self._good_scalar(kind)
            n = min(self.lengths) if self.lengths else 1
            out = [[b] * max(n, 1) for b in bad]
            if self.lengths:
                out.append([good] * (max(self.lengths) + 1))
            if self.unique and n <= 1:
                out.append([good, good])
            return out
        if self.kind is dict:
            good = {k: self._good_scalar(kind) for k in self.keys or ("x",)}
            first = next(iter(good))
            return [{**good, first: b} for b in bad] + ([{**good, "unknown": good[first]}]
                                                        if self.keys else [])
        return bad

    def _bad_scalar(self, kind: type) -> Any:
        if self.choices is not None:
            return "nonsense" if kind is str else (max(self.choices) + 1)
        if kind is bool:
            return "maybe"
        if kind in (int, float):
            return self.high * 1000 + 1 if self.high is not None else (
                self.low - 1 if self.low is not None else float("nan"))
        return ""  # every string must be non-empty

    def _more_bad(self, kind: type) -> list:
        """Further scalars outside: below the range, not finite."""
        out = [self.low - 1] if kind in (int, float) and self.low is not None else []
        return out + [float("inf")] if kind is float else out

    def _good_scalar(self, kind: type) -> Any:
        if self.choices is not None:
            return self.choices[0]
        return {bool: True, int: int(self.low or 1), float: float(self.low or 1.0), str: "x"}[kind]


def value(default: Any = MISSING, domain: Optional[Domain] = None, **kw) -> Any:
    """A dataclass field with its domain: ``value(2, Domain(int, 1, 64))``; a list or dict default
    is copied per instance. ``kw`` builds the domain, or amends ``domain`` where both are given."""
    domain = replace(domain, **kw) if domain else Domain(**kw)
    meta = {"domain": domain}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def nested(cls: type) -> Any:
    """A sub-config field (its own fields carry the domains)."""
    return field(default_factory=cls)


def domains(cls: type, prefix: str = "") -> Iterator[tuple[str, Domain]]:
    """(dotted field name, domain) of every leaf field of the config dataclass ``cls``;
    ``TypeError`` names a field that declares no domain."""
    for f in fields(cls):
        name = f"{prefix}{f.name}"
        if is_dataclass(f.default_factory if f.default_factory is not MISSING else None):
            yield from domains(f.default_factory, f"{name}.")
        elif "domain" in f.metadata:
            yield name, f.metadata["domain"]
        else:
            raise TypeError(f"{name}: the field declares no domain (description.domain.value)")


def check_domains(config: Any, prefix: str = "") -> None:
    """Check every field of the dataclass instance ``config`` against its declared domain."""
    for f in fields(config):
        name, v = f"{prefix}{f.name}", getattr(config, f.name)
        if is_dataclass(v):
            check_domains(v, f"{name}.")
        elif "domain" in f.metadata:
            f.metadata["domain"].check(name, v)


def domain_of(cls: type, name: str) -> Optional[Domain]:
    """The domain of the dotted field ``name`` of ``cls`` (None if it has none)."""
    return dict(domains(cls)).get(name)


def _count(lengths: Optional[tuple]) -> str:
    if not lengths:
        return ""
    if len(lengths) > 2 and list(lengths) == list(range(lengths[0], lengths[-1] + 1)):
        return f"{lengths[0]}-{lengths[-1]} "
    return " or ".join(map(str, lengths)) + " "


def _num(x: Optional[float], none: str) -> str:
    if x is None:
        return none
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def _show(value: Any) -> str:
    text = repr(list(value) if isinstance(value, tuple) else value)
    return text if len(text) <= 60 else text[:57] + "..."
