#!/usr/bin/python3
"""check_architecture.py SOURCE_DIR: the layering rules the compiler cannot see.

- The CLI includes only its own headers and the public API (include/barco): nothing of
  src/sys, src/linux or src/runtime. (The link-time rules are the layer_check_* targets.)
- No function of src/runtime is longer than 80 lines: the parent and the child walk the
  plan one small step function at a time.
Prints each violation and exits 1 when there is one."""
import pathlib
import re
import sys

MAX_RUNTIME_FUNCTION_LINES = 80
PRIVATE_LAYERS = ("sys/", "linux/", "runtime/", "core/", "audit/")


def cli_include_violations(src):
    out = []
    for path in sorted((src / "cli").glob("*.[ch]pp")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if m and m.group(1).startswith(PRIVATE_LAYERS):
                out.append(f"{path}:{number}: the CLI includes {m.group(1)}; use a public header in include/barco")
    return out


def body_opening(lines, i):
    """Index of the line whose trailing `{` opens the body of the definition that starts at
    line i, or None. A signature may wrap: clang-format breaks long parameter lists, and those
    are the long functions this check exists for. A `;` or `}` first means a declaration or a
    one-line body, which has nothing to measure."""
    for j in range(i, len(lines)):
        line = lines[j].rstrip()
        if line.endswith("{"):
            return j
        if not line or line.endswith((";", "}")):
            return None
    return None


def starts_definition(line):
    """A column-0 line with a `(` that is not a type, namespace, comment or preprocessor line."""
    if line[:1] in ("", " ", "\t", "}", "#", "/"):
        return False
    return "(" in line and not line.startswith(("namespace", "struct", "class", "enum"))


def function_lengths(text):
    """(first line, length, signature) of each function body whose signature starts in
    column 0 (barco's style: every definition in a .cpp starts there), wrapped or not; the
    length counts from the signature's first line to the closing brace."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = body_opening(lines, i) if starts_definition(lines[i]) else None
        if opening is not None:
            depth = 0
            for j in range(i, len(lines)):
                depth += lines[j].count("{") - lines[j].count("}")
                if depth == 0 and j >= opening:
                    signature = " ".join(line.strip() for line in lines[i : opening + 1])
                    yield i + 1, j - i + 1, signature
                    i = j
                    break
        i += 1


def long_function_violations(src):
    out = []
    for path in sorted((src / "runtime").glob("*.cpp")):
        for first, length, signature in function_lengths(path.read_text()):
            if length > MAX_RUNTIME_FUNCTION_LINES:
                out.append(f"{path}:{first}: {length} lines (at most {MAX_RUNTIME_FUNCTION_LINES}): {signature}")
    return out


def main():
    src = pathlib.Path(sys.argv[1])
    violations = cli_include_violations(src) + long_function_violations(src)
    for v in violations:
        print(v)
    if not violations:
        print("architecture rules hold")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
