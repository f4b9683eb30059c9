#!/usr/bin/python3
"""check_cli_symbols.py [--nm NM] CLI_ARCHIVE LINUX_ARCHIVE SYS_ARCHIVE: the CLI's link-level rule.

src/cli may call only the public API in include/barco, which the runtime and core implement,
never a function of the linux or sys layers. check_architecture.py sees the CLI's #includes;
this sees what its object code needs, so a hand-written declaration or a private header
reached by a relative path cannot hide a call across the layers. (layer_check_* cannot
catch it: barco links the CLI with every layer below it, so such a call links fine.)

A symbol counts when the CLI archive needs it and the linux or sys archive holds a strong
definition (T, D, B, R) of it in namespace barco. Weak definitions (W, V, u: inline
functions, template instantiations, std::, fmt::, spdlog::, nlohmann::, CLI:: code) are
emitted by every object that uses them, so the CLI merely sharing one says nothing.
Names are compared mangled, to be exact; demangled only for the message.
Prints each violation and exits 1 when there is one."""
import argparse
import re
import subprocess
import sys

STRONG_DEFINITIONS = set("TDBR")
# _ZN5barco..., _ZNK5barco... (const member), _ZTVN5barco... (vtable), _ZGVN5barco... (guard):
# an entity whose outermost scope is namespace barco.
BARCO_NAMESPACE = re.compile(r"^_Z(?:T[VIS]|GV)?N[rVK]*[RO]?5barco")
# Objects of the lower layers that implement a header of include/barco, with the reason.
# Their functions are public API even though they live below the runtime.
PUBLIC_OBJECTS = {
    # include/barco/files.hpp: the parent's file helpers sit next to the syscall seam they
    # share with RealSys; the CLI reads config.json and process files with them.
    ("sys", "files.cpp.o"),
}


def nm_records(nm, archive, *flags):
    """(object, type, name) for each symbol line of `nm FLAGS ARCHIVE`, in nm's order."""
    out = subprocess.run([nm, *flags, archive], check=True, capture_output=True, text=True).stdout
    records = []
    obj = None
    for line in out.splitlines():
        header = re.match(r"^(\S+):$", line)
        symbol = re.match(r"^[0-9a-fA-F]*\s+(\S) (.+)$", line)
        if header:
            obj = header.group(1)
        elif symbol:
            records.append((obj, symbol.group(1), symbol.group(2)))
    return records


def strong_barco_definitions(nm, archive, layer):
    """mangled name -> (layer, demangled name) for each strong barco:: definition outside
    the PUBLIC_OBJECTS. nm prints the same lines in the same order with and without -C."""
    mangled = nm_records(nm, archive, "--defined-only")
    demangled = nm_records(nm, archive, "-C", "--defined-only")
    if len(mangled) != len(demangled):
        sys.exit(f"{archive}: nm and nm -C disagree on the number of symbols")
    out = {}
    for (obj, kind, name), (_, _, pretty) in zip(mangled, demangled):
        if kind in STRONG_DEFINITIONS and BARCO_NAMESPACE.match(name) and (layer, obj) not in PUBLIC_OBJECTS:
            out[name] = (layer, pretty)
    return out


def cli_needs(nm, archive):
    """mangled name -> the CLI objects that need it."""
    needs = {}
    for obj, _, name in nm_records(nm, archive, "--undefined-only"):
        needs.setdefault(name, []).append(obj)
    return needs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nm", default="nm")
    parser.add_argument("cli")
    parser.add_argument("linux")
    parser.add_argument("sys")
    args = parser.parse_args()
    lower = strong_barco_definitions(args.nm, args.linux, "linux")
    lower.update(strong_barco_definitions(args.nm, args.sys, "sys"))
    if not lower:
        # An empty list would make the check pass vacuously (a wrong path, a stripped archive).
        print(f"no strong barco:: definitions in {args.linux} or {args.sys}: nothing to check against")
        return 1
    needs = cli_needs(args.nm, args.cli)
    violations = sorted((lower[name], objs) for name, objs in needs.items() if name in lower)
    for (layer, pretty), objs in violations:
        print(f"src/cli calls {pretty} from the {layer} layer: go through include/barco (the runtime)"
              f" [needed by {', '.join(sorted(set(objs)))}]")
    if not violations:
        print(f"the CLI needs none of the {len(lower)} barco:: definitions of the linux and sys layers")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
