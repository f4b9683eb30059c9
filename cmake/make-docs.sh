#!/bin/sh
# Writes barco's man pages (gzipped, as Debian ships them) and its bash, zsh and fish
# completion scripts, all from the built binary's own command-line definitions, so they
# cannot drift from --help. Usage: make-docs.sh BARCO OUTDIR README
set -eu
barco=$1 out=$2 readme=$3
rm -rf "$out/man" "$out/completion"
mkdir -p "$out/completion"
"$barco" man-pages "$out/man" --readme "$readme"
gzip -9nf "$out"/man/*.1
"$barco" completion bash >"$out/completion/barco"
"$barco" completion zsh >"$out/completion/_barco"
"$barco" completion fish >"$out/completion/barco.fish"
touch "$out/stamp"
