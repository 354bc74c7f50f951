#!/usr/bin/env python3
"""Builds eval/cases/* from the shared fixtures' real pull-request diffs.

Each planted case is a real diff with a few added lines inserted (or one added line rewritten):
the planted bug. Hunk headers are recomputed, so the result is a diff GitHub could have served.
The expected finding is the planted lines' new-side range. Clean cases are the fixtures as they are.

    python3 eval/plant.py                  # rewrites eval/cases from fixtures/
    python3 eval/plant.py --show FIXTURE PATH   # a file's new-side lines with their numbers
"""
import json, os, re, shutil, sys

ROOT = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get("FIXTURES", os.path.join(ROOT, "..", "fixtures", "pull-requests"))
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")


def sections(diff):
    """The diff split per file: (path, lines)."""
    out = []
    for line in diff.split("\n"):
        if line.startswith("diff --git "):
            out.append([line.split(" b/", 1)[-1], []])
        out[-1][1].append(line)
    return out


def new_side(lines):
    """(index in lines, new line number, text) of each added or context line."""
    out, number = [], None
    for index, line in enumerate(lines):
        m = HUNK.match(line)
        if m:
            number = int(m.group(3))
            continue
        if number is None or line.startswith("\\"):
            continue
        if line.startswith("+") and not line.startswith("+++") or line.startswith(" ") or line == "":
            if line == "" and index == len(lines) - 1:
                continue
            out.append((index, number, line[1:]))
            number += 1
    return out


def plant(lines, op):
    """Applies one plant to a file's lines; returns (lines, first, last) of the planted new-side range."""
    at = {number: (index, text) for index, number, text in new_side(lines)}
    if op["line"] not in at:
        raise SystemExit(f"line {op['line']} is not on the new side of {op['path']}")
    index, _ = at[op["line"]]
    if "replace" in op:
        if not lines[index].startswith("+"):
            raise SystemExit(f"line {op['line']} of {op['path']} is not an added line")
        lines = lines[:index] + ["+" + op["replace"]] + lines[index + 1:]
        return lines, op["line"], op["line"]
    if not op["insert"] or not op["insert"][0].strip():
        raise SystemExit(f"{op['path']}: a plant starts with a line of code (its first line names the finding)")
    added = ["+" + text for text in op["insert"]]
    lines = lines[:index + 1] + added + lines[index + 1:]
    # The hunk holding the insertion grows; the new side of every later hunk moves down.
    grow = len(added)
    hunk_index = max(i for i in range(index + 1) if HUNK.match(lines[i]))
    for i, line in enumerate(lines):
        m = HUNK.match(line)
        if not m or i < hunk_index:
            continue
        old_start, old_count, new_start, new_count, rest = m.group(1), m.group(2), int(m.group(3)), int(m.group(4) or "1"), m.group(5)
        if i == hunk_index:
            new_count += grow
        else:
            new_start += grow
        old = old_start + ("," + old_count if old_count is not None else "")
        lines[i] = f"@@ -{old} +{new_start},{new_count} @@{rest}"
    return lines, op["line"] + 1, op["line"] + grow


def build(case, out_dir):
    fixture = os.path.join(FIXTURES, case["fixture"])
    diff = open(os.path.join(fixture, "pull.diff"), newline="").read()
    pull = json.load(open(os.path.join(fixture, "pull.json")))
    parts = sections(diff)
    expected = []
    for op in case.get("plants", []):
        part = next((p for p in parts if p[0] == op["path"]), None)
        if part is None:
            raise SystemExit(f"{case['name']}: no file {op['path']} in {case['fixture']}")
        part[1], first, last = plant(part[1], op)
        expected.append({"path": op["path"], "start": first, "end": last, "category": op["category"]})
    text = "\n".join("\n".join(lines) for _, lines in parts)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "pull.diff"), "w", newline="") as f:
        f.write(text)
    meta = {
        "fixture": case["fixture"],
        "title": case.get("title", pull.get("title") or ""),
        "body": case.get("body", pull.get("body") or ""),
        "language": case["language"],
        "expected": expected,
    }
    with open(os.path.join(out_dir, "case.json"), "w") as f:
        json.dump(meta, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--show":
        diff = open(os.path.join(FIXTURES, sys.argv[2], "pull.diff"), newline="").read()
        for path, lines in sections(diff):
            if path == sys.argv[3]:
                for index, number, text in new_side(lines):
                    print(f"{number:5} {'+' if lines[index].startswith('+') else ' '} {text}")
        return
    cases = json.load(open(os.path.join(ROOT, "plants.json")))
    target = os.path.join(ROOT, "cases")
    shutil.rmtree(target, ignore_errors=True)
    for case in cases:
        build(case, os.path.join(target, case["name"]))
    print(f"{len(cases)} cases written to {target}")


if __name__ == "__main__":
    main()
