"""Shared fixtures: the example and the small fixture dossier, each built once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


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
