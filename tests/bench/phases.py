#!/usr/bin/env python3
"""phases.py CONTAIN ROOT RUNS -- ARGS...: where the time of one contain command goes.

Runs `CONTAIN --root ROOT --debug --log-format json --log LOG ARGS...` RUNS times and reads the
debug log: the runtime's own steps and its init's (replayed at the child's time), in time
order. Each step's share is the time since the step before it; the first is the time from the
spawn to the first line (process start, Go runtime, command line), the last from the last line to
the exit. Prints a Markdown table of the medians. Consecutive lines with the same message (one
"mount" line per mount) are one step. "{i}" in ARGS is replaced by the run number.
"""
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def steps(log, t0, t1):
    lines = []
    with open(log) as f:
        for line in f:
            try:
                e = json.loads(line)
                t = datetime.datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp()
            except (ValueError, KeyError):
                continue
            lines.append((t, e.get("msg", "")))
    lines.sort()
    out, prev, last = [], t0, None
    for t, msg in lines:
        if msg == last:
            out[-1] = (msg, out[-1][1] + (t - prev))
        else:
            out.append((msg, t - prev))
        prev, last = t, msg
    out.append(("(exit)", t1 - prev))
    return out


def main():
    if len(sys.argv) < 5 or sys.argv[4] != "--":
        sys.exit("usage: phases.py CONTAIN ROOT RUNS -- ARGS...")
    contain, root, runs, args = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[5:]
    order, times, totals = [], {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            log = os.path.join(tmp, f"log{i}.json")
            cmd = [contain, "--root", root, "--debug", "--log-format", "json", "--log", log]
            cmd += [a.replace("{i}", str(i)) for a in args]
            t0 = time.time()
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            t1 = time.time()
            if p.returncode != 0:
                sys.exit(f"phases: {' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
            totals.append(t1 - t0)
            for n, (msg, d) in enumerate(steps(log, t0, t1)):
                key = (n, msg)
                if key not in times:
                    order.append(key)
                    times[key] = []
                times[key].append(d)
    print(f"`contain {' '.join(args)}`, {runs} runs, medians (ms)\n")
    print("| step (time since the step before) | ms |\n|---|---:|")
    for key in order:
        v = times[key]
        if len(v) * 2 < runs:
            continue  # a step most runs did not log
        print(f"| {key[1] or '(no message)'} | {statistics.median(v) * 1000:.2f} |")
    print(f"| **total** (spawn to exit) | **{statistics.median(totals) * 1000:.2f}** |")


if __name__ == "__main__":
    main()
