"""bench/real_report.py picks, per process, the attempt it reports from a
runs.tsv where bench/real.sh ran some processes again on a slow machine:
the first clean attempt, else the least slow one, flagged."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAD = ("round shards method shard wall predicted exit report load_start load_end cpu "
        "attempt probe_n probe_ms ref_ms speed steal wait slow").split()
# round, shards, method, shard, wall, predicted, attempt, speed, steal, wait
RUNS = [
    (0, 1, "serial", 1, 30.0, "", 1, 1.20, 0.00, 0.01),   # slow: speed
    (0, 1, "serial", 1, 20.0, "", 2, 1.01, 0.00, 0.01),   # clean: used
    (0, 1, "serial", 2, 21.0, "", 1, 0.99, 0.01, 0.01),   # clean
    (1, 2, "hist", 1, 10.0, 10.0, 1, 1.00, 0.00, 0.04),   # wait 4% under this meta's 5%: clean
    (1, 2, "hist", 2, 19.0, 10.0, 1, 1.00, 0.05, 0.00),   # steal 2.5 x its limit
    (1, 2, "hist", 2, 12.0, 10.0, 2, 1.10, 0.00, 0.00),   # speed 1.048 x: the least slow
    (1, 2, "hist", 2, 15.0, 10.0, 3, 1.00, 0.00, 0.07),   # wait 1.4 x
    (1, 2, "least_duration", 1, 11.0, "", 1, 1.00, 0.00, 0.00),
    (1, 2, "least_duration", 2, 14.0, "", 1, 1.00, 0.00, 0.06),  # slow: wait
    (1, 2, "least_duration", 2, 11.5, "", 2, 1.02, 0.01, 0.01),  # clean: used
    (1, 2, "least_duration", 2, 13.0, "", 3, 1.00, 0.00, 0.00),  # clean, but after the first clean one
]
META = {"speed_limit": "1.05", "steal_limit": "0.02", "wait_limit": "0.05", "reruns": "2",
        "probe_median_ms": "10.0"}


def run_report(tmp_path):
    work = tmp_path / "real"
    work.mkdir()
    with open(work / "runs.tsv", "w", encoding="utf-8") as f:
        f.write("\t".join(HEAD) + "\n")
        for rd, n, m, k, wall, pred, att, speed, steal, wait in RUNS:
            row = dict.fromkeys(HEAD, "")
            row.update({"round": rd, "shards": n, "method": m, "shard": k, "wall": wall, "predicted": pred,
                        "exit": 0, "cpu": wall, "attempt": att, "probe_n": 20, "probe_ms": 10 * speed,
                        "ref_ms": 10.0, "speed": speed, "steal": steal, "wait": wait, "load_start": "0.5",
                        "load_end": "0.5"})
            f.write("\t".join(str(row[h]) for h in HEAD) + "\n")
    with open(work / "meta.tsv", "w", encoding="utf-8") as f:
        for k, v in META.items():
            f.write("%s\t%s\n" % (k, v))
    md, js = tmp_path / "real.md", tmp_path / "real.json"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench/real_report.py"), str(work), str(md), str(js)],
                   check=True)
    with open(js, encoding="utf-8") as f:
        return json.load(f), md.read_text(encoding="utf-8")


def test_selection(tmp_path):
    doc, md = run_report(tmp_path)
    assert doc["serial_walls"] == [20.0, 21.0]
    by = {(r["round"], r["shards"], r["method"]): r for r in doc["rounds"]}
    assert by[(1, 2, "hist")]["walls"] == [10.0, 12.0]
    assert by[(1, 2, "hist")]["unclean"] == [False, True]
    assert by[(1, 2, "least_duration")]["walls"] == [11.0, 11.5]
    assert by[(1, 2, "least_duration")]["unclean"] == [False, False]
    sp = doc["machine_speed"]
    assert sp["unclean"] == ["hist round 1 N=2 shard 2"]
    assert sp["rerun"] == 3 and sp["processes"] == 6 and sp["attempts"] == len(RUNS)
    assert sp["rerun_reasons"] == {"speed": 1, "steal": 1, "wait": 2}  # attempts set aside
    used = [(x["method"], x["shard"], x["attempt"]) for x in sp["rows"] if x["used"]]
    assert used == [("serial", 1, 2), ("serial", 2, 1), ("hist", 1, 1), ("hist", 2, 2),
                    ("least_duration", 1, 1), ("least_duration", 2, 2)]
    assert "| 2 | hist | 10.00 12.00! |" in md
    assert "left without a clean attempt" in md
