"""Print what Qt's four uses of ICU give (packaging/trim_icu.py): collation, time-zone names,
character-set converters and locale-aware case mapping, then the ICU data library the process
mapped. `make package-test` runs it with PySide6 from .venv twice, once with the package's
trimmed libicudata preloaded, and compares the two outputs."""

from __future__ import annotations

import functools

from PySide6.QtCore import QByteArray, QCollator, QLocale, QStringDecoder, QTimeZone


def main() -> None:
    words = ["b", "ä", "a", "Z", "ö", "z", "ł", "l", "č", "c"]
    for name in ("de_DE", "sv_SE", "pl_PL", "cs_CZ", "ja_JP"):
        collator = QCollator(QLocale(name))
        print("collation", name, sorted(words, key=functools.cmp_to_key(collator.compare)))
    for name in ("tr_TR", "lt_LT", "el_GR", "en_US"):
        locale = QLocale(name)
        print("case", name, locale.toUpper("istanbul ίσως"), locale.toLower("İSTANBUL ÀÌ"))
    zone = QTimeZone(b"Europe/Berlin")
    for name in ("de_DE", "en_US", "ja_JP", "fr_FR"):
        for kind in (QTimeZone.TimeType.StandardTime, QTimeZone.TimeType.DaylightTime):
            for style in (QTimeZone.NameType.LongName, QTimeZone.NameType.ShortName):
                print(
                    "zone",
                    name,
                    kind.name,
                    style.name,
                    zone.displayName(kind, style, QLocale(name)),
                )
    print("zones", len(QTimeZone.availableTimeZoneIds()))
    for name in ("Shift_JIS", "windows-1252", "GB18030", "EUC-KR", "ISO-8859-15", "KOI8-R"):
        decoder = QStringDecoder(name)
        print("codec", name, decoder.isValid(), decoder.name())
    print("codecs", len(QStringDecoder.availableCodecs()))
    html = QByteArray(b'<meta charset="shift_jis">')
    print("html", QStringDecoder.decoderForHtml(html).name())
    with open("/proc/self/maps", encoding="utf-8") as maps:
        mapped = {line.split()[-1] for line in maps if "libicudata" in line}
    print("data", *sorted(mapped))


if __name__ == "__main__":
    main()
