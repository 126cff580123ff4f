"""Contact sheet: every page of a PDF as a thumbnail on one PNG (make preview).

Usage: python scripts/preview.py PDF OUT.png [--columns N] [--dpi D]
Needs pdftoppm (poppler-utils); tiles with Pillow (a WeasyPrint dependency).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw


def contact_sheet(pdf: Path, out: Path, columns: int = 6, dpi: int = 40) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), f"{tmp}/p"], check=True)
        files = sorted(Path(tmp).glob("p-*.png"), key=lambda f: int(f.stem.rsplit("-", 1)[1]))
        pages = [Image.open(f).convert("RGB") for f in files]
    width = max(p.width for p in pages)
    height = max(p.height for p in pages)
    gap, label = 12, 16
    rows = (len(pages) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * (width + gap) + gap, rows * (height + gap + label) + gap), "#d9dde3")
    draw = ImageDraw.Draw(sheet)
    for i, page in enumerate(pages):
        x = gap + (i % columns) * (width + gap)
        y = gap + (i // columns) * (height + gap + label)
        sheet.paste(page, (x, y))
        draw.rectangle([x - 1, y - 1, x + page.width, y + page.height], outline="#9aa4b1")
        draw.text((x, y + page.height + 3), f"{i + 1}", fill="#1f3a5f")
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, optimize=True)
    return len(pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pdf", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--columns", type=int, default=6)
    parser.add_argument("--dpi", type=int, default=40)
    args = parser.parse_args()
    n = contact_sheet(args.pdf, args.out, args.columns, args.dpi)
    print(f"wrote {args.out} ({n} pages)")


if __name__ == "__main__":
    main()
