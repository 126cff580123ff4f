"""The timeline's font and colours come from the theme (`timeline:` in theme.yaml): another theme
draws another graphic, and every mistake in that mapping is one located line."""

from __future__ import annotations

from pathlib import Path

import pytest

from dossier import render, theme
from dossier.build import check, prepare
from dossier.dates import parse_date
from dossier.errors import DossierError
from dossier.timeline import Style, TimelineEvent, layout, timeline_svg

FONTS = "fonts:\n  - Noto Serif\n  - Noto Sans\n  - DejaVu Sans\n"
EVENTS = [
    TimelineEvent(parse_date("1956-10-19"), "Joint Declaration signed in Moscow", "signing"),
    TimelineEvent(parse_date("1956-07/1956-08"), "Talks"),
    TimelineEvent(parse_date("1960"), "Memorandum"),
]


def read(tmp_path: Path, text: str) -> theme.Theme:
    (tmp_path / "theme.yaml").write_text(text)
    return theme.read_theme([tmp_path])


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(DossierError) as info:
        read(tmp_path, text)
    return [str(p).removeprefix(f"{tmp_path}/") for p in info.value.problems]


def test_the_default_theme_declares_the_defaults() -> None:
    """The values written in templates/theme.yaml are the ones a theme without `timeline:` gets."""
    assert theme.read_theme([theme.default_theme()]).timeline == Style()


def test_a_theme_without_timeline_keeps_the_defaults(tmp_path: Path) -> None:
    assert read(tmp_path, FONTS).timeline == Style()


def test_other_colours_and_font_change_the_drawing(tmp_path: Path) -> None:
    style = read(
        tmp_path,
        FONTS + 'timeline:\n  fonts: [DejaVu Sans]\n  bold: 600\n  accent: "#aa0000"\n  ink: "#003300"\n  leader: "#777777"\n',
    ).timeline
    assert style == Style(fonts=("DejaVu Sans",), bold=600, accent="#aa0000", ink="#003300", leader="#777777")
    default, themed = timeline_svg(EVENTS), timeline_svg(EVENTS, style=style)
    assert "font-family=\"'DejaVu Sans', sans-serif\"" in themed and "Noto Sans" not in themed
    assert 'stroke="#aa0000"' in themed and 'fill="#003300"' in themed and 'stroke="#777777"' in themed
    assert 'font-weight="600"' in themed and 'font-weight="700"' not in themed
    assert "#1f3a5f" in default and "#1f3a5f" not in themed and "#b4c2d3" in themed  # bar_fill left as it was
    # Labels are measured in the theme's font: DejaVu Sans is wider than Noto Sans.
    widths = [lab.box.w for lab in layout(EVENTS).labels], [lab.box.w for lab in layout(EVENTS, style=style).labels]
    assert all(d < t for d, t in zip(*widths, strict=True))


def test_each_mistake_is_located(tmp_path: Path) -> None:
    text = FONTS + (
        "timeline:\n"  # line 5
        "  fonts: [Noto Sans, Comic Sans]\n"
        "  bold: heavy\n"
        "  accent: navy\n"
        '  ink: "#12345"\n'
        "  muted: [1, 2]\n"
        "  colour: '#000000'\n"
    )
    assert problems(tmp_path, text) == [
        "theme.yaml:6:22: timeline font 'Comic Sans' is not in the theme's fonts, expected one of Noto Serif, Noto Sans, DejaVu Sans",
        "theme.yaml:7:9: timeline bold: expected a font weight 100, 200, … 900, got 'heavy'",
        "theme.yaml:8:11: timeline accent: expected a colour #rrggbb, got 'navy'",
        "theme.yaml:9:8: timeline ink: expected a colour #rrggbb, got '#12345'",
        "theme.yaml:10:10: timeline muted: expected a colour #rrggbb, got a list",
        "theme.yaml:11:3: unknown key 'colour' in timeline, expected one of fonts, bold, accent, ink, muted, leader, tick, bar_fill, paper",
    ]


@pytest.mark.parametrize(
    "timeline, message",
    [
        (
            "timeline: Noto Sans\n",
            "theme.yaml:5:11: timeline: expected a mapping with any of fonts, bold, accent, ink, muted, leader, tick, bar_fill, paper",
        ),
        ("timeline:\n  fonts: Noto Sans\n", "theme.yaml:6:10: timeline fonts: expected a list of font family names, the first to measure text in"),
        ("timeline:\n  fonts: []\n", "theme.yaml:6:10: timeline fonts: expected a list of font family names, the first to measure text in"),
        ("timeline:\n  bold: 750\n", "theme.yaml:6:9: timeline bold: expected a font weight 100, 200, … 900, got '750'"),
        ("layout: wide\n", "theme.yaml:5:1: unknown key 'layout' in theme.yaml, expected fonts, timeline or parts"),
    ],
)
def test_one_mistake_one_line(tmp_path: Path, timeline: str, message: str) -> None:
    assert problems(tmp_path, FONTS + timeline) == [message]


def test_a_timeline_font_that_is_not_installed(tmp_path: Path) -> None:
    text = "fonts:\n  - No Such Font Family\n  - Noto Sans\ntimeline:\n  fonts:\n    - No Such Font Family\n"
    assert problems(tmp_path, text) == [
        "theme.yaml:6:7: timeline font 'No Such Font Family' is not installed, expected it on the system (run make, or install it)"
    ]


def test_a_dossier_s_own_theme_yaml_sets_the_timeline(dossier_copy: Path) -> None:
    (dossier_copy / "templates").mkdir()
    theme_yaml = (theme.default_theme() / "theme.yaml").read_text()
    (dossier_copy / "templates" / "theme.yaml").write_text(theme_yaml.replace('accent: "#1f3a5f"', 'accent: "#8b0000"'))
    prepared = prepare(dossier_copy)
    html, _css = render.render_html(prepared.dossier, prepared.formatted, prepared.theme_dirs)
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'stroke="#8b0000"' in svg and "#1f3a5f" not in svg


def test_a_mistake_stops_the_check_at_its_line(dossier_copy: Path) -> None:
    (dossier_copy / "templates").mkdir()
    (dossier_copy / "templates" / "theme.yaml").write_text(FONTS + "timeline:\n  tick: grey\n")
    with pytest.raises(DossierError) as info:
        check(dossier_copy)
    assert [str(p) for p in info.value.problems] == [f"{dossier_copy}/templates/theme.yaml:6:9: timeline tick: expected a colour #rrggbb, got 'grey'"]
