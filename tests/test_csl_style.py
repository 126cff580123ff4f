"""A dossier's own CSL style, judged as pandoc's citeproc reads it (issue 8, holes 1 and 4).

The located refusals are cases in fixtures/invalid/csl-*; here: what must still pass,
and the cases that need a build or a generated style.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dossier.build import prepare
from dossier.cite import STYLES_DIR
from dossier.cslstyle import MAX_EXPANSION, check_style
from dossier.errors import DossierError

_STYLE = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" xmlns:x="urn:x" class="in-text" version="1.0" default-locale="en-US">
  <info>
    <title>Own style</title>
    <id>own</id>
    <link href="http://example.org/own" rel="self"/>
    <link href="http://example.org/docs" rel="documentation"/>
    <updated>2020-01-01T00:00:00+00:00</updated>
  </info>
  <locale xml:lang="en">
    <terms><term name="and">and</term></terms>
  </locale>
{macros}  <citation>
    <layout delimiter="; ">
      <text macro="m0"/>
    </layout>
  </citation>
  <bibliography>
    <layout>
      <text macro="m0" suffix=". "/>
      <text variable="title" x:note="a note in another namespace"/>
    </layout>
  </bibliography>
</style>
"""
_LEAF = '  <macro name="m{i}">\n    <names variable="author"/>\n  </macro>\n'


def _chain(depth: int, calls: int) -> str:
    """Macros m0 … m{depth}, each calling the next `calls` times."""
    out = []
    for i in range(depth):
        body = "".join(f'    <text macro="m{i + 1}"/>\n' for _ in range(calls))
        out.append(f'  <macro name="m{i}">\n{body}  </macro>\n')
    return "".join(out) + _LEAF.format(i=depth)


def test_bundled_styles_pass() -> None:
    styles = sorted(STYLES_DIR.glob("*.csl"))
    assert [p.name for p in styles] == ["chicago-author-date.csl", "chicago-notes-bibliography.csl"]
    for path in styles:
        check_style(path.read_text(encoding="utf-8"), path.name)


def test_own_style_with_links_locales_and_foreign_attributes_builds(dossier_copy: Path) -> None:
    """`rel="self"` links, `xml:lang`, attributes in other namespaces and shared macros are ordinary CSL."""
    (dossier_copy / "own.csl").write_text(_STYLE.format(macros=_chain(5, 2)), encoding="utf-8")
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text().replace("citation_style: chicago-author-date", "citation_style: own.csl"))
    assert "citation_style: own.csl" in path.read_text()
    p = prepare(dossier_copy)
    assert p.formatted.bibliography


def test_macros_that_expand_to_billions_are_refused() -> None:
    """No cycle, but each macro calls the next twice: 2^40 elements once expanded."""
    text = _STYLE.format(macros=_chain(40, 2))
    with pytest.raises(DossierError) as exc:
        check_style(text, "own.csl")
    (problem,) = exc.value.problems
    assert f"expands to more than {MAX_EXPANSION:,} elements" in problem.message
    assert problem.location.line > 1 and problem.location.col > 1


def test_macros_nested_too_deep_are_refused_without_a_traceback() -> None:
    with pytest.raises(DossierError) as exc:
        check_style(_STYLE.format(macros=_chain(5000, 1)), "own.csl")
    assert "more than 100 deep" in exc.value.problems[0].message


@pytest.mark.parametrize(
    "link",
    [
        '<link rel="independent-parent" href="{canary}"/>',
        '<link xmlns="urn:x" rel="independent-parent" href="{canary}"/>',
        '<y:link xmlns:y="urn:y" y:rel="independent-parent" y:href="{canary}"/>',
        '<link rel=" independent-parent " href="{canary}"/>',
        '<link rel="&#105;ndependent-parent" href="{canary}"/>',
        '<link rel="Independent-Parent" href="{canary}"/>',
    ],
)
def test_a_parent_style_in_any_spelling_is_never_read(dossier_copy: Path, link: str) -> None:
    canary = dossier_copy / "canary.csl"
    canary.write_text("CANARY-CONTENT", encoding="utf-8")
    style = _STYLE.format(macros=_LEAF.format(i=0)).replace("<updated>", link.format(canary=canary) + "\n    <updated>")
    (dossier_copy / "own.csl").write_text(style, encoding="utf-8")
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text().replace("citation_style: chicago-author-date", "citation_style: own.csl"))
    with pytest.raises(DossierError) as exc:
        prepare(dossier_copy)
    messages = [str(p) for p in exc.value.problems]
    assert any("own.csl:8:5:" in m and "a dependent CSL style" in m for m in messages), messages
    assert not any("CANARY-CONTENT" in m for m in messages)


def test_elements_nested_without_end_are_a_located_error() -> None:
    body = "<group>" * 10_000 + '<text variable="title"/>' + "</group>" * 10_000
    text = _STYLE.format(macros=f'  <macro name="m0">{body}</macro>\n')
    with pytest.raises(DossierError) as exc:
        check_style(text, "own.csl")
    (problem,) = exc.value.problems
    assert "nested more than 100 deep" in problem.message
    assert (problem.location.line, problem.location.col) == (13, 20 + 7 * 98)  # the 101st element: the 99th <group>
