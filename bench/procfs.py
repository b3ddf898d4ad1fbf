# bench/procfs.py: what the bench samples from /proc: a server's process
# tree, its RSS, CPU time and descriptors, and how busy the machine is.

import os
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
NCPU = os.sysconf("SC_NPROCESSORS_ONLN")


def descendants(pid):
    """pid and every process below it (workers, forked children)."""
    out, i = [pid], 0
    while i < len(out):
        p = out[i]
        i += 1
        try:
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                out += [int(k) for k in f.read().split()]
        except OSError:
            pass
    return out


def sum_over(pids, read):
    """read(pid) summed over pids; a process gone meanwhile counts 0."""
    total = 0
    for p in pids:
        try:
            total += read(p)
        except OSError:
            pass
    return total


def rss_kib(pids):
    def read(p):
        with open("/proc/%d/status" % p) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0
    return sum_over(pids, read)


def cpu_seconds(pids):
    """utime+stime of pids, plus what their reaped children used."""
    def read(p):
        with open("/proc/%d/stat" % p) as f:
            stat = f.read()
        try:
            fields = stat.rsplit(")", 1)[1].split()
            return sum(int(x) for x in fields[11:15])
        except (IndexError, ValueError):
            return 0
    return sum_over(pids, read) / CLK_TCK


def nfds(pids):
    return sum_over(pids, lambda p: len(os.listdir("/proc/%d/fd" % p)))


def busy_seconds():
    """CPU time the whole machine spent busy (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / CLK_TCK	# less idle and iowait


def wait_quiet(limit_s, max_wait_s):
    """Wait until the rest of the machine uses under limit_s cores (other
    builds and test suites share it), at most max_wait_s; what it was."""
    end = time.monotonic() + max_wait_s
    while True:
        b0, t0 = busy_seconds(), time.monotonic()
        time.sleep(0.5)
        other = (busy_seconds() - b0) / (time.monotonic() - t0)
        if other < limit_s or time.monotonic() >= end:
            return other


def run_ns(pids):
    """CPU time of pids in nanoseconds, from /proc/PID/schedstat: finer
    than the 10 ms ticks of /proc/PID/stat, which matters when the CPU
    measured is a fraction of a percent. Live processes only: what a
    process that exited used is lost (echod's workers all stay)."""
    def read(p):
        with open("/proc/%d/schedstat" % p) as f:
            return int(f.read().split()[0])
    return sum_over(pids, read)


def meminfo():
    """/proc/meminfo in KiB, by name (MemAvailable, Slab, ...)."""
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            out[k] = int(v.split()[0])
    return out


def netstat(section="TcpExt"):
    """One section of /proc/net/netstat (ListenOverflows, ...) by name."""
    with open("/proc/net/netstat") as f:
        lines = f.read().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith(section + ":"):
            return dict(zip(names.split()[1:],
                            (int(x) for x in values.split()[1:])))
    return {}
