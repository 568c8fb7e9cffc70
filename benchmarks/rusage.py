"""`python -m benchmarks.rusage OUT.json -- CMD...`: run CMD, then write its wall time and the peak
RSS of its largest process (itself or any descendant it waited for) and the CPU time (user + system)
of its whole process tree to OUT.json.

The kernel keeps that peak exactly (RUSAGE_CHILDREN), so no sampling can miss a short spike.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    out, sep, cmd = argv[0], argv[1], argv[2:]
    if sep != "--" or not cmd:
        print("usage: python -m benchmarks.rusage OUT.json -- CMD...", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    rc = subprocess.call(cmd)
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # every descendant waited for
    with open(out, "w") as f:
        json.dump(
            {
                "rc": rc,
                "seconds": seconds,
                "peak_rss_bytes": usage.ru_maxrss * 1024,  # KiB on Linux
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
            },
            f,
        )
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
