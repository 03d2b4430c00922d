#!/bin/sh
# Check the built .deb: unpack it into a throw-away root, check its layout, run the installed
# program's --version and --self-test offscreen with a temporary profile, and validate the
# desktop entry and AppStream metadata when the validators are installed.
#
# Usage: packaging/test_package.sh [path/to/flowdock-desktop_VERSION_ARCH.deb]
# Needs: dpkg-deb. Optional: desktop-file-validate (desktop-file-utils),
# appstreamcli (appstream).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
python=${PYTHON:-$repo/.venv/bin/python}
[ -x "$python" ] || python=python3
version=$("$python" "$here/build_linux.py" --version)
deb=${1:-$(ls "$repo"/dist/flowdock-desktop_"$version"_*.deb 2>/dev/null | head -n 1)}
if [ -z "$deb" ] || [ ! -f "$deb" ]; then
    echo "test_package: no .deb for version $version in dist/; run 'make package' first" >&2
    exit 2
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/flowdock-package-test.XXXXXX")
trap 'rm -rf "$root"' EXIT INT TERM
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

echo "testing $deb"
[ "$(dpkg-deb -f "$deb" Package)" = flowdock-desktop ] && ok "package name" || fail "package name"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] && ok "version $version" || fail "control version"
dpkg-deb -x "$deb" "$root/install"
inst=$root/install

# Layout: program, symlink, desktop entry, metainfo, icons.
program=$inst/opt/flowdock-desktop/flowdock-desktop
[ -x "$program" ] && ok "program in /opt" || fail "no $program"
[ "$(readlink "$inst/usr/bin/flowdock-desktop")" = /opt/flowdock-desktop/flowdock-desktop ] \
    && ok "/usr/bin symlink" || fail "/usr/bin/flowdock-desktop is not a link to /opt"
desktop=$inst/usr/share/applications/flowdock-desktop.desktop
metainfo=$inst/usr/share/metainfo/io.github.flowdock_desktop.FlowdockDesktop.metainfo.xml
[ -f "$desktop" ] && ok "desktop entry" || fail "no desktop entry"
grep -q '^MimeType=x-scheme-handler/flowdock-desktop;' "$desktop" && ok "URL scheme" \
    || fail "desktop entry does not claim flowdock-desktop:// links"
grep -q '^Exec=flowdock-desktop %u' "$desktop" && ok "Exec %u" || fail "Exec without %u"
[ -f "$metainfo" ] && ok "metainfo" || fail "no metainfo"
grep -q "version=\"$version\"" "$metainfo" && ok "metainfo release $version" \
    || fail "metainfo release is not $version"
for size in 16 24 32 48 64 128 256 512; do
    [ -f "$inst/usr/share/icons/hicolor/${size}x${size}/apps/flowdock-desktop.png" ] \
        || fail "no ${size}px icon"
done
[ -f "$inst/usr/share/icons/hicolor/scalable/apps/flowdock-desktop.svg" ] || fail "no svg icon"
ok "icons checked"

# The installed program, as a person would start it, with a throw-away profile.
out=$("$program" --version) && [ "$out" = "flowdock-desktop $version" ] \
    && ok "--version: $out" || fail "--version printed '$out'"
# A command that shows no window must not load Qt (the spec drops PyInstaller's PySide6 runtime
# hook, which loaded it before every command); glibc's loader names each library it opens.
if LD_DEBUG=libs "$program" --version 2>&1 | grep -q 'calling init: .*libQt6Core'; then
    fail "--version loaded Qt Core"
else
    ok "--version without loading Qt"
fi
# What a start imports is collected as plain .pyc files beside the program, not inflated from
# PyInstaller's compressed archive (the spec; packaging/start_modules.py finds the packages).
internal=$inst/opt/flowdock-desktop/_internal
missing=""
for pyc in flowdock_desktop/ui/app.pyc logging/__init__.pyc encodings/__init__.pyc PySide6/__init__.pyc; do
    [ -f "$internal/$pyc" ] || missing="$missing $pyc"
done
[ -z "$missing" ] && ok "start modules as plain .pyc" \
    || fail "not collected as plain .pyc (packaging/start_modules.py):$missing"
# PySide6's signature support ships compiled where PySide looks before compiling its embedded
# sources on every start (packaging/shiboken_support.py).
[ -f "$internal/shiboken6/files.dir/shibokensupport/signature/loader.pyc" ] \
    && ok "PySide6's signature support compiled" \
    || fail "no compiled shibokensupport in _internal/shiboken6/files.dir (shiboken_support.py)"
export QT_QPA_PLATFORM=offscreen
export FLOWDOCK_DESKTOP_HOME="$root/profile"
if "$program" --self-test >"$root/selftest.log" 2>&1; then
    ok "--self-test: $(grep -i 'self-test' "$root/selftest.log" | tail -n 1)"
else
    fail "--self-test failed:"
    tail -n 30 "$root/selftest.log" >&2
fi

# ICU's data is trimmed to what Qt uses (packaging/trim_icu.py): collation, time-zone names,
# converters and case mapping must give the same with the package's data as with PySide6's own.
icudata=$(ls "$inst"/opt/flowdock-desktop/_internal/PySide6/Qt/lib/libicudata.so.* 2>/dev/null | head -n 1)
if [ -z "$icudata" ]; then
    fail "no libicudata in the package"
elif ! "$python" -c "import PySide6" 2>/dev/null; then
    echo "skip: ICU comparison needs PySide6 in $python"
else
    "$python" "$here/icu_probe.py" >"$root/icu-full.txt" 2>&1 || fail "icu_probe.py failed"
    LD_PRELOAD=$icudata "$python" "$here/icu_probe.py" >"$root/icu-package.txt" 2>&1 \
        || fail "icu_probe.py failed with the package's ICU data"
    if ! grep -qx "data $icudata" "$root/icu-package.txt"; then
        fail "the package's libicudata was not the one loaded"
    elif [ "$(grep -v '^data ' "$root/icu-full.txt")" = "$(grep -v '^data ' "$root/icu-package.txt")" ] \
        && grep -q '^collation sv_SE .*z.*ä' "$root/icu-package.txt"; then
        ok "ICU data: Qt's collation, time zones, converters and case mapping unchanged"
    else
        fail "the package's ICU data gives other results than PySide6's:"
        diff "$root/icu-full.txt" "$root/icu-package.txt" >&2 || true
    fi
fi

if command -v desktop-file-validate >/dev/null 2>&1; then
    desktop-file-validate "$desktop" && ok "desktop-file-validate" || fail "desktop-file-validate"
else
    echo "skip: desktop-file-validate not installed (Debian: desktop-file-utils)"
fi
if command -v appstreamcli >/dev/null 2>&1; then
    # --pedantic would flag the missing screenshots, which are not a packaging error.
    appstreamcli validate --no-net "$metainfo" && ok "appstreamcli validate" \
        || fail "appstreamcli validate"
else
    echo "skip: appstreamcli not installed (Debian: appstream)"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "package test passed"
