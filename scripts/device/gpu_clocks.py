#!/usr/bin/env python3
"""The GPU's SM clock, power and clock-event reasons over each run of a benchmark.

Reads an nvidia-smi sample log (--query-gpu=timestamp,clocks.sm,power.draw,temperature.gpu,
clocks_event_reasons.active --format=csv,noheader -lms N) and a benchmark log whose lines were prefixed with the
epoch time they were printed at (issue4_lib.sh does both). A line that reports a run (it contains RUN_PATTERN)
ends that run; the run began at the previous such line (or at the first sample). Per run: the median and
minimum SM clock, the mean power, the hottest temperature and every clock-event reason seen.

Why: when a best-effort tenant keeps every SM busy the GPU may draw more power and lower its clocks, which
slows a latency-sensitive request as surely as contention does and no scheduling decision can undo.

  gpu_clocks.py SAMPLES.csv TIMED.log [--json OUT.json] [--run-pattern REGEX]
"""
import argparse
import datetime
import json
import re
import statistics


def parse_samples(path):
    samples = []
    for line in open(path):
        fields = [f.strip() for f in line.split(",")]
        if len(fields) < 5:
            continue
        try:
            # nvidia-smi prints the machine's local time: read it as local time.
            t = datetime.datetime.strptime(fields[0], "%Y/%m/%d %H:%M:%S.%f").timestamp()
            clock = float(fields[1].split()[0])
            power = float(fields[2].split()[0])
            temperature = float(fields[3].split()[0])
        except ValueError:
            continue
        samples.append((t, clock, power, temperature, fields[4]))
    return samples


def parse_runs(path, pattern):
    runs = []
    for line in open(path):
        stamp, _, text = line.partition(" ")
        try:
            t = float(stamp)
        except ValueError:
            continue
        m = re.match(pattern, text.strip())
        if m:
            runs.append((t, m.group(1)))
    return runs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("samples")
    parser.add_argument("timed_log")
    parser.add_argument("--json")
    parser.add_argument("--run-pattern", default=r"(\S+)\s+LS p50/p99")
    args = parser.parse_args()
    samples = parse_samples(args.samples)
    runs = parse_runs(args.timed_log, args.run_pattern)
    if not samples or not runs:
        print(f"gpu_clocks: {len(samples)} samples, {len(runs)} runs: nothing to summarise")
        return
    begin = samples[0][0]
    result = []
    print(f"{'run':<28} {'SM MHz p50':>10} {'min':>6} {'power W':>8} {'max C':>6}  clock-event reasons")
    for end, name in runs:
        window = [s for s in samples if begin <= s[0] <= end]
        begin = end
        if not window:
            continue
        clocks = [s[1] for s in window]
        entry = {"run": name, "samples": len(window), "sm_mhz_median": statistics.median(clocks),
                 "sm_mhz_min": min(clocks), "power_w_mean": statistics.mean(s[2] for s in window),
                 "temperature_c_max": max(s[3] for s in window),
                 "event_reasons": sorted({s[4] for s in window})}
        result.append(entry)
        print(f"{name:<28} {entry['sm_mhz_median']:>10.0f} {entry['sm_mhz_min']:>6.0f} "
              f"{entry['power_w_mean']:>8.0f} {entry['temperature_c_max']:>6.0f}  {' '.join(entry['event_reasons'])}")
    if args.json:
        json.dump(result, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
