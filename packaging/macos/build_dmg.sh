#!/bin/sh
# Build "Flowdock Desktop.app" and a compressed DMG with an Applications link (run on macOS).
# Usage: packaging/macos/build_dmg.sh   (from anywhere; uses .venv/bin/python when present)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${PYTHON:-$repo/.venv/bin/python}
[ -x "$python" ] || python=python3
version=$("$python" "$repo/packaging/build_linux.py" --version)
app="$repo/dist/Flowdock Desktop.app"
dmg="$repo/dist/flowdock-desktop-$version-macos.dmg"

# Icons: PNGs from the SVG, then an .icns the bundle and Finder use.
"$python" "$repo/packaging/render_icons.py" --out "$repo/build/icons"
iconset="$repo/build/icons/flowdock-desktop.iconset"
rm -rf "$iconset" && mkdir -p "$iconset"
for size in 16 32 128 256 512; do
    cp "$repo/build/icons/${size}x${size}/flowdock-desktop.png" "$iconset/icon_${size}x${size}.png"
done
for size in 16 128 256; do
    double=$((size * 2))
    cp "$repo/build/icons/${double}x${double}/flowdock-desktop.png" "$iconset/icon_${size}x${size}@2x.png"
done
cp "$repo/build/icons/64x64/flowdock-desktop.png" "$iconset/icon_32x32@2x.png"
iconutil -c icns "$iconset" -o "$repo/build/icons/flowdock-desktop.icns"

# The spec fills Info.plist (version, URL scheme) and makes the .app bundle.
(cd "$repo" && "$python" -m PyInstaller --noconfirm --clean packaging/flowdock-desktop.spec)
[ -d "$app" ] || { echo "build_dmg: $app was not built" >&2; exit 1; }
"$app/Contents/MacOS/flowdock-desktop" --version

# Ad-hoc signature so Gatekeeper shows the usual "unidentified developer" prompt instead of
# "damaged"; set CODESIGN_IDENTITY to sign for distribution.
codesign --force --deep --sign "${CODESIGN_IDENTITY:--}" "$app"

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT INT TERM
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$dmg"
hdiutil create -volname "Flowdock Desktop $version" -srcfolder "$staging" -fs HFS+ \
    -format UDZO -imagekey zlib-level=9 -ov "$dmg"
echo "built $dmg"
