"""Which process wrote something, and whether that process is gone: names temporary files and writer leases.

A process is named by its host, the kernel's boot id, its pid namespace, pid and start time (clock ticks
since boot, from ``/proc``). Another process on the same kernel and pid namespace can then tell for sure
that the writer died (the pid is gone, or now belongs to a process started later), so a killed run's
lease or temporary files need not wait for an expiry. On other hosts (or without ``/proc``) nothing is
known for sure and callers fall back to age.
"""

from __future__ import annotations

import functools
import os
import socket
from dataclasses import asdict, dataclass


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return ""


def _start_ticks(pid: int) -> int | None:
    """Start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat), None if no such process."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return None
    # the command name (field 2) may hold spaces or parentheses: fields after it follow the last ')'
    return int(stat.rsplit(")", 1)[1].split()[19])


@dataclass(frozen=True)
class ProcessId:
    host: str
    boot_id: str
    pid_namespace: str
    pid: int
    start_ticks: int | None

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ProcessId:
        return cls(
            host=str(data.get("host", "")),
            boot_id=str(data.get("boot_id", "")),
            pid_namespace=str(data.get("pid_namespace", "")),
            pid=int(data.get("pid", 0)),
            start_ticks=data.get("start_ticks"),
        )

    def same_kernel(self) -> bool:
        """Whether this process can see that one's pid: same boot of the same kernel, same pid namespace."""
        me = this_process()
        return bool(self.boot_id) and (self.boot_id, self.pid_namespace) == (me.boot_id, me.pid_namespace)

    def is_dead(self) -> bool:
        """True only when it is certain the process has ended; False when alive or when it cannot be known."""
        if not self.same_kernel():
            return False
        ticks = _start_ticks(self.pid)
        if ticks is None:
            return not os.path.exists(f"/proc/{self.pid}")
        return self.start_ticks is not None and ticks != self.start_ticks


@functools.cache
def _boot_id() -> str:
    return _read("/proc/sys/kernel/random/boot_id")


def this_process() -> ProcessId:
    pid = os.getpid()  # not cached: a forked child is another process
    return ProcessId(socket.gethostname(), _boot_id(), _pid_namespace(), pid, _start_ticks(pid))


def temp_prefix() -> str:
    """Prefix of this process's temporary file names: ``<boot>-<pidns>-<pid>-``, read back by `temp_owner`."""
    me = this_process()
    return f"{me.boot_id[:8] or 'noboot'}-{me.pid_namespace or 'nons'}-{me.pid}-"


def temp_owner_is_dead(name: str) -> bool:
    """Whether the process that created the temporary file `name` (see `temp_prefix`) has certainly ended."""
    parts = name.split("-", 3)
    if len(parts) < 4 or not parts[2].isdigit():
        return False
    me = this_process()
    if not me.boot_id or (parts[0], parts[1]) != (me.boot_id[:8], me.pid_namespace):
        return False  # another kernel, or no /proc to ask
    return not os.path.exists(f"/proc/{parts[2]}") and int(parts[2]) != me.pid
