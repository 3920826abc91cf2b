"""Memory of the systematicity stage, step by step.

Runs ``run_systematicity`` on a Visual Genome folder (a synthetic one from
``scripts/make_synthetic_vg.py OUT --images N``, or the bundled sample) with
the stand-in vocabularies and the default configuration, and prints after each
step of the stage its resident memory (``VmRSS`` of ``/proc/self/status``),
the peak so far (``getrusage``) and the CPU seconds so far
(``time.process_time``).

Usage::

    PYTHONPATH=. .venv/bin/python scripts/bench_systematicity_memory.py VG_DIR [--out DIR]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

STEPS = ("resolve_inputs", "_read_counts", "ground", "make_rows", "balance_sets", "write_outputs")


def rss_mb() -> int:
    """Resident memory now, in MB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return -1


def peak_mb() -> int:
    """Peak resident memory so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def timed(module, name: str, start: float) -> None:
    """Replace ``module.name`` by a wrapper that prints memory and CPU when it returns."""
    step = getattr(module, name)

    def wrapper(*args, **kwargs):
        result = step(*args, **kwargs)
        print(f"{name:16s} rss {rss_mb():6d} MB  peak {peak_mb():6d} MB  cpu {time.process_time() - start:7.1f} s",
              flush=True)
        return result
    setattr(module, name, wrapper)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vg", help="Visual Genome folder")
    parser.add_argument("--out", help="output folder (default: a new temporary folder)")
    args = parser.parse_args(argv)

    from crepe_gen.systematicity import stage
    from crepe_gen.vg.reader import VisualGenome

    start = time.process_time()
    for name in STEPS:
        timed(stage, name, start)
    stage.run_systematicity(VisualGenome(args.vg), {}, args.out or tempfile.mkdtemp(), stage.SystematicityConfig())


if __name__ == "__main__":
    main()
