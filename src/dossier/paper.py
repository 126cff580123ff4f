"""Paper sizes and the page geometry of the default theme: plain numbers in millimetres.

`dossier.yaml`'s `paper:` names one of `SIZES`. The geometry (margins, text width) is what
the theme's `style.css` receives as `page` and sets its `@page` margins from, and what the
parts drawn before layout are sized to: the timeline graphic is laid out at the text width
(it cannot be reflowed by CSS), the running title is cut to what fits the head. One source
for both keeps the graphic inside the text block at every size.

Margins are those of A4, scaled down with the paper's width for smaller sizes (A5, B5), so
an A5 page keeps the A4 page's proportions rather than a 100 mm column. The print profile
moves 2 mm of each page's outer margin to the inner one, the gutter of a duplex binding;
the text width is the same in every profile, so pages break alike.
"""

from __future__ import annotations

from dataclasses import dataclass

# name as written in dossier.yaml (any case) → (CSS `size` keyword, width, height in mm)
SIZES: dict[str, tuple[str, float, float]] = {
    "a4": ("A4", 210.0, 297.0),
    "a5": ("A5", 148.0, 210.0),
    "b5": ("B5", 176.0, 250.0),
    "letter": ("letter", 215.9, 279.4),
    "legal": ("legal", 215.9, 355.6),
}

# The A4 margins (top, bottom, inside, outside) of the default theme, and the cover's.
_MARGINS = (24.0, 26.0, 24.0, 22.0)
_COVER_MARGINS = (20.0, 22.0)
_GUTTER = 2.0  # print: taken from the outer margin, given to the inner one


def names() -> str:
    """The accepted names, as a message lists them."""
    return ", ".join(css for css, _w, _h in SIZES.values())


@dataclass(frozen=True)
class Page:
    """One paper size's page box and text block (mm), as the theme's CSS sees it (`page.*`)."""

    size: str  # the CSS `size` keyword: A4, A5, B5, letter, legal
    width: float
    height: float
    top: float
    bottom: float
    inside: float  # the left margin of a right-hand page (every page, outside print)
    outside: float
    cover_top: float
    cover_bottom: float
    scale: float  # this paper's margins and fixed lengths against A4's (1 for A4 and larger)

    @property
    def text_width(self) -> float:
        return self.width - self.inside - self.outside

    @property
    def cover_height(self) -> float:
        """The height the cover's column may take: its page area less a little slack."""
        return self.height - self.cover_top - self.cover_bottom - 5.0 * self.scale

    def css(self) -> dict[str, float | str]:
        """The numbers style.css uses, rounded to 0.1 mm (plain data for the templates)."""
        out: dict[str, float | str] = {"size": self.size, "text_width": round(self.text_width, 1), "cover_height": round(self.cover_height, 1)}
        for name in ("width", "height", "top", "bottom", "inside", "outside", "cover_top", "cover_bottom"):
            out[name] = round(getattr(self, name), 1)
        out["scale"] = round(self.scale, 3)
        return out


def page(size: str, profile: str = "standard") -> Page:
    """The geometry of a paper size (a key or CSS keyword of `SIZES`) in a profile."""
    css, width, height = SIZES[size.lower()]
    scale = min(1.0, width / 210.0)
    top, bottom, inside, outside = _MARGINS
    if profile == "print":
        inside, outside = inside + _GUTTER, outside - _GUTTER
    # to 0.5 mm, so that the CSS and the text width drawn to agree exactly
    top, bottom, inside, outside, cover_top, cover_bottom = (round(m * scale * 2) / 2 for m in (top, bottom, inside, outside, *_COVER_MARGINS))
    return Page(css, width, height, top, bottom, inside, outside, cover_top, cover_bottom, scale)
