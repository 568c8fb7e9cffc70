"""`python -m benchmarks.rusage OUT.json -- CMD...`: run CMD, then write its wall time and the peak
RSS of its largest process (itself or any descendant it waited for) to OUT.json.

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
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    with open(out, "w") as f:
        json.dump({"rc": rc, "seconds": seconds, "peak_rss_bytes": peak_kb * 1024}, f)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
