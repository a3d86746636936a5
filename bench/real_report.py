#!/usr/bin/python3
"""real_report.py WORK OUT.md OUT.json - the tables of bench/real.sh.

Reads WORK/runs.tsv (one line per pytest process: round, shards, method,
shard, wall from outside, hist's predicted seconds) and WORK/meta.tsv, and
writes per round and shard count, for each method: the shard walls, the
slowest, the mean, slowest / mean; for hist also each shard's prediction
against its wall and the slowest predicted against the slowest measured;
every makespan against pytest-split least_duration's of the same round.
Then the medians over the rounds, and the issue's targets at N = 4 and 8
(slowest / mean <= 1.05, every shard predicted within 5%, makespan <= 0.75 x
least_duration's). Then the noise floor: the last round's hist shards run
again (method hist-repeat), each shard's wall against its first run. A process that started or ended with a 1-minute load
average of LOADED (1.5) or more ran beside other work (the benchmark's own
process counts about 1): its wall is marked with * and counted. Each
process's CPU time (user + system, from /usr/bin/time) stands beside its
wall: a wall far above it waited for a core.

The machine's speed: bench/real.sh runs a process again (up to RERUNS
times) when, during it, the speed probe's fixed chunk took more CPU time
than SPEED_LIMIT x its median before, on one CPU (speed), the guest
lost more than STEAL_LIMIT of the wall to steal (steal), or the wall
was more than WAIT_LIMIT above its CPU time (wait). runs.tsv keeps every
attempt; here each process is the first clean attempt, else the least
slow one (the smallest figure over its limit), flagged "!". select()
judges from runs.tsv's columns and meta.tsv's limits alone, as real.sh
did while it ran."""
import csv
import gzip
import json
import statistics
import sys

METHODS = ("hist", "least_duration", "duration_based_chunks")
TARGET_BALANCE = 1.05
TARGET_PREDICTION = 0.05
TARGET_VS_SPLIT = 0.75
LOADED = 1.5
# Defaults of bench/real.sh's limits, for a meta.tsv that names none.
LIMITS = {"speed": 1.05, "steal": 0.02, "wait": 0.03}


def loaded(row):
    """The load runs.tsv recorded around the process (older files have none)."""
    got = [float(row[k]) for k in ("load_start", "load_end") if row.get(k)]
    return bool(got) and max(got) >= LOADED


def limits_of(meta):
    return {k: float(meta.get(k + "_limit") or v) for k, v in LIMITS.items()}


def judge(row, limits):
    """(reasons, score): which of speed, steal, wait are over their limit,
    and the largest figure / limit (how slow); empty figures are not judged."""
    reasons, score = [], 0.0
    for key in ("speed", "steal", "wait"):
        if row.get(key):
            ratio = float(row[key]) / limits[key]
            score = max(score, ratio)
            if ratio > 1:
                reasons.append(key)
    return reasons, score


def select(runs, limits):
    """The attempts the report uses: per process (round, shards, method,
    shard), the first clean attempt, else the least slow. Marks every row
    with _slow (its reasons), _used and, on a used row that is slow,
    _unclean. Files from before attempts were recorded: every row, as is."""
    for r in runs:
        r["_slow"], r["_score"] = judge(r, limits)
        r["_used"] = r["_unclean"] = False
    if not runs or "attempt" not in runs[0]:
        for r in runs:
            r["_used"] = True
        return runs
    groups = {}
    for r in runs:
        groups.setdefault((r["round"], r["shards"], r["method"], r["shard"]), []).append(r)
    for rows in groups.values():
        rows.sort(key=lambda r: int(r["attempt"]))
        clean = [r for r in rows if not r["_slow"]]
        if clean:
            clean[0]["_used"] = True
        else:
            best = min(rows, key=lambda r: r["_score"])
            best["_used"] = best["_unclean"] = True
    return [r for r in runs if r["_used"]]


def read_runs(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def read_meta(path):
    meta = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            meta[key] = value.replace("\t", "; ")
    return meta


def session_wall(work, row):
    """The wall the shard's own session record gives (up to its report), or None."""
    if not row.get("report"):
        return None
    try:
        with gzip.open(work + "/" + row["report"], "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                if rec.get("type") == "session":
                    return rec.get("wall")
    except (OSError, ValueError):
        return None
    return None


def summarize(work, rows):
    """One method at one N in one round."""
    rows = sorted(rows, key=lambda r: int(r["shard"]))
    walls = [float(r["wall"]) for r in rows]
    out = {"walls": walls, "slowest": max(walls), "mean": statistics.fmean(walls),
           "loaded": [loaded(r) for r in rows],
           "unclean": [bool(r.get("_unclean")) for r in rows],
           "cpu": [float(r["cpu"]) if r.get("cpu") else None for r in rows]}
    # What the process spent after its report was written (the
    # interpreter's exit): in the wall from outside, in no record.
    recorded = [session_wall(work, r) for r in rows]
    if all(w is not None for w in recorded):
        out["after_report"] = [w - s for w, s in zip(walls, recorded)]
    out["balance"] = out["slowest"] / out["mean"]
    if all(r["predicted"] for r in rows):
        pred = [float(r["predicted"]) for r in rows]
        err = [(p - w) / w for p, w in zip(pred, walls)]
        out["predicted"] = pred
        out["errors"] = err
        out["worst_error"] = max(err, key=abs)
        # Against the round's own speed: a round on a slower machine moves
        # every shard alike, which balance does not mind (bench/backtest.py).
        ratio = [p / w for p, w in zip(pred, walls)]
        rel = [q / statistics.fmean(ratio) - 1 for q in ratio]
        out["relative_errors"] = rel
        out["worst_relative_error"] = max(rel, key=abs)
        out["slowest_predicted"] = max(pred)
        out["slowest_error"] = (max(pred) - out["slowest"]) / out["slowest"]
    return out


def repeatability(runs, table):
    """The last round's hist shards run twice: how far one shard's wall
    moves between two runs of the same work (the floor under any
    prediction), per N."""
    out = {}
    for r in runs:
        if r["method"] != "hist-repeat":
            continue
        rd, n = int(r["round"]), int(r["shards"])
        first = table.get((rd, n, "hist"))
        if first:
            out.setdefault(n, {"round": rd, "first": first["walls"], "again": [None] * len(first["walls"])})
            out[n]["again"][int(r["shard"]) - 1] = float(r["wall"])
    for n, s in out.items():
        pairs = [(a, b) for a, b in zip(s["first"], s["again"]) if b is not None]
        s["differences"] = [b / a - 1 for a, b in pairs]
        s["median_abs_difference"] = statistics.median(abs(d) for d in s["differences"])
        s["max_abs_difference"] = max(abs(d) for d in s["differences"])
        again = [b for _, b in pairs]
        s["again_balance"] = max(again) / statistics.fmean(again)
    return out


def num(row, key):
    return float(row[key]) if row.get(key) else None


def machine_speed(attempts, runs, meta, limits):
    """The probe's evidence: every attempt, whether it was used, why any
    was run again, and which processes were left without a clean attempt."""
    session = float(meta["probe_median_ms"]) if meta.get("probe_median_ms") else None
    rows = []
    for r in attempts:
        pm = num(r, "probe_ms")
        rows.append({"round": int(r["round"]), "shards": int(r["shards"]), "method": r["method"],
                     "shard": int(r["shard"]), "attempt": int(r.get("attempt") or 1),
                     "wall": float(r["wall"]), "cpu": num(r, "cpu"), "probe_samples": num(r, "probe_n"),
                     "probe_ms": pm, "speed": num(r, "speed"),
                     "vs_session": pm / session if pm is not None and session else None,
                     "steal": num(r, "steal"), "wait": num(r, "wait"), "loaded": loaded(r),
                     "slow": r["_slow"], "used": r["_used"], "unclean": r["_unclean"]})
    rerun = sorted({(x["round"], x["shards"], x["method"], x["shard"]) for x in rows if x["attempt"] > 1})
    reasons = {}
    for x in rows:
        if x["slow"] and not x["used"]:
            for k in x["slow"]:
                reasons[k] = reasons.get(k, 0) + 1
    return {"limits": limits, "reruns": meta.get("reruns"), "session_median_ms": session,
            "probe": meta.get("probe"), "p10_p90_ms": meta.get("probe_p10_p90_ms"),
            "samples": meta.get("probe_samples"), "processes": len(runs), "attempts": len(rows),
            "rerun": len(rerun), "rerun_reasons": reasons,
            "unclean": ["%s round %d N=%d shard %d" % (x["method"], x["round"], x["shards"], x["shard"])
                        for x in rows if x["unclean"]],
            "rows": rows}


def speed_summary(sp, limits):
    if not any(x["speed"] is not None or x["steal"] is not None for x in sp["rows"]):
        return ["- machine speed: not recorded (runs.tsv from before the speed probe)"]
    out = ["- machine speed (bench/speed_probe.c, %s): the chunk's CPU time, session median %s ms "
           "(10th-90th percentile %s ms, %s samples)" % (
               sp["probe"] or "?", sp["session_median_ms"] or "?", sp["p10_p90_ms"] or "?", sp["samples"] or "?"),
           "- a process counts as run on a slow machine when its chunks' median was over %.2f x the "
           "same CPU's median before it (speed), steal took over %.1f%% of its wall (steal), or its wall was "
           "over %.1f%% above its CPU time (wait); it is then run again, up to %s more times" % (
               limits["speed"], 100 * limits["steal"], 100 * limits["wait"], sp["reruns"] or "?"),
           "- %d of %d processes were run again (%d attempts in all; slow attempts set aside: %s)" % (
               sp["rerun"], sp["processes"], sp["attempts"],
               ", ".join("%s %d" % kv for kv in sorted(sp["rerun_reasons"].items())) or "none")]
    if sp["unclean"]:
        out.append("- **left without a clean attempt** (their least slow attempt is used, marked !): %d: %s"
                   % (len(sp["unclean"]), "; ".join(sp["unclean"])))
    else:
        out.append("- every process used has a clean attempt")
    return out


def speed_table(sp):
    if not any(x["speed"] is not None or x["steal"] is not None for x in sp["rows"]):
        return []
    def f(v, fmt):
        return fmt % v if v is not None else "-"
    out = ["## The machine's speed during each process", "",
           "Every attempt runs.tsv holds. speed: the probe chunk's median CPU time during the process "
           "over the median of the chunks on the same CPU before it, the slowest CPU's figure (what real.sh "
           "judged by); vs session: that CPU's median during the process over the whole "
           "session's median; steal: stolen CPU seconds (all cores) per second of wall; wait: wall "
           "above CPU time, as a share of the wall.", "",
           "| round | N | method | shard | attempt | wall (s) | CPU (s) | speed | vs session | steal | wait | "
           "verdict |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for x in sp["rows"]:
        slow = "slow: " + "+".join(x["slow"]) if x["slow"] else "clean"
        verdict = ("used, no clean attempt (%s)" % slow) if x["unclean"] else \
            ("used" if x["used"] else "set aside (%s)" % slow)
        out.append("| %d | %d | %s | %d | %d | %.2f%s | %s | %s | %s | %s | %s | %s |" % (
            x["round"], x["shards"], x["method"], x["shard"], x["attempt"], x["wall"], "*" if x["loaded"] else "",
            f(x["cpu"], "%.2f"), f(x["speed"], "%.3f"), f(x["vs_session"], "%.3f"),
            f(x["steal"] if x["steal"] is None else 100 * x["steal"], "%.1f%%"),
            f(x["wait"] if x["wait"] is None else 100 * x["wait"], "%.1f%%"), verdict))
    out.append("")
    return out


def main():
    work, md_path, json_path = sys.argv[1:4]
    attempts = read_runs(work + "/runs.tsv")
    meta = read_meta(work + "/meta.tsv")
    limits = limits_of(meta)
    runs = select(attempts, limits)
    serial = [float(r["wall"]) for r in runs if r["method"] == "serial"]
    serial_loaded = [loaded(r) for r in runs if r["method"] == "serial"]
    serial_unclean = [r["_unclean"] for r in runs if r["method"] == "serial"]
    speed = machine_speed(attempts, runs, meta, limits)
    n_loaded = sum(loaded(r) for r in runs)
    rounds = sorted({int(r["round"]) for r in runs if r["method"] != "serial"})
    counts = sorted({int(r["shards"]) for r in runs if r["method"] != "serial"})
    methods = [m for m in METHODS if any(r["method"] == m for r in runs)]
    table = {}
    for rd in rounds:
        for n in counts:
            for m in methods:
                rows = [r for r in runs if r["method"] == m and int(r["round"]) == rd and int(r["shards"]) == n]
                if rows:
                    table[(rd, n, m)] = summarize(work, rows)
            base = table.get((rd, n, "least_duration"))
            for m in methods:
                s = table.get((rd, n, m))
                if s and base:
                    s["vs_least_duration"] = s["slowest"] / base["slowest"]

    lines = ["# Shards of a real suite as they really run (bench/real.sh)", ""]
    lines.append("Suite: python3-networkx's tests, from a private copy; each shard one fresh pytest "
                 "process, wall from outside (interpreter start and collection included), "
                 "shards one after another.")
    lines.append("")
    for key in ("python", "commit", "nproc", "pytest_split", "histplan_args", "start", "end"):
        if key in meta:
            lines.append("- %s: %s" % (key, meta[key]))
    if serial:
        lines.append("- serial runs (history): %s s" % " ".join(
            "%.2f%s%s" % (w, "*" if l else "", "!" if u else "")
            for w, l, u in zip(serial, serial_loaded, serial_unclean)))
    lines.append("- processes run under load (1-minute load average >= %.1f at start or end, marked *): "
                 "%d of %d%s" % (LOADED, n_loaded, len(runs),
                                 "" if not n_loaded else ": their walls say how busy the machine was"))
    lines.extend(speed_summary(speed, limits))
    lines.append("")
    lines.append("Targets at N = 4 and 8 (median of the rounds): slowest / mean <= %.2f, every "
                 "predicted shard within %d%% of its wall, makespan <= %.2f x least_duration's."
                 % (TARGET_BALANCE, TARGET_PREDICTION * 100, TARGET_VS_SPLIT))
    lines.append("")
    lines.append("## Medians over %d round(s)" % len(rounds))
    lines.append("")
    lines.append("| N | method | slowest (s) | mean (s) | slowest / mean | worst shard prediction error | "
                 "worst relative to the round | slowest predicted vs actual | makespan / least_duration's |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    medians = {}
    for n in counts:
        for m in methods:
            got = [table[(rd, n, m)] for rd in rounds if (rd, n, m) in table]
            if not got:
                continue
            med = {k: statistics.median([g[k] for g in got]) for k in ("slowest", "mean", "balance")}
            if "worst_error" in got[0]:
                med["worst_error_abs"] = statistics.median([abs(g["worst_error"]) for g in got])
                med["slowest_error"] = statistics.median([g["slowest_error"] for g in got])
                med["worst_relative_abs"] = statistics.median([abs(g["worst_relative_error"]) for g in got])
            if all("vs_least_duration" in g for g in got):
                med["vs_least_duration"] = statistics.median([g["vs_least_duration"] for g in got])
            medians["%d/%s" % (n, m)] = med
            lines.append("| %d | %s | %.2f | %.2f | %.3f | %s | %s | %s | %s |" % (
                n, m, med["slowest"], med["mean"], med["balance"],
                "%.1f%%" % (100 * med["worst_error_abs"]) if "worst_error_abs" in med else "",
                "%.1f%%" % (100 * med["worst_relative_abs"]) if "worst_relative_abs" in med else "",
                "%+.1f%%" % (100 * med["slowest_error"]) if "slowest_error" in med else "",
                "%.3f" % med["vs_least_duration"] if "vs_least_duration" in med else ""))
    lines.append("")
    verdict = {}
    for n in (4, 8):
        med = medians.get("%d/hist" % n)
        if not med:
            continue
        checks = {"balance": med["balance"] <= TARGET_BALANCE,
                  "prediction": med.get("worst_error_abs", 1) <= TARGET_PREDICTION}
        if "vs_least_duration" in med:
            checks["vs_least_duration"] = med["vs_least_duration"] <= TARGET_VS_SPLIT
        verdict[str(n)] = checks
        lines.append("- N = %d: %s" % (n, ", ".join("%s %s" % (k, "met" if v else "NOT met")
                                                    for k, v in checks.items())))
    lines.append("")
    for rd in rounds:
        lines.append("## Round %d%s" % (rd, " (plans from the serial runs)" if rd == 1 else
                                        " (plans from the serial runs and the shards of rounds before)"))
        lines.append("")
        lines.append("| N | method | shard walls (s) | CPU (s) | slowest | mean | slowest / mean | vs least_duration |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for n in counts:
            for m in methods:
                s = table.get((rd, n, m))
                if not s:
                    continue
                lines.append("| %d | %s | %s | %s | %.2f | %.2f | %.3f | %s |" % (
                    n, m, " ".join("%.2f%s%s" % (w, "*" if l else "", "!" if u else "")
                                   for w, l, u in zip(s["walls"], s["loaded"], s["unclean"])),
                    " ".join("%.2f" % c if c is not None else "-" for c in s["cpu"]),
                    s["slowest"], s["mean"], s["balance"],
                    "%.3f" % s["vs_least_duration"] if "vs_least_duration" in s else ""))
        lines.append("")
        lines.append("hist, predicted against actual:")
        lines.append("")
        lines.append("| N | predicted (s) | error per shard | relative to the round | slowest predicted vs actual | "
                     "after the report (s) |")
        lines.append("|---|---|---|---|---|---|")
        for n in counts:
            s = table.get((rd, n, "hist"))
            if not s or "predicted" not in s:
                continue
            lines.append("| %d | %s | %s | %s | %.2f vs %.2f (%+.1f%%) | %s |" % (
                n, " ".join("%.2f" % p for p in s["predicted"]),
                " ".join("%+.1f%%" % (100 * e) for e in s["errors"]),
                " ".join("%+.1f%%" % (100 * e) for e in s["relative_errors"]),
                s["slowest_predicted"], s["slowest"], 100 * s["slowest_error"],
                " ".join("%.2f" % a for a in s.get("after_report", []))))
        lines.append("")
    repeat = repeatability(runs, table)
    if repeat:
        lines.append("## Noise floor: the last round's hist shards run again")
        lines.append("")
        lines.append("The same shard files, the same machine, minutes later: no plan can predict a shard "
                     "closer than its wall moves between two runs of the same work.")
        lines.append("")
        lines.append("| N | first run (s) | again (s) | difference per shard | median abs difference | "
                     "largest | slowest / mean again |")
        lines.append("|---|---|---|---|---|---|---|")
        for n in sorted(repeat):
            s = repeat[n]
            lines.append("| %d | %s | %s | %s | %.1f%% | %.1f%% | %.3f |" % (
                n, " ".join("%.2f" % w for w in s["first"]),
                " ".join("%.2f" % w if w is not None else "-" for w in s["again"]),
                " ".join("%+.1f%%" % (100 * d) for d in s["differences"]),
                100 * s["median_abs_difference"], 100 * s["max_abs_difference"], s["again_balance"]))
        lines.append("")
    lines.extend(speed_table(speed))
    with open(md_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    doc = {"meta": meta, "serial_walls": serial, "serial_loaded": serial_loaded, "loaded_processes": n_loaded,
           "load_flag": LOADED, "medians": medians, "targets": verdict, "machine_speed": speed,
           "repeat": {str(n): s for n, s in sorted(repeat.items())},
           "rounds": [{"round": rd, "shards": n, "method": m, **table[(rd, n, m)]}
                      for (rd, n, m) in sorted(table)]}
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")


main()
