"""A smaller ICU data library for the Linux build: the parts of ICU's data Qt never asks for
are taken out of PySide6's ``libicudata.so.NN`` (30.6 MiB, the largest file in the package).

Qt Core is the only user of ICU in the program (Python's own Unicode support is separate), and
it calls only four parts of it (``nm -D --undefined-only libQt6Core.so.6 | grep _73``):
collation (``ucol_*``, QCollator), calendars and time-zone names (``ucal_*``, QTimeZone),
character-set converters (``ucnv_*``, QStringConverter) and locale-aware case mapping
(``u_strToUpper``/``u_strToLower``, QLocale::toUpper; its tables are built into libicuuc).
Qt finds word and line boundaries with its own tables, formats numbers and dates from its own
CLDR data and converts host names itself, so ICU's break iterators and dictionaries, unit,
currency, language and region names, transliterators, spelled-out number rules, StringPrep
profiles and confusables are never loaded. Everything the four parts read stays: the locale
tree, ``coll/``, ``zone/`` and every converter. ``packaging/icu_probe.py`` prints what those
four parts give; ``make package-test`` runs it against the full and the trimmed data and
compares.

Tools: ``icupkg`` (Debian: icu-devtools) rewrites ICU's package, binutils (``readelf``, ``ld``,
``objcopy``, already needed for PyInstaller's ``strip``) turn it back into a shared library
with the same soname and data symbol.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

#: Item name prefixes or suffixes inside ICU's package that Qt never loads, with the reason.
UNUSED = {
    "brkitr/": "break iterators and their dictionaries (Qt has its own boundary tables)",
    "unit/": "measurement unit names (MeasureFormat)",
    "curr/": "currency names and symbols (number formatting)",
    "lang/": "language display names (LocaleDisplayNames)",
    "region/": "region display names (LocaleDisplayNames)",
    "translit/": "transliterators",
    "rbnf/": "rule-based number formats (spelled-out numbers)",
    ".spp": "StringPrep profiles (IDNA; Qt converts host names itself)",
    ".cfu": "confusable characters (spoof checker)",
}


def _run(command: list[str], **kwargs) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs).stdout


def _unused(item: str) -> bool:
    return any(item.startswith(key) if key.endswith("/") else item.endswith(key) for key in UNUSED)


def _data_symbol(library: Path) -> tuple[str, int, int]:
    """``(name, file offset, size)`` of the ``icudtNN_dat`` symbol in the library."""
    symbols = _run(["readelf", "--dyn-syms", "--wide", str(library)])
    # readelf prints large sizes in hex ("0x1e8bb80"), small ones in decimal.
    pattern = r":\s*([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+OBJECT\s+\S+\s+\S+\s+(\d+)\s+(icudt\d+_dat)\b"
    match = re.search(pattern, symbols)
    if match is None:
        raise SystemExit(f"{library}: no icudtNN_dat symbol; is this ICU's data library?")
    address, size, section, name = int(match[1], 16), int(match[2], 0), int(match[3]), match[4]
    sections = _run(["readelf", "--section-headers", "--wide", str(library)])
    for line in sections.splitlines():
        found = re.match(r"\s*\[\s*(\d+)\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if found and int(found[1]) == section:
            return name, address - int(found[2], 16) + int(found[3], 16), size
    raise SystemExit(f"{library}: section {section} of {name} not found")


def trim(library: Path, work: Path) -> Path:
    """Write a copy of ICU's data library without the unused items into ``work``; return it."""
    if shutil.which("icupkg") is None:
        raise SystemExit(
            "icupkg not found: the Linux build trims ICU's data with it "
            "(Debian/Ubuntu package: icu-devtools)"
        )
    symbol, offset, size = _data_symbol(library)
    # Items are named "<package>/coll/de.res" inside; icupkg takes the package name from the
    # file name, so the file must be called what ICU calls it (icudt73l: little-endian).
    package = symbol.removesuffix("_dat") + ("l" if sys.byteorder == "little" else "b")
    if work.exists():
        shutil.rmtree(work)
    (work / "full").mkdir(parents=True)
    (work / "trimmed").mkdir()
    full = work / "full" / f"{package}.dat"
    with library.open("rb") as source:
        source.seek(offset)
        full.write_bytes(source.read(size))
    items = _run(["icupkg", "--list", str(full)]).split()
    drop = [item for item in items if _unused(item)]
    if not drop or len(drop) == len(items):
        raise SystemExit(f"{library}: unexpected ICU package contents ({len(items)} items)")
    listing = work / "unused.txt"
    listing.write_text("\n".join(drop) + "\n", encoding="utf-8")
    _run(["icupkg", "--remove", str(listing), str(full), str(work / "trimmed" / full.name)])

    # The package becomes read-only data under the same symbol, 16-byte aligned as ICU wants.
    cwd = work / "trimmed"
    _run(["ld", "-r", "-b", "binary", "-o", "data.o", full.name], cwd=cwd)
    stem = f"_binary_{package}_dat"
    _run(
        [
            "objcopy",
            "--set-section-alignment", ".data=16",
            "--rename-section", ".data=.rodata,alloc,load,readonly,data,contents",
            "--redefine-sym", f"{stem}_start={symbol}",
            "--strip-symbol", f"{stem}_end",
            "--strip-symbol", f"{stem}_size",
            "data.o", "rodata.o",
        ],
        cwd=cwd,
    )  # fmt: skip
    out = cwd / library.name
    _run(
        ["ld", "-shared", "-z", "noexecstack", "-soname", library.name, "-o", out.name,
         "rodata.o"],
        cwd=cwd,
    )  # fmt: skip
    print(
        f"trim_icu: {library.name} {library.stat().st_size / 2**20:.1f} MiB -> "
        f"{out.stat().st_size / 2**20:.1f} MiB ({len(drop)} of {len(items)} items left out)",
        flush=True,
    )
    return out


if __name__ == "__main__":
    print(trim(Path(sys.argv[1]), Path(sys.argv[2])))
