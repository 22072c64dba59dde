#!/usr/bin/env python3
"""Pass Molecule's output through and print how long each action took at the end.

    molecule test -s default 2>&1 | molecule_timings.py [--json FILE]
    molecule_timings.py --table FILE...     # one row per scenario from the --json files

An action runs from Molecule's "<scenario> ➜ <action>: Executing" line to the next
"Executed" line of the same action; the create playbook's "VM boot to SSH" line gives the
boot time of each VM.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# "default ➜ create: Executing" on a terminal, "[default > create] Executing" in a pipe
START = re.compile(r"^INFO\s+\[?(\S+) (?:➜|>) (\w+)\]?:? Executing$")
END = re.compile(r"\[?(\S+) (?:➜|>) (\w+)\]?:? Executed")
BOOT = re.compile(r"VM boot to SSH: (.*?)\"?$")


TABLE_ACTIONS = ("create", "converge", "idempotence", "verify", "destroy")


def print_table(paths: list[str]) -> None:
    """The scenarios side by side: seconds per action (the last destroy, the one after
    verify), each scenario's total, and the whole stage."""
    print("\n== Molecule timings (seconds)")
    print(f"  {'scenario':<16}" + "".join(f"{a:>12}" for a in TABLE_ACTIONS) + f"{'total':>9}")
    whole = 0.0
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        seconds = {r["action"]: r["seconds"] for r in data["actions"] if r["seconds"] is not None}
        name = next((r["scenario"] for r in data["actions"]), path)
        cells = "".join(f"{seconds.get(a, '-'):>12}" for a in TABLE_ACTIONS)
        print(f"  {name:<16}{cells}{data['total']:>9}")
        whole += data["total"]
    print(f"  {'all':<16}{'':>{12 * len(TABLE_ACTIONS)}}{round(whole, 1):>9}")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--json", help="also write the timings to this file")
    p.add_argument("--table", nargs="+", metavar="FILE", help="print these --json files' table")
    args = p.parse_args()
    if args.table:
        print_table(args.table)
        return 0
    t0 = time.monotonic()
    rows: list[dict] = []
    open_: dict[tuple[str, str], dict] = {}
    boots: list[str] = []
    for raw in sys.stdin:
        sys.stdout.write(raw)
        sys.stdout.flush()
        line = ANSI.sub("", raw).strip()
        now = time.monotonic()
        if m := START.match(line):
            row = {"scenario": m[1], "action": m[2], "start": now - t0, "seconds": None}
            open_[(m[1], m[2])] = row
            rows.append(row)
        elif (m := END.search(line)) and (m[1], m[2]) in open_:
            row = open_.pop((m[1], m[2]))
            row["seconds"] = round(now - t0 - row["start"], 1)
            row["result"] = line.split("Executed:", 1)[-1].strip()
        elif m := BOOT.search(line):
            boots.append(m[1])
    total = round(time.monotonic() - t0, 1)
    print("\n== timings (seconds)")
    for row in rows:
        if row["seconds"] is not None and not row["result"].startswith(("Missing", "2 disabled")):
            print(f"  {row['scenario']:<12} {row['action']:<12} {row['seconds']:>7}")
    for boot in boots:
        print(f"  VM boot to SSH: {boot}")
    print(f"  total {total}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"actions": rows, "boot": boots, "total": total}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
