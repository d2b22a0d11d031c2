"""`make bench`: run every benchmark, print their tables, write bench/results.json.

    .venv/bin/python bench/run.py                 # everything, full sizes
    .venv/bin/python bench/run.py roundtrip -n 50 # one benchmark, fewer commands
    .venv/bin/python bench/run.py --quick         # tiny sizes, no venv install (smoke)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common, issue21, sideenv  # noqa: E402

BENCHMARKS = ("roundtrip", "runbook", "scale", "reallab", "fleet")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("which", nargs="*", metavar="BENCHMARK",
                    help=f"benchmarks to run, among {', '.join(BENCHMARKS)} (default: all)")
    ap.add_argument("-n", type=int, default=None, help="commands per repetition (roundtrip)")
    ap.add_argument("--reps", type=int, default=common.MIN_REPS,
                    help=f"repetitions per measurement (default and minimum for a report: "
                         f"{common.MIN_REPS})")
    ap.add_argument("--lvs", type=int, default=10_000, help="LVs for the scale benchmark")
    ap.add_argument("--domains", type=int, default=500, help="domUs for the scale benchmark")
    ap.add_argument("--quick", action="store_true",
                    help="tiny sizes; never installs the Ansible/Fabric venv (smoke test)")
    ap.add_argument("--results", type=Path, default=common.RESULTS,
                    help="where to write results.json")
    args = ap.parse_args(argv)
    which = args.which or list(BENCHMARKS)
    if unknown := [w for w in which if w not in BENCHMARKS]:
        ap.error(f"unknown benchmark {', '.join(unknown)}: choose among {', '.join(BENCHMARKS)}")
    if args.reps < common.MIN_REPS and not args.quick:
        print(f"bench: note: --reps {args.reps} < {common.MIN_REPS}; medians will be rough",
              file=sys.stderr)
    info = common.machine()
    if not args.quick and {"roundtrip", "runbook"} & set(which):
        py = sideenv.python(install=True)
        if py is not None:
            info["baselines"] = sideenv.versions(py)
    print(f"bench: {info['cores']} cores, {info['cpu']}, {info['memory_mib']} MiB, Python "
          f"{info['python']}, paramiko {info['paramiko']}, {info['openssh']}; load average "
          f"{info['load_average_start']}", flush=True)
    reports: dict[str, common.Report] = {}
    for name in which:
        start = time.perf_counter()
        print(f"bench: running {name}...", flush=True)
        reports[name] = _run_one(name, args)
        common.print_report(reports[name])
        print(f"bench: {name} took {time.perf_counter() - start:.0f}s", flush=True)
        common.write_results(reports, info, args.results)  # keep what we have so far
    data = common.write_results(reports, info, args.results)
    issue21.print_summary(data["issue21"])
    print(f"\nbench: wrote {args.results}")
    missed = [f"{name}: {t.name}" for name, r in reports.items() for t in r.targets
              if not t.met]
    if missed:
        print("bench: targets missed (see bench/README.md for where the time goes):\n  " +
              "\n  ".join(missed))
    return 0


def _run_one(name: str, args: argparse.Namespace) -> common.Report:
    if name == "roundtrip":
        from bench import roundtrip
        n = args.n or (10 if args.quick else 200)
        return roundtrip.run(n=n, reps=args.reps, quick=args.quick)
    if name == "runbook":
        from bench import runbook_overhead
        return runbook_overhead.run(reps=args.reps, quick=args.quick)
    if name == "fleet":
        from bench import fleet
        return fleet.run(reps=args.reps, quick=args.quick)
    if name == "reallab":
        try:
            from bench import reallab
        except ImportError as e:   # the real lab's benchmark is not in this tree
            rep = common.Report("Real Xen lab: start from the snapshot vs cold boot")
            rep.skipped["real lab"] = f"bench/reallab.py cannot be imported: {e}"
            return rep
        return reallab.run(reps=args.reps, quick=args.quick)
    from bench import scale
    if args.quick:
        return scale.run(n_lvs=min(args.lvs, 200), n_domains=min(args.domains, 10),
                         reps=args.reps, lab_sizes=(50,))
    return scale.run(n_lvs=args.lvs, n_domains=args.domains, reps=args.reps)


if __name__ == "__main__":
    sys.exit(main())
