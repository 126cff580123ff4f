"""Templates see plain data only, and may call only what the sandbox's allow-list names.

A dossier's own `templates/` is code written by whoever wrote the content. Each attack
below is a template line of such a dossier, run through `check` and `build`; each must
stop at its line with a template error, print nothing it should not, and neither read
nor create a file outside the dossier. An audit hook (inherited by the forked child the
templates run in) records every file opened under the watched places.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml
from markupsafe import Markup
from pypdf import PdfReader

from dossier import view
from dossier.build import build, check, prepare
from dossier.dates import DateValue, PartialDate
from dossier.errors import DossierError
from dossier.sandbox import Limits

ROOT = Path(__file__).resolve().parents[1]
CALL = "template error: calling '{}' is not allowed in a template, expected a filter, a macro"

# (template line, what the error says after "FILE:2:1: "); {out} is a folder outside the dossier.
ATTACKS = [
    ("{{ d.root.joinpath('{out}/secret.txt').read_text() }}", "undefined name: 'Dossier' has no attribute 'root'"),
    ("{{ d.root.joinpath('{out}/made.txt').write_text('x') }}", "undefined name: 'Dossier' has no attribute 'root'"),
    ("{{ (d|attr('root')).parent }}", "undefined name: 'Dossier' has no attribute 'root'"),
    ("{{ d.summary.node.start_mark }}", "undefined name: 'RichText' has no attribute 'node'"),
    ("{{ d.summary.source.text }}", "undefined name: 'RichText' has no attribute 'source'"),
    ("{{ d.title.loc }}", "undefined name: 'str' has no attribute 'loc'"),
    ("{{ d.chronology[0].date_loc }}", "undefined name: 'Event' has no attribute 'date_loc'"),
    ("{{ d.extra['x-odd'].a.copy() }}", CALL.format("mappingproxy.copy")),
    ("{{ ''.__class__.__mro__ }}", "template error: access to attribute '__class__' of 'str' object is unsafe."),
    ("{{ d.__class__ }}", "template error: access to attribute '__class__' of 'Dossier' object is unsafe."),
    ("{{ d.edition.iso.__func__ }}", "template error: access to attribute '__func__' of 'method' object is unsafe."),
    ("{{ lipsum(5) }}", "undefined name: 'lipsum' is undefined"),
    ("{{ cycler.__init__ }}", "template error: access to attribute '__init__' of 'type' object is unsafe."),
    ("{{ self._TemplateReference__context }}", "template error: access to attribute '_TemplateReference__context'"),
    ("{{ namespace.__init__.__globals__ }}", "template error: access to attribute '__init__' of 'type' object is unsafe."),
    ("{{ config }}", "undefined name: 'config' is undefined"),
    ("{{ request }}", "undefined name: 'request' is undefined"),
    ("{{ formatted }}", "undefined name: 'formatted' is undefined"),
    ("{% for k, v in words.items() %}{{ v.encode() }}{% endfor %}", CALL.format("str.encode")),
    ("{{ '{0.__class__}'.format(d) }}", "template error: access to attribute '__class__' of 'Dossier' object is unsafe."),
    ("{{ ('{0.__class__}'|attr('format'))(d) }}", "template error: access to attribute '__class__' of 'Dossier' object"),
    ("{{ d|attr('__class__') }}", "template error: access to attribute '__class__' of 'Dossier' object is unsafe."),
    ("{{ ('x'|attr('encode'))() }}", CALL.format("str.encode")),
    ("{{ d.chronology|map('attr', '__class__')|join }}", "template error: access to attribute '__class__' of 'Event'"),
    ("{{ d.chronology|map('rich')|list }}", "template error: rich: got 'Event', expected a rich-text field"),
    ("{{ d.title|rich }}", "template error: rich: got text, expected a rich-text field such as d.summary or e.text"),
    ("{{ [].append(1) }}", "template error: access to attribute 'append' of 'list' object is unsafe."),
    ("{{ {}.update(a=1) }}", "template error: access to attribute 'update' of 'dict' object is unsafe."),
    ("{{ 'x'|random }}", "template syntax error: No filter named 'random'."),
    ("{{ range(10**9)|list }}", "template error: Range too big. The sandbox blocks ranges larger than MAX_RANGE"),
    ("{{ 'a' * 10**9 }}", "template error: a text repeated 1,000,000,000 times makes 1,000,000,000 characters"),
    ("{{ [1] * 10**9 }}", "template error: a list repeated 1,000,000,000 times makes 1,000,000,000 items"),
    ("{{ 10 ** 100000000 }}", "template error: 10 ** 100000000 has more than 100,000 bits, expected a smaller number"),
    ("{{ '{:>200000000}'.format('') }}", "template error: the templates print more than 100,000,000 characters"),
    ("{{ ''|center(200000000) }}", "template error: the templates print more than 100,000,000 characters"),
    ("{{ d.interpretations[0].stances.copy() }}", CALL.format("mappingproxy.copy")),
    ("{{ (1).bit_length() }}", CALL.format("int.bit_length")),
    ("{{ self() }}", CALL.format("TemplateReference")),
]


@pytest.fixture(scope="module")
def _audit() -> Iterator[dict[str, Any]]:
    """The files opened under `state['watched']` while `state['fd']` is set, one a line."""
    state: dict[str, Any] = {"fd": None, "watched": ()}

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and state["fd"] is not None and isinstance(args[0], (str, bytes, os.PathLike)):
            path = os.path.abspath(os.fsdecode(args[0]))
            if any(path == w or path.startswith(w + os.sep) for w in state["watched"]):
                os.write(state["fd"], path.encode() + b"\n")  # os.write: no audit event of its own

    sys.addaudithook(hook)  # cannot be removed: it does nothing once the module is done
    yield state
    state["fd"] = None


def _dossier_with(root: Path, line: str, outside: Path) -> Path:
    import shutil

    shutil.copytree(ROOT / "tests" / "fixtures" / "small", root)
    (root / "dossier.yaml").write_text((root / "dossier.yaml").read_text() + "x-odd: {a: {b: [c, d]}, n: '3'}\n")
    (root / "templates").mkdir()
    (root / "templates" / "contents.html").write_text("<nav>\n" + line.replace("{out}", str(outside)) + "\n</nav>\n")
    return root


@pytest.mark.parametrize("command", ["check", "build"])
@pytest.mark.parametrize(("line", "message"), ATTACKS, ids=[a for a, _ in ATTACKS])
def test_template_attack_is_refused_at_its_line(tmp_path: Path, _audit: dict[str, Any], line: str, message: str, command: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("SECRET-b1c9e0\n")
    root = _dossier_with(tmp_path / "d", line, outside)
    log = tmp_path / "opened.log"
    _audit["watched"] = (str(outside), "/etc/passwd", "/etc/hostname")
    _audit["fd"] = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        with pytest.raises(DossierError) as info:
            if command == "check":
                check(root, Limits(memory_mib=2048))
            else:
                build(root, tmp_path / "o.pdf", Limits(memory_mib=2048))
    finally:
        os.close(_audit["fd"])
        _audit["fd"] = None
    problems = [str(p) for p in info.value.problems]
    assert len(problems) == 1 and problems[0].startswith(f"{root}/templates/contents.html:2:1: {message}"), problems
    assert "SECRET-b1c9e0" not in problems[0]
    assert log.read_text() == ""  # nothing outside the dossier was opened
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "opened.log", "outside"]  # no PDF either


def test_allowed_calls_work_in_a_build(dossier_copy: Path, tmp_path: Path) -> None:
    """Jinja's helpers, macros, blocks and the listed methods still work, in a PDF."""
    (dossier_copy / "templates").mkdir()
    (dossier_copy / "templates" / "contents.html").write_text(
        "{% macro tag(x) %}[{{ x }}|{{ caller() }}]{% endmacro %}"
        "<nav>{% set ns = namespace(n=0) %}{% set j = joiner('+') %}{% set c = cycler('odd', 'even') %}"
        "{% for e in d.chronology %}{% set ns.n = ns.n + 1 %}{{ j() }}{{ loop.cycle('A', 'B') }}{{ c.next() }}{% endfor %}"
        "<p>N{{ ns.n }} {{ d.title.upper().split(' ')|join('_') }} {{ '{}-{}'.format(d.edition.iso(), d.language) }}"
        " {{ dict(k='v').get('k') }} {{ words.get('contents') }} {{ d.extra.get('x-desk', 'none') }}"
        " {% call tag('m') %}inner{% endcall %} {{ range(3)|list|sum }} {{ '-' * 3 }} {{ 2 ** 10 }}"
        " {{ d.summary.value.startswith('The treaty') }}</p></nav>\n"
    )
    out = tmp_path / "o.pdf"
    build(dossier_copy, out)
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(out).pages).split())
    events = len(prepare(dossier_copy).dossier.chronology)
    cycle = "+".join(f"{'AB'[n % 2]}{('odd', 'even')[n % 2]}" for n in range(events))
    assert cycle in text
    assert f"N{events} THE_SVALBARD_TREATY_OF_1920 2026-03-01-en v Contents none [m|inner] 3 --- 1024 True" in text


def test_rich_text_left_out_of_sections_is_an_error_at_the_template_line(dossier_copy: Path) -> None:
    """A field richtext did not format (its section is left out) is an error, never an empty string."""
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text() + "sections: [summary, chronology, excerpts, bibliography]\n")
    (dossier_copy / "templates").mkdir()
    (dossier_copy / "templates" / "contents.html").write_text("<nav>\n{{ d.interpretations[0].text|rich }}\n</nav>\n")
    with pytest.raises(DossierError) as info:
        check(dossier_copy)
    assert [str(p) for p in info.value.problems if p.severity == "error"] == [
        f"{dossier_copy}/templates/contents.html:2:1: template error: rich: no HTML for 'interpretations.yaml#/0/text',"
        " expected a field of a section listed in 'sections'"
    ]
    (dossier_copy / "templates" / "contents.html").write_text("<nav>\n\n{{ d.interpretations[1]|sources }}\n</nav>\n")
    with pytest.raises(DossierError) as info:
        check(dossier_copy)
    assert str(info.value.problems[0]) == (
        f"{dossier_copy}/templates/contents.html:3:1: template error: sources: no HTML for 'interpretations.yaml#/1',"
        " expected a field of a section listed in 'sections'"
    )


def _leaves(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        assert type(value).__dataclass_params__.frozen, where  # type: ignore[attr-defined]
        for f in dataclasses.fields(value):
            yield from _leaves(getattr(value, f.name), f"{where}.{f.name}")
    elif isinstance(value, MappingProxyType):
        for k, v in value.items():
            yield from _leaves(k, f"{where} key")
            yield from _leaves(v, f"{where}[{k!r}]")
    elif isinstance(value, tuple):
        for n, v in enumerate(value):
            yield from _leaves(v, f"{where}[{n}]")
    else:
        yield where, value


@pytest.mark.parametrize("folder", ["content", "tests/fixtures/small"])
def test_templates_see_only_frozen_plain_data(folder: str) -> None:
    """Every value reachable from `d` is a string, number, boolean or None inside frozen records,
    tuples and read-only mappings: no Path, no YAML node, no source file, nothing that can act."""
    d = view.dossier_view(prepare(ROOT / folder).dossier)
    kinds = set()
    for where, leaf in _leaves(d, "d"):
        assert leaf is None or type(leaf) in (str, int, bool, float), (where, type(leaf))
        kinds.add(type(leaf))
    assert str in kinds and bool in kinds
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.title = "x"  # type: ignore[misc]
    assert isinstance(d.edition, DateValue) and isinstance(d.edition.start, PartialDate)


def _pointer(data: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def test_rich_text_keys_name_where_each_field_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each key is FILE#/json/pointer into the file as written (not print order), the same from
    any working folder, and richtext's HTML is found under it for every field it formats."""
    p = prepare(ROOT / "content")
    from dossier.fields import model_fields

    fields = model_fields(p.dossier)
    keys = [f.owner for f in fields]
    assert len(set(keys)) == len(keys) > 20
    for f in fields:
        file, pointer = f.owner.split("#")
        data = yaml.safe_load((ROOT / "content" / file).read_text())
        written = _pointer(data, pointer)
        if f.mode == "cite":
            assert f.owner in p.formatted.sources and isinstance(written, dict)
        else:
            assert written == f.origin.value and isinstance(p.formatted.html[f.owner], Markup)
    assert all(re.fullmatch(r"chronology\.yaml#/\d+/text", e.text.key) for e in p.dossier.chronology if e.text)
    monkeypatch.chdir(tmp_path)
    assert [f.owner for f in model_fields(prepare(ROOT / "content").dossier)] == keys
