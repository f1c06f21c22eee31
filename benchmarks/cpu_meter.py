"""How busy the machine's processors were over a stretch of a benchmark (Linux's /proc).

A throughput compared with the emulator's raw capacity only means something once we know
whether the processors were waiting or full: `CpuMeter` gives, between `start()` and `stop()`,
the cores in use on the whole machine and those used by one process (the emulator), both as
cores (2.0 = two cores busy the whole time). Elsewhere than Linux it reports nothing.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_ticks() -> tuple[int, int] | None:
    """(busy, idle) ticks of every processor since boot."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return user + nice + system + irq + softirq + steal, idle + iowait


def _process_ticks(pid: int) -> int | None:
    """User and system ticks of one process since it started."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # The command name, in parentheses, may hold spaces: count from after it.
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])


@dataclass
class CpuUse:
    seconds: float
    machine_cores: float | None  # cores busy on the whole machine
    process_cores: float | None  # cores used by the process watched
    cores: int

    def describe(self, process: str = "emulator") -> str:
        if self.machine_cores is None:
            return "processors: not measured here (no /proc)"
        text = f"machine {self.machine_cores:.2f} of {self.cores} cores busy"
        if self.process_cores is not None:
            text += f" ({process} {self.process_cores:.2f})"
        return text


class CpuMeter:
    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid

    def start(self) -> CpuMeter:
        self._started = time.monotonic()
        self._machine = _machine_ticks()
        self._process = _process_ticks(self.pid) if self.pid else None
        return self

    def stop(self) -> CpuUse:
        seconds = time.monotonic() - self._started
        machine, process = _machine_ticks(), _process_ticks(self.pid) if self.pid else None
        machine_cores = process_cores = None
        cores = os.cpu_count() or 1
        if machine and self._machine:
            busy, idle = machine[0] - self._machine[0], machine[1] - self._machine[1]
            # The share of all processors' ticks that were busy, times the processors.
            machine_cores = cores * busy / max(busy + idle, 1)
        if process is not None and self._process is not None:
            process_cores = (process - self._process) / CLOCK_TICKS / max(seconds, 1e-9)
        return CpuUse(seconds, machine_cores, process_cores, cores)
