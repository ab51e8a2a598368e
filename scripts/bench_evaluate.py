"""Time ``cme-eval evaluate`` on one full-size LA extract, side by side across code trees.

Why: ``evaluate`` is what an LA runs on its own extracts, and a change that makes it slower
(hashing the inputs, extra checks on every cell) shows up only at full size. This script puts
two or more checkouts of the repository (e.g. a baseline commit and HEAD) through the very
same inputs, alternating them (A B A B ...) so that a machine shared with others loads them
alike, and prints wall time and peak memory per tree. It prints figures; it is not a test.

    .venv/bin/python scripts/bench_evaluate.py --work /tmp/bench-eval \\
        --tree /tmp/base --tree /tmp/head --repeats 3

Each tree's own code runs: every command is a fresh ``python -m cme_eval.run.cli`` with
``PYTHONPATH=<tree>`` and the tree as working directory (checked once at the start: the
imported ``cme_eval`` must lie inside the tree). The inputs are generated once, with the first
tree, by ``cme-eval generate`` (scenario ``pilot-2025``, LA Cardiff, full size), and their
``truth/`` folder is deleted: ``evaluate`` sees only what an LA would hold.

Peak memory is ``ru_maxrss`` from ``os.wait4`` on each run's own process: the largest single
process among it and the children it waited for (the notebook kernels), never a sum, and never
another run's (``RUSAGE_CHILDREN`` would be cumulative). CPU seconds are that tree's user +
system time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

CLI = "cme_eval.run.cli"
GENERATED = "generated"  # under --work: what ``cme-eval generate`` writes (inputs/, truth/)
RUNS = "runs"  # under --work: one evaluate output folder per run


@dataclass
class Tree:
    """One checkout of the repository and the runs made with it."""

    path: Path
    label: str
    commit: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peaks_mb: list[float] = field(default_factory=list)


def tree_env(tree: Path) -> dict[str, str]:
    """The environment of a command run with ``tree``'s code: only the tree on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    env.pop("PYTHONHOME", None)
    return env


def commit_of(tree: Path) -> str:
    done = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "?"


def check_imports_from(python: str, tree: Path) -> None:
    """Fail unless ``cme_eval`` imported with the tree on PYTHONPATH comes from the tree (and
    import the run modules once, so their bytecode is compiled before any timed run)."""
    code = ("import cme_eval, cme_eval.run.cli, cme_eval.run.pipeline, cme_eval.run.stages; "
            "print(cme_eval.__file__)")
    done = subprocess.run([python, "-c", code], cwd=tree, env=tree_env(tree),
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bench_evaluate: cannot import cme_eval from {tree}:\n{done.stderr}")
    where = Path(done.stdout.strip().splitlines()[-1]).resolve()
    if not where.is_relative_to(tree.resolve()):
        sys.exit(f"bench_evaluate: with PYTHONPATH={tree}, cme_eval comes from {where}")
    print(f"{tree}: cme_eval from {where}")


def generate(python: str, tree: Path, work: Path, scenario: str, authority: str,
             scale: float) -> Path:
    """Generate the LA's inputs once (kept between invocations); returns the inputs folder."""
    folder = work / GENERATED
    inputs, stamp = folder / "inputs", folder / ".generated"
    wanted = f"{scenario} {authority} scale={scale}\n"
    if stamp.is_file() and stamp.read_text() == wanted and inputs.is_dir():
        print(f"inputs already generated in {inputs} ({wanted.strip()})")
        return inputs
    shutil.rmtree(folder, ignore_errors=True)
    command = [python, "-m", CLI, "generate", scenario, "--authority", authority,
               "--scale", str(scale), "--out", str(folder), "-q"]
    print("generating:", " ".join(command))
    t0 = time.perf_counter()
    subprocess.run(command, cwd=tree, env=tree_env(tree), check=True)
    print(f"generated in {time.perf_counter() - t0:.1f} s")
    shutil.rmtree(folder / "truth")  # an LA holds no truth
    stamp.write_text(wanted)
    return inputs


def timed_run(command: list[str], tree: Path, log: Path) -> tuple[float, float, float, int]:
    """Run ``command`` in ``tree``; returns (wall s, CPU s, peak MB, exit code) of that run and
    the children it waited for, from its own ``wait4`` rusage."""
    with log.open("w") as out:
        t0 = time.perf_counter()
        child = subprocess.Popen(command, cwd=tree, env=tree_env(tree), stdout=out,
                                 stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)  # already reaped: no wait() after
    peak_kb = usage.ru_maxrss  # KB on Linux
    return wall, usage.ru_utime + usage.ru_stime, peak_kb / 1024, child.returncode


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def table(trees: list[Tree]) -> str:
    head = (f"{'tree':<24} {'commit':<8} {'runs':>4} {'median_s':>9} {'min_s':>7} "
            f"{'max_s':>7} {'cpu_s':>7} {'peak_mb':>8} {'ratio':>6}")
    lines = [head, "-" * len(head)]
    first = statistics.median(trees[0].walls) if trees[0].walls else float("nan")
    for t in trees:
        if not t.walls:
            lines.append(f"{t.label:<24} {t.commit:<8} {0:>4}  (no successful run)")
            continue
        median = statistics.median(t.walls)
        lines.append(f"{t.label:<24} {t.commit:<8} {len(t.walls):>4} {median:>9.1f} "
                     f"{min(t.walls):>7.1f} {max(t.walls):>7.1f} "
                     f"{statistics.median(t.cpus):>7.1f} {max(t.peaks_mb):>8.0f} "
                     f"{median / first:>6.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", action="append", required=True, type=Path, metavar="PATH",
                        help="a checkout of the repository (give two or more; the first is "
                             "the reference of the ratio and generates the inputs)")
    parser.add_argument("--work", required=True, type=Path, metavar="DIR",
                        help="folder for the generated inputs and the run folders")
    parser.add_argument("--repeats", type=int, default=3, metavar="N",
                        help="timed runs of each tree (default 3)")
    parser.add_argument("--scenario", default="pilot-2025")
    parser.add_argument("--authority", default="Cardiff")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 is full size")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter of every run (default: this one)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    trees = []
    for path in args.tree:
        path = path.expanduser().resolve()
        if not (path / "cme_eval" / "__init__.py").is_file():
            parser.error(f"--tree {path}: no cme_eval package in it")
        check_imports_from(args.python, path)
        trees.append(Tree(path, path.name if len({p.name for p in args.tree}) == len(args.tree)
                          else str(path), commit_of(path)))
    work = args.work.expanduser().resolve()
    work.mkdir(parents=True, exist_ok=True)
    inputs = generate(args.python, trees[0].path, work, args.scenario, args.authority,
                      args.scale)

    print(f"load average before: {load()}")
    for repeat in range(1, args.repeats + 1):
        for index, tree in enumerate(trees):
            out = work / RUNS / f"{index}-{tree.path.name}-{repeat}"
            shutil.rmtree(out, ignore_errors=True)  # a fresh folder: nothing to resume
            command = [args.python, "-m", CLI, "evaluate", str(inputs), "--authority",
                       args.authority, "--out", str(out), "--force", "-q"]
            wall, cpu, peak, code = timed_run(command, tree.path,
                                              work / f"{index}-{tree.path.name}-{repeat}.log")
            status = "ok" if code == 0 else f"FAILED (exit {code}), see the log"
            print(f"repeat {repeat} {tree.label} {tree.commit}: {wall:.1f} s wall, "
                  f"{cpu:.1f} s cpu, {peak:.0f} MB peak, load {load()}: {status}", flush=True)
            if code == 0:
                tree.walls.append(wall)
                tree.cpus.append(cpu)
                tree.peaks_mb.append(peak)
    print(f"load average after: {load()}")
    print(f"{args.scenario} / {args.authority} / scale {args.scale}, inputs {inputs}")
    print(table(trees))
    return 0 if all(t.walls for t in trees) else 1


if __name__ == "__main__":
    sys.exit(main())
