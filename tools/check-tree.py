#!/usr/bin/env python3
"""The shape of keyhole's tree, checked (make test-tree).

    tools/check-tree.py [OBJDIR]

Each rule is one check, printed PASS or FAIL with what breaks it; the last
line is "N passed, N failed".  OBJDIR (default build/hv) holds the
hypervisor's objects, from which the call graph between .c files is read.

The rules are the ones README's "Layout" section states:

  - dependencies point one way: boot/ -> hv/ -> ept/ -> mm/ -> lib/, with
    include/ below them all; include/keyhole/ includes nothing from mm/,
    ept/ or hv/; the UEFI loader (boot/efi/) includes only shared headers
    (include/, lib/, boot/);
  - mm/ and ept/ are host-testable: no inline assembly, no hv/ or boot/;
  - no two .c files call each other in a circle (from the objects' symbols);
  - no source file is over 600 lines;
  - every folder of hv/ and include/ has a row in README's layout table, and
    every folder the table names exists.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OBJDIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "hv")
MAX_LINES = 600
SOURCE_DIRS = ["boot", "hv", "ept", "mm", "lib", "include"]
# Rank of each layer: a file may include only from its own rank or below.
RANK = {"boot": 5, "hv": 4, "ept": 3, "mm": 2, "lib": 1, "include": 0, "build": 0}

passed = failed = 0


def check(ok, what, details=()):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS: {what}")
    else:
        failed += 1
        print(f"FAIL: {what}")
        for d in list(details)[:20]:
            print(f"    {d}")


def sources(exts=(".c", ".h", ".S")):
    for top in SOURCE_DIRS:
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if f.endswith(exts):
                    yield os.path.relpath(os.path.join(dirpath, f), ROOT)


INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]')


def includes(path):
    """(line number, header path relative to the root) for each keyhole header it includes."""
    out = []
    with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            name = m.group(2)
            if m.group(1) == "<":
                if os.path.exists(os.path.join(ROOT, "include", name)):
                    out.append((n, "include/" + name))
                elif name.startswith("generated/"):
                    out.append((n, "build/include/" + name))
            elif os.path.exists(os.path.join(ROOT, name)):
                out.append((n, name))
    return out


def top(path):
    return path.split("/", 1)[0]


files = list(sources())

# 1. Layers point one way.
bad = []
for f in files:
    for n, h in includes(f):
        if RANK[top(h)] > RANK[top(f)]:
            bad.append(f"{f}:{n} includes {h} ({top(f)}/ may not depend on {top(h)}/)")
check(not bad, "includes point one way: boot/ -> hv/ -> ept/ -> mm/ -> lib/ -> include/", bad)

bad = [f"{f}:{n} includes {h}" for f in files if f.startswith(("mm/", "ept/"))
       for n, h in includes(f) if top(h) in ("hv", "boot")]
check(not bad, "nothing under mm/ or ept/ includes from hv/ or boot/", bad)

bad = [f"{f}:{n} includes {h}" for f in files if f.startswith("include/keyhole/")
       for n, h in includes(f) if top(h) in ("mm", "ept", "hv")]
check(not bad, "nothing under include/keyhole/ includes from mm/, ept/ or hv/", bad)

bad = [f"{f}:{n} includes {h}" for f in files if f.startswith("boot/efi/")
       for n, h in includes(f) if top(h) not in ("include", "lib", "boot")]
check(not bad, "the UEFI loader (boot/efi/) includes only shared headers (include/, lib/, boot/)", bad)

# 2. The portable core has no inline assembly.
ASM = re.compile(r"\b(__asm__|asm)\s*(volatile|__volatile__)?\s*\(")
bad = []
for f in files:
    if f.startswith(("mm/", "ept/")):
        with open(os.path.join(ROOT, f), encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if ASM.search(line):
                    bad.append(f"{f}:{n}: {line.strip()}")
check(not bad, "mm/ and ept/ contain no inline assembly (they reach the CPU through mm/arch.h)", bad)

# 3. No source file over the limit.
bad = []
for f in list(files) + [os.path.relpath(os.path.join(dp, x), ROOT)
                        for d in ("guest", "tests", "tools")
                        for dp, _, fs in os.walk(os.path.join(ROOT, d))
                        for x in fs if x.endswith((".c", ".h", ".S", ".sh", ".py"))]:
    with open(os.path.join(ROOT, f), encoding="utf-8", errors="replace") as fh:
        n = sum(1 for _ in fh)
    if n > MAX_LINES:
        bad.append(f"{f}: {n} lines")
check(not bad, f"no source file is over {MAX_LINES} lines", bad)

# 4. No two .c files call each other in a circle, read from the objects:
#    file A depends on file B when A references a symbol B defines.
objs = {}
for dirpath, _, fs in os.walk(OBJDIR):
    for x in fs:
        if x.endswith(".o"):
            obj = os.path.join(dirpath, x)
            src = os.path.relpath(obj, OBJDIR)[:-2]
            # Only C: an entry stub and the C handler it calls reference each other by nature.
            if os.path.exists(os.path.join(ROOT, src + ".c")):
                objs[src + ".c"] = obj
if len(objs) < 10:
    check(False, "no two .c files call each other in a circle",
          [f"only {len(objs)} objects under {OBJDIR}: build the image first (make hv)"])
else:
    defined, undefined = {}, {}
    for src, obj in objs.items():
        out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
        undefined[src] = set()
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "U":
                undefined[src].add(parts[1])
            elif len(parts) == 3 and parts[1] in "TDRBtdrbV" and parts[1].isupper():
                defined[parts[2]] = src
    graph = {s: sorted({defined[u] for u in undefined[s] if u in defined and defined[u] != s}) for s in objs}

    # Tarjan's strongly connected components: a component of more than one file is a circle.
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    check(not comps, f"no two .c files call each other in a circle ({len(objs)} objects)",
          [" <-> ".join(c) for c in comps])

# 5. README's layout table matches the tree.
with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
    readme = fh.read()
layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0] if "## Layout" in readme else ""
named = set(re.findall(r"^\|\s*`([a-z0-9_/.-]+?)/?`", layout, re.M))
check(bool(layout), "README.md has a \"## Layout\" section", ["add one: a table of the tree's folders"])
folders = {os.path.relpath(os.path.join(ROOT, d, x), ROOT)
           for d in ("hv", "include") for x in os.listdir(os.path.join(ROOT, d))
           if os.path.isdir(os.path.join(ROOT, d, x))}
folders |= {d for d in ("boot", "boot/efi", "hv", "ept", "mm", "lib", "guest", "tests", "tools", "include")}
missing = sorted(f for f in folders if f not in named)
check(not missing, "every folder of the tree has a row in README's layout table", missing)
stale = sorted(n for n in named if "." not in n and not os.path.isdir(os.path.join(ROOT, n)))
check(not stale, "every folder README's layout table names exists", stale)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
