#!/usr/bin/env python3
"""Count a crate's public functions and how many have a doc example.

Reads the rustdoc JSON of a crate (build it first with
`cargo +nightly rustdoc -p CRATE -- -Z unstable-options --output-format json`,
which writes target/doc/CRATE.json) and counts, among the items rustdoc documents
for that crate (its public API, re-exports resolved, private items stripped):

* free functions,
* methods of inherent impls that are `pub`,
* the methods declared by the crate's public traits (required or provided).

Methods of trait impls (`impl Display for X { fn fmt .. }`) are left out: their
docs are the trait's. A function "has an example" when its doc comment has a Rust
code block: a fence with no info string, or one naming rust / no_run / ignore /
should_panic / compile_fail / edition*. `no_run` and `ignore` blocks are counted
too, and listed apart.

Usage: scripts/doc-examples.py target/doc/tether.json [--missing]
"""
import json
import re
import sys

FENCE = re.compile(r"^[ \t]*```+[ \t]*([^\n`]*)$", re.M)
RUST_TAGS = {"rust", "no_run", "ignore", "should_panic", "compile_fail", ""}


def code_kinds(docs):
    """The set of tags of the Rust code blocks in `docs` (opening fences only)."""
    kinds = []
    opening = True
    for m in FENCE.finditer(docs or ""):
        if opening:
            tags = {t.strip() for t in m.group(1).split(",") if t.strip()}
            rusty = not tags or all(
                t in RUST_TAGS or t.startswith("edition") for t in tags
            )
            if rusty:
                kinds.append(tags)
        opening = not opening
    return kinds


def main():
    path = sys.argv[1]
    show_missing = "--missing" in sys.argv
    doc = json.load(open(path))
    index = doc["index"]
    paths = doc["paths"]
    root = doc["root"]
    crate_id = index[str(root)]["crate_id"]

    # Who owns each method: an inherent impl's type or a trait.
    fns = {}  # id -> display name
    for iid, item in index.items():
        if item["crate_id"] != crate_id:
            continue
        inner = item["inner"]
        if "function" in inner and item["visibility"] == "public":
            fns.setdefault(iid, None)
        elif "impl" in inner:
            imp = inner["impl"]
            if imp["trait"] is not None or imp.get("is_synthetic") or imp.get("blanket_impl"):
                # trait impl methods: documented by the trait
                for m in imp["items"]:
                    fns.pop(str(m), None)
                continue
            for m in imp["items"]:
                mi = index.get(str(m))
                if mi and "function" in mi["inner"] and mi["visibility"] == "public":
                    fns[str(m)] = None
        elif "trait" in inner:
            for m in inner["trait"]["items"]:
                mi = index.get(str(m))
                if mi and "function" in mi["inner"]:
                    fns[str(m)] = None

    # Trait impl methods are listed above only when visited before their impl;
    # drop any method that belongs to a trait impl, whatever the order.
    for item in index.values():
        inner = item["inner"]
        if "impl" in inner and inner["impl"]["trait"] is not None:
            for m in inner["impl"]["items"]:
                fns.pop(str(m), None)

    def where(iid):
        item = index[iid]
        span = item.get("span") or {}
        return f"{span.get('filename', '?')}:{(span.get('begin') or [0])[0]} {item['name']}"

    with_example = 0
    no_run = 0
    missing = []
    for iid in fns:
        kinds = code_kinds(index[iid].get("docs"))
        if kinds:
            with_example += 1
            if all(("no_run" in k or "ignore" in k) for k in kinds):
                no_run += 1
        else:
            missing.append(where(iid))
    total = len(fns)
    name = index[str(root)]["name"]
    print(f"{name}: {total} public functions, {with_example} with an example "
          f"({100.0 * with_example / max(total, 1):.1f}%), of which {no_run} only no_run/ignore")
    if show_missing:
        for m in sorted(missing):
            print("  missing:", m)


if __name__ == "__main__":
    main()
