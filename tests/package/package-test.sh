#!/usr/bin/env bash
# The Debian package as a user gets it: built by CPack from this build tree, its contents
# and metadata checked, installed with dpkg into an empty private root (never the host's),
# run from there with nothing else present, and removed again without a trace. Then
# `make install`'s staging (DESTDIR) and the bash completion, driven as bash drives it.
# Usage: package-test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$1") source=$(realpath "$2")
work=$(mktemp -d /tmp/barco-package-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

barco="$build/barco"
version=$("$barco" version | sed -n "s/^barco version \([^ ]*\).*/\1/p")
arch=$(dpkg --print-architecture)
# Every subcommand --help lists gets a man page and is completed.
mapfile -t commands < <("$barco" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF { print $1 }')
[ "${#commands[@]}" -gt 20 ] || fail "barco --help lists only ${#commands[@]} subcommands"

echo "== cpack"
(cd "$build" && cpack -G DEB -B "$work/pkg" >/dev/null)
deb="$work/pkg/barco_${version}_${arch}.deb"
[ -f "$deb" ] || fail "no $deb ($(ls "$work/pkg"))"

echo "== metadata"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = barco ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), barco says $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture: $(field Architecture)"
[ -z "$(field Depends)" ] || fail "a static barco needs no library, but Depends: $(field Depends)"
[ "$(field Section)" = admin ] || fail "Section: $(field Section)"
field Description | grep -q "container runtime" || fail "Description: $(field Description)"

echo "== contents"
expected=(./usr/bin/barco
  ./usr/share/barco/profiles/README.md ./usr/share/barco/profiles/default.json
  ./usr/share/bash-completion/completions/barco ./usr/share/doc/barco/README.md ./usr/share/doc/barco/copyright
  ./usr/share/fish/vendor_completions.d/barco.fish ./usr/share/man/man1/barco.1.gz
  ./usr/share/zsh/vendor-completions/_barco)
for c in "${commands[@]}"; do expected+=("./usr/share/man/man1/barco-$c.1.gz"); done
diff <(printf '%s\n' "${expected[@]}" | sort) \
     <(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sort) || fail "the package's files differ (< expected, > packaged)"

echo "== dpkg -i into an empty root"
root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
dpkg --root="$root" --force-script-chrootless -i "$deb" >/dev/null
[ "$(dpkg-query --root="$root" -W -f='${Status}' barco)" = "install ok installed" ] || fail "dpkg does not list barco"
# The root holds nothing but the package: barco must run with no library, no /etc.
readelf -l "$root/usr/bin/barco" | grep -q INTERP && fail "the packaged barco is dynamically linked"
chroot "$root" /usr/bin/barco version | grep -q "^barco version $version " || fail "barco version inside the empty root"
"$root/usr/bin/barco" doctor >"$work/doctor" || [ $? = 1 ] || fail "barco doctor crashed"
grep -q cgroup "$work/doctor" || fail "barco doctor printed no cgroup row: $(cat "$work/doctor")"

echo "== man pages"
for page in "$root"/usr/share/man/man1/*.1.gz; do
  warnings=$(zcat "$page" | groff -man -Tutf8 -ww -z 2>&1)
  [ -z "$warnings" ] || fail "groff warns on $(basename "$page"): $warnings"
done
barco_1=$(zcat "$root/usr/share/man/man1/barco.1.gz" | groff -man -Tutf8 2>/dev/null | col -b)
for c in "${commands[@]}"; do
  grep -q "barco-$c(1)" <<<"$barco_1" || fail "barco(1) does not list barco-$c(1)"
  zcat "$root/usr/share/man/man1/barco-$c.1.gz" | grep -q "^barco\\\\-${c//-/\\\\-} \\\\- " || fail "barco-$c(1) has no NAME line"
done
run_1=$(zcat "$root/usr/share/man/man1/barco-run.1.gz" | groff -man -Tutf8 2>/dev/null | col -b)
grep -q -- "--rootfs" <<<"$run_1" || fail "barco-run(1) lacks --rootfs"
grep -q "barco run --rootfs ./rootfs/busybox sh" <<<"$run_1" || fail "barco-run(1) lacks the README's first example"

echo "== bash completion"
complete_words() {  # the words bash would offer for "$@" (the last one being typed)
  bash -c 'source "$1"; shift
    barco() { [ "$1" = --root ] && echo "root=$2"; echo web1; echo web2; }  # stands in for `barco list -q`
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _barco; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$root/usr/share/bash-completion/completions/barco" "$@" | sort | tr '\n' ' '
}
for c in "${commands[@]}"; do
  complete_words barco "" | grep -qw -- "$c" || fail "completion does not offer $c"
done
[ "$(complete_words barco ru)" = "run " ] || fail "barco ru<TAB>: $(complete_words barco ru)"
complete_words barco run --roo | grep -qw -- --rootfs || fail "barco run --roo<TAB>: $(complete_words barco run --roo)"
[ "$(complete_words barco rm web)" = "web1 web2 " ] || fail "barco rm web<TAB>: $(complete_words barco rm web)"
[ "$(complete_words barco --root /srv/r kill "")" = "root=/srv/r web1 web2 " ] ||
  fail "--root is not passed on to the id lookup: $(complete_words barco --root /srv/r kill "")"
[ "$(complete_words barco lab "")" = "compare " ] || fail "barco lab <TAB>: $(complete_words barco lab "")"
zsh -n "$root/usr/share/zsh/vendor-completions/_barco" || fail "the zsh completion does not parse"
if command -v fish >/dev/null; then  # not installed by make deps: checked where present
  fish -n "$root/usr/share/fish/vendor_completions.d/barco.fish" || fail "the fish completion does not parse"
fi

echo "== dpkg -r leaves nothing"
dpkg --root="$root" --force-script-chrootless -r barco >/dev/null
left=$(find "$root" -mindepth 1 -not -path "$root/var" -not -path "$root/var/lib" -not -path "$root/var/lib/dpkg*")
[ -z "$left" ] || fail "dpkg -r left: $left"

echo "== make install with DESTDIR and PREFIX"
DESTDIR="$work/stage" cmake --install "$build" --prefix /opt/barco >/dev/null
for f in bin/barco share/man/man1/barco-run.1.gz share/bash-completion/completions/barco \
         share/barco/profiles/default.json share/doc/barco/copyright; do
  [ -f "$work/stage/opt/barco/$f" ] || fail "make install did not stage /opt/barco/$f"
done
[ -z "$(find "$work/stage" -mindepth 1 -maxdepth 1 -not -name opt)" ] || fail "make install wrote outside its prefix"
echo "package: all checks passed"
