"""Peak memory of the running process, shared by the benchmark scripts (Linux /proc; else rusage)."""

from __future__ import annotations

import resource
from pathlib import Path


def reset_peak() -> None:
    """Reset the peak RSS high-water mark (Linux: write 5 to /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_mb() -> float:
    """Peak RSS (VmHWM) since the process started or the last :func:`reset_peak`, in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
