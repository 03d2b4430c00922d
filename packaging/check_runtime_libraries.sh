#!/bin/sh
# Pre-flight for `make run` (and .ci/run): are the system libraries Qt's platform plugins load
# installed? Names the exact Debian packages that are missing; run as root with apt-get, it
# installs them. Exit 0 when everything is there (or this is not a glibc Linux), 1 when
# something is still missing.
#
# Usage: packaging/check_runtime_libraries.sh [--check-only] [--plugins "all xcb wayland"]
# The list is packaging/qt-runtime-libraries.txt (FLOWDOCK_RUNTIME_LIBRARIES overrides it).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
list=${FLOWDOCK_RUNTIME_LIBRARIES:-$here/qt-runtime-libraries.txt}
install=yes
plugins="all xcb"
[ -n "${WAYLAND_DISPLAY:-}" ] && plugins="$plugins wayland"
[ "${QT_QPA_PLATFORM:-}" = offscreen ] && plugins="all"
while [ $# -gt 0 ]; do
    case "$1" in
        --check-only) install=no ;;
        --plugins) shift; plugins=$1 ;;
        *) echo "check_runtime_libraries: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

[ "$(uname -s)" = Linux ] || exit 0
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
[ -x "$ldconfig" ] || exit 0  # not glibc: nothing this list can say
cache=$("$ldconfig" -p 2>/dev/null || true)

missing_packages() {
    seen=" "
    while read -r soname plugin package; do
        case "$soname" in ''|'#'*) continue ;; esac
        case " $plugins " in *" $plugin "*) ;; *) continue ;; esac
        if printf '%s\n' "$cache" | grep -q "^[[:space:]]*$soname "; then
            continue
        fi
        # The first alternative, without a version: what apt-get installs.
        name=$(printf '%s\n' "$package" | sed -e 's/|.*//' -e 's/(.*//' -e 's/[[:space:]]*$//')
        case "$seen" in *" $name "*) ;; *) seen="$seen$name " ;; esac
    done < "$list"
    printf '%s\n' "$seen" | sed -e 's/^ *//' -e 's/ *$//'
}

missing=$(missing_packages)
[ -z "$missing" ] && exit 0

echo "Qt needs system libraries that are not installed. Debian/Ubuntu packages: $missing"
if [ "$install" = yes ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing them (running as root)..."
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086 # one word per package
    apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends $missing
    }
    cache=$("$ldconfig" -p 2>/dev/null || true)
    missing=$(missing_packages)
    [ -z "$missing" ] && { echo "Installed."; exit 0; }
fi
echo "Install them with:  sudo apt-get install $missing" >&2
exit 1
