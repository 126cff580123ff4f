"""Shared fixtures: the example and the small fixture dossier, each built once per session;
and the `layout` and `pandoc` markers, put on every test that lays out a PDF or runs pandoc
(`make test-fast` leaves both out; `make test-check` only the first)."""

from __future__ import annotations

import ast
import atexit
import inspect
import io
import os
import re
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Callable
from contextlib import redirect_stderr
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"

# The whole run (each xdist worker) keeps its cache in a fresh folder, removed at the end:
# no test writes ~/.cache, and no run sees what an earlier one kept.
CACHE = Path(tempfile.mkdtemp(prefix="dossier-test-cache-"))
os.environ["DOSSIER_CACHE"] = str(CACHE)
atexit.register(shutil.rmtree, CACHE, True)


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages name files relative to the working folder: run every test from the repository root."""
    monkeypatch.chdir(ROOT)


def _build(src: Path, out: Path) -> Path:
    from dossier.build import build

    build(src, out)
    return out


@pytest.fixture(scope="session")
def example_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(ROOT / "content", tmp_path_factory.mktemp("example") / "briefing.pdf")


@pytest.fixture(scope="session")
def example(example_pdf: Path) -> PdfReader:
    return PdfReader(example_pdf)


@pytest.fixture(scope="session")
def example_email(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The example built by the CLI with --profile email and a budget it exceeds; the lines printed
    (test_profile_email reads the warning, test_email_slim the PDF: one build for both)."""
    from dossier.cli import main

    out = tmp_path_factory.mktemp("email") / "briefing-email.pdf"
    err = io.StringIO()
    with redirect_stderr(err):
        assert main(["build", str(ROOT / "content"), "--profile", "email", "--max-size", "100kB", "-o", str(out)]) == 0
    return out, err.getvalue().splitlines()


@pytest.fixture(scope="session")
def example_email_pdf(example_email: tuple[Path, list[str]]) -> Path:
    return example_email[0]


@pytest.fixture(scope="session")
def small_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(FIXTURES / "small", tmp_path_factory.mktemp("small") / "small.pdf")


@pytest.fixture
def dossier_copy(tmp_path: Path) -> Path:
    """A writable copy of the small fixture dossier, to break in one test."""
    dest = tmp_path / "d"
    shutil.copytree(FIXTURES / "small", dest)
    return dest


def page_texts(reader: PdfReader) -> list[str]:
    return [p.extract_text() or "" for p in reader.pages]


# -- the `layout` marker ----------------------------------------------------------------------
# A test lays out a PDF when its body, a fixture it uses or a function of its module that either
# calls reaches one of these calls. Read from the source, so that a new test is classified
# without anyone marking it; `pytestmark = pytest.mark.layout` (or the mark on one test) still
# works for a layout this does not see.
LAYOUT_CALL = re.compile(
    r"""\b(?:build\.build|build|typeset|build_pdf)\("""  # the build, WeasyPrint's typesetting
    r"""|\bHTML\(|\.write_pdf\("""  # WeasyPrint called directly
    r"""|\[\s*["']build["']|["']dossier["'],\s*["']build["']"""  # the CLI's build, in process or not
)

# A test runs pandoc (about half a second a call) when it checks or formats a dossier, or reads BibTeX.
PANDOC_CALL = re.compile(
    r"""\b(?:check|prepare|format_dossier|run_pandoc|read_bibtex|read_entries|pandoc_path)\("""
    r"""|\[\s*["']check["']|["']dossier["'],\s*["']check["']"""  # the CLI's check
)


@cache
def _calls(pattern: re.Pattern[str], func: Callable[..., Any]) -> bool:
    """Whether `func`, or a function of its own module that it names (and so on), makes a call
    `pattern` matches."""
    seen: set[Callable[..., Any]] = set()
    todo = [func]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            source = textwrap.dedent(inspect.getsource(current))
        except (OSError, TypeError):
            continue
        if pattern.search(source):
            return True
        module = sys.modules.get(current.__module__)
        for name in {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}:
            other = getattr(module, name, None)
            if inspect.isfunction(other) and other.__module__ == current.__module__:
                todo.append(other)
    return False


def lays_out(item: pytest.Item, pattern: re.Pattern[str] = LAYOUT_CALL) -> bool:
    """Whether a collected test makes a call of `pattern` (by default: lays out a PDF): its own
    code or any fixture it uses does."""
    if not isinstance(item, pytest.Function):
        return False
    if _calls(pattern, item.obj):
        return True
    fixtures = item._fixtureinfo.name2fixturedefs  # the fixtures this test closes over, by name
    return any(_calls(pattern, d.func) for defs in fixtures.values() for d in defs)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("layout") is None and lays_out(item):
            item.add_marker(pytest.mark.layout)
        if item.get_closest_marker("pandoc") is None and lays_out(item, PANDOC_CALL):
            item.add_marker(pytest.mark.pandoc)
