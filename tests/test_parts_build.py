"""Parts typeset on their own (theme.yaml `parts: true`): one process or several, a cold store
or a warm one, the PDF is the same bytes; its text, page by page, is the whole-document build's
(contents, "see p. N", "Page X of Y", backrefs); and no edit to any input leaves a stale part."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dossier import cache
from dossier.build import build
from dossier.errors import DossierError
from dossier.profiles import NAMES, Profile

ROOT = Path(__file__).resolve().parents[1]
EPOCH = "1700000000"


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def with_parts(source: Path, dest: Path, on: bool = True) -> Path:
    """A copy of a dossier whose theme.yaml (the default theme's) says `parts:`."""
    shutil.copytree(source, dest)
    own = dest / "templates"
    own.mkdir(exist_ok=True)
    text = (ROOT / "templates" / "theme.yaml").read_text()
    text = re.sub(r"^parts: .*$", "", text, flags=re.M)
    (own / "theme.yaml").write_text(text + f"\nparts: {'true' if on else 'false'}\n")
    return dest


def pages_text(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return out.split("\f")


def built(root: Path, out: Path, profile: str = "standard", jobs: int = 1, store: Path | None = None) -> bytes:
    build(root, out, profile=Profile(profile), jobs=jobs, store=cache.Store(store) if store else None)
    return out.read_bytes()


@pytest.fixture(scope="module")
def example_parts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return with_parts(ROOT / "content", tmp_path_factory.mktemp("parts") / "example")


@pytest.mark.parametrize("profile", NAMES)
def test_parts_give_the_same_bytes_however_typeset(example_parts: Path, tmp_path: Path, profile: str) -> None:
    sequential = built(example_parts, tmp_path / "j1.pdf", profile, jobs=1)
    parallel = built(example_parts, tmp_path / "j2.pdf", profile, jobs=2, store=tmp_path / "cache")
    assert list((tmp_path / "cache" / "part").glob("*/*")), "the parts were kept in the store"
    warm = built(example_parts, tmp_path / "warm.pdf", profile, jobs=2, store=tmp_path / "cache")
    assert parallel == sequential
    assert warm == sequential
    whole = with_parts(ROOT / "content", tmp_path / "whole", on=False)
    assert pages_text(tmp_path / "j1.pdf") == pages_text(Path(build_whole(whole, tmp_path / "whole.pdf", profile)))


def build_whole(root: Path, out: Path, profile: str) -> Path:
    build(root, out, profile=Profile(profile))
    return out


def test_a_synthetic_dossier_in_parts(tmp_path: Path) -> None:
    synth = tmp_path / "synth"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "synth.py"), str(synth), "--scale", "3"], check=True, cwd=ROOT)
    with (synth / "dossier.yaml").open("a") as f:  # "cited on p. N": the templates rendered again with the pages
        f.write("backrefs: true\n")
    parts = with_parts(synth, tmp_path / "parts")
    sequential = built(parts, tmp_path / "j1.pdf", "print", jobs=1)
    assert built(parts, tmp_path / "j2.pdf", "print", jobs=2, store=tmp_path / "cache") == sequential
    assert built(parts, tmp_path / "warm.pdf", "print", jobs=2, store=tmp_path / "cache") == sequential
    text = pages_text(tmp_path / "j1.pdf")
    assert text == pages_text(build_whole(synth, tmp_path / "whole.pdf", "print"))
    assert sum("Cited on" in page for page in text) > 0


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _own(root: Path, name: str, old: str, new: str) -> None:
    """The dossier's own copy of a theme file, edited."""
    (root / "templates" / name).write_text((ROOT / "templates" / name).read_text())
    _replace(root / "templates" / name, old, new)


EDITS = {
    # one section's content: only that part changes
    "a chronology event": lambda d: _replace(d / "chronology.yaml", "President Putin supported", "President Putin backed"),
    # a section that grows a page: the pages of every later section move, and the contents with them
    "a longer summary": lambda d: _replace(d / "dossier.yaml", "summary: |\n", "summary: |\n" + "  A new paragraph of the summary. " * 80 + "\n\n"),
    "the theme's stylesheet": lambda d: _own(d, "style.css", "h1, h2, h3 {", "h1, h2, h3 { letter-spacing: 0.5pt;"),
    "a template": lambda d: _own(d, "section-names.html", "<h2", "<p>Read these first.</p>\n<h2"),
    "a bibliography entry": lambda d: _replace(d / "bibliography.yaml", "United Nations Treaty Series", "UN Treaty Series"),
    "a footnote": lambda d: _replace(d / "chronology.yaml", "their dates have not been verified", "their dates are not verified"),
}


def test_no_edit_leaves_a_stale_part(tmp_path: Path) -> None:
    root = with_parts(ROOT / "content", tmp_path / "d")
    store = tmp_path / "cache"
    built(root, tmp_path / "first.pdf", jobs=2, store=store)
    for name, edit in EDITS.items():
        before = (tmp_path / "first.pdf").read_bytes()
        edit(root)
        warm = built(root, tmp_path / "warm.pdf", jobs=2, store=store)
        assert warm != before, f"{name}: the edit shows in the PDF"
        assert warm == built(root, tmp_path / "clean.pdf", jobs=1), f"{name}: the warm build is the clean build"
        shutil.copy(tmp_path / "warm.pdf", tmp_path / "first.pdf")
    # the profile: a store holding the standard build's parts gives the clean print build
    assert built(root, tmp_path / "print.pdf", "print", jobs=2, store=store) == built(root, tmp_path / "p.pdf", "print")


def test_a_stylesheet_error_in_parts_is_the_whole_builds(example_parts: Path, tmp_path: Path) -> None:
    root = tmp_path / "d"
    shutil.copytree(example_parts, root)
    css = (ROOT / "templates" / "style.css").read_text()
    (root / "templates" / "style.css").write_text(css + "\n.x { colr: red; }\n")
    out = tmp_path / "o.pdf"
    out.write_bytes(b"previous")
    problems = []
    for jobs in (1, 2):
        with pytest.raises(DossierError) as info:
            build(root, out, jobs=jobs, store=cache.Store(tmp_path / "cache"))
        problems.append([str(p) for p in info.value.problems])
    assert problems[0] == problems[1]
    line = css.count("\n") + 2
    assert len(problems[0]) == 1 and problems[0][0].startswith(f"{root}/templates/style.css:{line}:")
    assert out.read_bytes() == b"previous"
