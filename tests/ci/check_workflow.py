#!/usr/bin/python3
"""check_workflow.py WORKFLOW MAKEFILE: .github/workflows/ci.yml cannot run here, so this
checks what can be checked: it is valid YAML of the shape GitHub expects, the matrix covers
the x86-64 and the ARM64 runner, and every `run:` is `[sudo] make TARGET...` where each
target is one that `make test` itself runs (directly or through another target)."""
import re
import sys

import yaml


def makefile_graph(text):
    """target -> the targets it depends on or runs through $(MAKE)."""
    graph = {}
    current = None
    for line in text.splitlines():
        rule = re.match(r"^([A-Za-z0-9_.-]+):(?!=)\s*(.*)$", line)
        if rule:
            current = rule.group(1)
            graph.setdefault(current, set()).update(
                w for w in rule.group(2).split() if not w.startswith("$"))
            continue
        if current and line.startswith("\t"):
            for call in re.findall(r"\$\(MAKE\)((?:\s+[A-Za-z0-9_-]+|\s+--[a-z-]+)+)", line):
                graph[current].update(w for w in call.split() if not w.startswith("-"))
        elif line and not line.startswith("\t"):
            current = None
    return graph


def reachable(graph, start):
    seen, todo = set(), [start]
    while todo:
        t = todo.pop()
        if t not in seen:
            seen.add(t)
            todo.extend(graph.get(t, ()))
    return seen


def main(workflow_path, makefile_path):
    with open(workflow_path) as f:
        doc = yaml.safe_load(f)
    errors = []
    # YAML 1.1 reads the key `on` as True.
    if "on" not in doc and True not in doc:
        errors.append("no 'on:' trigger")
    jobs = doc.get("jobs") or {}
    if not jobs:
        errors.append("no jobs")
    with open(makefile_path) as f:
        graph = makefile_graph(f.read())
    from_test = reachable(graph, "test")
    for name, job in jobs.items():
        oses = ((job.get("strategy") or {}).get("matrix") or {}).get("os") or []
        for runner in ("ubuntu-24.04", "ubuntu-24.04-arm"):
            if runner not in oses:
                errors.append(f"job {name}: matrix.os lacks {runner}")
        if job.get("runs-on") != "${{ matrix.os }}":
            errors.append(f"job {name}: runs-on is not the matrix's os")
        for step in job.get("steps") or []:
            if "uses" in step:
                continue
            command = step.get("run", "")
            words = command.split()
            if words[:1] == ["sudo"]:
                words = words[1:]
            if words[:1] != ["make"] or len(words) < 2 or "\n" in command.strip():
                errors.append(f"job {name}: '{command}' is not a single make command")
                continue
            for target in words[1:]:
                if target not in graph:
                    errors.append(f"job {name}: make {target}: no such target in {makefile_path}")
                elif target not in from_test:
                    errors.append(f"job {name}: make {target} is not run by `make test` here")
    for e in errors:
        print(f"check_workflow: {e}")
    if errors:
        return 1
    print(f"check_workflow: {workflow_path}: {len(jobs)} job(s), every command a target of `make test`")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
