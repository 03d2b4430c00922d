"""Render the app icon's SVG into the PNG sizes (and a Windows .ico) with Qt's QSvgRenderer."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "flowdock-desktop.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
#: Sizes a Windows .ico carries; Explorer picks the nearest.
ICO_SIZES = (16, 24, 32, 48, 64, 256)


def render(svg: Path = SVG, out_dir: Path | None = None, *, ico: bool = False) -> list[Path]:
    """Write ``<out_dir>/<size>x<size>/flowdock-desktop.png`` for every size; return the paths."""
    # Rendering needs no screen; the offscreen platform keeps this working on build servers.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    out_dir = out_dir or ROOT / "build" / "icons"
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"cannot read the icon {svg}")
    written: list[Path] = []
    images: dict[int, QImage] = {}
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = out_dir / f"{size}x{size}" / "flowdock-desktop.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target), "PNG"):
            raise SystemExit(f"cannot write {target}")
        images[size] = image
        written.append(target)
    if ico:
        # Qt's ico plugin writes one image per file; the 256 px one is what the installer and
        # shortcuts need most, the shell scales it down for small views.
        target = out_dir / "flowdock-desktop.ico"
        if not images[256].save(str(target), "ICO"):
            raise SystemExit(f"cannot write {target} (is the Qt ico image plugin installed?)")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "icons")
    parser.add_argument("--ico", action="store_true", help="also write flowdock-desktop.ico")
    args = parser.parse_args(argv)
    for path in render(out_dir=args.out, ico=args.ico):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
