"""history_gen.py DIR SPEC... - hand-built inputs for the histprune and
histstats cases: one hist JSONL report per run, DIR/<run>.jsonl.

SPEC is RUN@START:TEST=SECONDS[/OUTCOME[/ATTEMPTS]],... where START is
seconds since the epoch, or -N for N days before now (for --max-age).
A test with ATTEMPTS > 1 gets rerun lines before its final one."""
import json
import os
import sys
import time


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for spec in sys.argv[2:]:
        head, tests = spec.split(":", 1)
        run, start = head.split("@")
        start = float(start)
        if start < 0:
            start = time.time() + start * 86400
        lines = []
        t = start
        for item in tests.split(","):
            name, rest = item.split("=")
            parts = rest.split("/")
            secs = float(parts[0])
            outcome = parts[1] if len(parts) > 1 else "passed"
            attempts = int(parts[2]) if len(parts) > 2 else 1
            for a in range(1, attempts + 1):
                lines.append({"hist": 1, "type": "test", "nodeid": "tests/" + name, "attempt": a,
                              "outcome": outcome if a == attempts else "rerun",
                              "setup": 0.0, "call": secs, "teardown": 0.0, "worker": "master",
                              "start": t})
                t += secs
        lines.append({"hist": 1, "type": "session", "start": start, "collect": 0.5, "wall": t - start + 1,
                      "workers": 0, "tests": len(lines), "plan_id": None, "shard": None, "shards": None})
        with open(os.path.join(out, run + ".jsonl"), "w") as f:
            for line in lines:
                f.write(json.dumps(line) + "\n")


main()
