"""Parts (parts.py, workers.py, theme.yaml `parts:`), short of layout: how the HTML is cut, what is
written into each part, how the numbers follow from the parts' page counts, and how workers
report their results and failures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dossier import parts, theme, workers
from dossier.cli import main
from dossier.errors import DossierError, Location

DOC = """<!DOCTYPE html>
<html lang="en"><head><title>T</title></head>
<body>
<section class="cover" data-part="front"><div class="run" data-part-carry>Title</div><p>cover</p></section>
<nav id="contents"><a href="#one">One</a> <a href="#two">Two</a></nav>
<section id="one" data-part="one"><h2>One</h2><p>see <a class="xref" href="#two">two</a>, <a href="#x1">here</a>
<span id="x1">x</span><span class="footnote" data-note="n1" data-src="a:1:1">n</span><br><img src="a.png"></p></section>
<section id="two" data-part="two" data-part-opens="right"><h2>Two</h2><p>back to <a href="#one">one</a>, <a href="#nowhere">nothing</a>
<span data-part="inner">not a part</span><span class="footnote" data-note="n2" data-src="a:2:1">n</span></p></section>
</body>
</html>
"""
CSS = (
    '@page { @bottom-right { content: "Page " counter(page) " of " counter(pages); } }\n'
    ".toc a::after { content: target-counter( attr(href) , page); }\n"
)


def test_parts_are_the_marked_children_of_the_body() -> None:
    s = parts.split(DOC)
    assert s is not None
    assert [p.name for p in s.parts] == ["front", "one", "two"]
    assert "contents" in s.parts[0].ids  # what follows a part unmarked belongs to it
    assert s.parts[1].ids == {"one", "x1"}
    assert [p.opens_right for p in s.parts] == [False, False, True]
    assert [p.notes for p in s.parts] == [0, 1, 1]
    assert s.carry == '<div class="run" data-part-carry>Title</div>'
    assert "".join(p.body for p in s.parts) in DOC  # nothing lost, nothing repeated


def test_a_document_without_parts_is_typeset_whole() -> None:
    assert parts.split(DOC.replace("data-part=", "data-x=")) is None
    assert parts.split('<html><body><section data-part="only">x</section></body></html>') is None


def test_each_part_is_a_document_with_the_numbers_written_in() -> None:
    s = parts.split(DOC)
    assert s is not None
    numbers = parts.Numbers({"contents": 2, "one": 3, "x1": 4, "two": 5}, (1, 3, 5), (False, False, True), 7)
    html, css = parts.fill(s, 1, numbers, CSS)
    assert html.startswith(DOC[: DOC.index("<body>") + len("<body>")]) and html.endswith("</body>\n</html>\n")
    assert '<section id="one" data-part="one"><div class="run" data-part-carry>Title</div><h2>' in html
    assert '<a class="xref" href="dossier-anchor:two" data-page="5">' in html  # in another part
    assert '<a href="#x1" data-page="4">' in html  # in this one
    assert "cover" not in html and "Two</h2>" not in html
    assert 'content: "Page " counter(page) " of " "7";' in css
    assert "content: attr(data-page);" in css
    assert "@page :first { counter-reset: page 3; }" in css
    assert "html { counter-reset: footnote 0; }" not in css
    html, css = parts.fill(s, 2, numbers, CSS)
    assert '<a href="dossier-anchor:one" data-page="3">' in html
    assert '<a href="#nowhere">' in html  # a link to nothing stays as it is
    assert "html { counter-reset: footnote 1; }" in css
    html, css = parts.fill(s, 0, parts.guess(s), CSS)
    assert '<a href="dossier-anchor:one" data-page="00">' in html  # not known yet: a placeholder
    assert "counter-reset: page" not in css and '" of " "00"' in css
    assert 'data-part-carry>Title</div><div class="run"' not in html  # carried into later parts only


def test_numbers_follow_from_the_page_counts() -> None:
    s = parts.split(DOC)
    assert s is not None
    # part two would open on page 6, a left-hand page: a blank page before it
    numbers = parts.settle(s, [2, 3, 4], [{"contents": 2}, {"one": 1, "x1": 3}, {"two": 1}])
    assert numbers.starts == (1, 3, 7) and numbers.blanks == (False, False, True)
    assert numbers.total == 10 and dict(numbers.pages) == {"contents": 2, "one": 3, "x1": 5, "two": 7}
    numbers = parts.settle(s, [2, 2, 4], [{}, {}, {"two": 1}])
    assert numbers.starts == (1, 3, 5) and numbers.blanks == (False, False, False)
    assert numbers.total == 8 and dict(numbers.pages) == {"two": 5}


def test_theme_parts_key(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "theme.yaml").write_text("fonts: [Noto Serif]\n")
    assert theme.read_theme([folder]).parts is False
    (folder / "theme.yaml").write_text("fonts: [Noto Serif]\nparts: true\n")
    assert theme.read_theme([folder]).parts is True
    (folder / "theme.yaml").write_text("fonts: [Noto Serif]\nparts: yes please\n")
    with pytest.raises(DossierError) as info:
        theme.read_theme([folder])
    assert [str(p) for p in info.value.problems] == [f"{folder}/theme.yaml:2:8: parts: expected true or false, got 'yes please'"]


def test_jobs_must_be_a_number_of_processes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["build", "content", "--jobs", "0"])
    assert "argument --jobs: '0' is not a number of processes, expected 1, 2" in capsys.readouterr().err


def _square(n: int) -> int:
    if n == 13:
        raise DossierError.at(Location("x.yaml", 13, 1), "thirteen, expected another number")
    if n == 99:
        os._exit(3)  # a worker that dies (native code aborting, say)
    return n * n


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_workers_give_the_results_in_order(jobs: int) -> None:
    items = list(range(10))
    assert workers.run(_square, items, jobs, "squaring", sizes=items) == [n * n for n in items]


def test_a_workers_problem_is_reported_as_the_build_reports_it() -> None:
    with pytest.raises(DossierError) as info:
        workers.run(_square, [1, 2, 13, 4], 2, "squaring")
    assert [str(p) for p in info.value.problems] == ["x.yaml:13:1: thirteen, expected another number"]


def test_a_worker_that_dies_is_an_error_not_a_hang() -> None:
    with pytest.raises(DossierError) as info:
        workers.run(_square, [1, 99, 2], 2, "squaring")
    assert "squaring died, most likely above the memory ceiling" in str(info.value.problems[0])


def test_default_jobs_is_the_cores_at_most_four() -> None:
    assert 1 <= workers.default_jobs() <= min(4, len(os.sched_getaffinity(0)))


def test_default_theme_marks_every_section_as_a_part() -> None:
    folder = theme.default_theme()
    for section in sorted(folder.glob("section-*.html")):
        assert f'data-part="{section.stem.removeprefix("section-")}"' in section.read_text(), section.name
    assert 'data-part="front"' in (folder / "cover.html").read_text()
