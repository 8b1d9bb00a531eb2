"""The README stays short, and every relative link in it and in docs/*.md leads somewhere.

Fast and import-light: plain text parsing, no project imports. Anchors follow GitHub's heading
slugs (lower case; punctuation other than '-' and '_' dropped; each space a '-'; a repeated
heading gets '-1', '-2', ...).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
MAX_README_LINES = 150

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
INLINE_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def _prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's rendered text."""
    text = INLINE_CODE.sub(lambda m: m.group(2), heading)
    text = INLINE_LINK.sub(lambda m: m.group(1), text)
    text = re.sub(r"<[^>]+>", "", text).replace("*", "")
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a Markdown page, duplicates numbered as GitHub does."""
    seen: dict[str, int] = {}
    out = set()
    for line in _prose_lines(page.read_text(encoding="utf-8")):
        m = HEADING.match(line)
        if not m:
            continue
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(page: Path) -> list[str]:
    """The targets of a page's inline and reference links, outside code."""
    targets = []
    for line in _prose_lines(page.read_text(encoding="utf-8")):
        m = REF_DEF.match(line)
        if m:
            targets.append(m.group(1))
            continue
        prose = INLINE_CODE.sub("code", line)
        targets += [m.group(2) for m in INLINE_LINK.finditer(prose)]
    return targets


def broken(page: Path, root: Path = ROOT) -> list[str]:
    """Why each relative link of a page does not resolve ([] if all do)."""
    problems = []
    for target in links(page):
        if not target or SCHEME.match(target):
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if root not in (dest, *dest.parents):
            problems.append(f"{target}: outside the repository")
        elif not dest.exists():
            problems.append(f"{target}: no such file or folder")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{target}: no heading '#{anchor}' in {dest.relative_to(root)}")
    return problems


def test_readme_is_short():
    n = len(README.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_README_LINES, f"README.md has {n} lines (at most {MAX_README_LINES}): move detail to docs/"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    assert broken(page) == []


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in links(README) if not SCHEME.match(t)}
    assert [str(p.relative_to(ROOT)) for p in DOCS if p.resolve() not in linked] == []


@pytest.mark.parametrize("heading, anchor", [
    ("Set-up: two commands on a fresh machine", "set-up-two-commands-on-a-fresh-machine"),
    ("`description/`: what a run is", "description-what-a-run-is"),
    ("sigma_seed: replicates, a prior, or unknown", "sigma_seed-replicates-a-prior-or-unknown"),
    ("Paired seeds (on CPU)", "paired-seeds-on-cpu"),
    ("Bad input: one line, before anything runs", "bad-input-one-line-before-anything-runs"),
    ("Benchmarks: what was measured, on what, and how far to trust it",
     "benchmarks-what-was-measured-on-what-and-how-far-to-trust-it"),
])
def test_slugs_follow_githubs_rules(heading, anchor):
    assert slug(heading) == anchor


def test_a_broken_link_and_a_missing_anchor_are_caught(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n[a](page.md#title) [b](page.md#nope) [c](missing.md) [d](#title)\n"
                    "`[e](in-code.md)`\n```\n[f](fenced.md)\n```\n[g](https://example.org)\n"
                    "[h](../outside.md)\n")
    (tmp_path.parent / "outside.md").touch()
    assert broken(page, root=tmp_path.resolve()) == [
        "page.md#nope: no heading '#nope' in page.md",
        "missing.md: no such file or folder",
        "../outside.md: outside the repository"]


CODE_PATH = re.compile(r"(?<![\w/.-])((?:tests|description|sweeps|launchers|training|msfm|results|stats|"
                       r"analysis|hydra_plugins|benchmarks|scripts|conf)/[\w/.-]*\.(?:py|yaml|sh))\b")


USER_FILES = ("conf/local/",)  # a site's own settings, git-ignored: named, never shipped


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_code_path_named_in_the_docs_exists(page):
    """A renamed module must not leave a page naming its old path (``stats/detections.py``, ...)."""
    missing = sorted({m for m in CODE_PATH.findall(page.read_text())
                      if not (ROOT / m).exists() and not m.startswith(USER_FILES)})
    assert not missing, f"{page.name} names files that do not exist: {missing}"
