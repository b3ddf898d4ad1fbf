# bench/servers.py: the echo servers under test (echod, bench/ref, xinetd,
# openbsd-inetd, socat): configure, start on loopback, learn their ports,
# stop. Each start() returns an Instance; stop() ends its process tree.

import glob
import io
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from log import die, log
from procfs import NCPU, descendants

CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache")

# Raised so the bench measures the servers, not their limiters.
INETD_RATE = 100000000		# openbsd-inetd -R and nowait.max, per minute
XINETD_CPS = "1000000 1"	# xinetd cps: connections per second, pause


def free_port():
    """A port free for both TCP and UDP on 127.0.0.1, for servers that
    cannot bind port 0 and say which port they got (xinetd, socat)."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    die("no free port on 127.0.0.1")


def wait_port(port, deadline_s=5.0):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


class Drain(threading.Thread):
    """Keep reading a child's pipe so it never blocks on a full pipe; the
    lines are kept for the per-worker counts logged at exit."""

    def __init__(self, pipe, lines=None):
        super().__init__(daemon=True)
        self.pipe = pipe
        self.lines = lines if lines is not None else []
        self.start()

    def run(self):
        for line in self.pipe:
            self.lines.append(line.rstrip("\n"))


def read_lines_until(proc, want, deadline_s=10.0):
    """Read proc.stdout (text) until want(lines) is true; the lines read."""
    lines, buf = [], ""
    end = time.monotonic() + deadline_s
    fd = proc.stdout.fileno()
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if not r:
            if proc.poll() is not None:
                break
            continue
        chunk = os.read(fd, 4096).decode(errors="replace")
        if chunk == "":
            break
        buf += chunk
        while "\n" in buf:
            line, buf = buf.split("\n", 1)
            lines.append(line)
        if want(lines):
            return lines
    return None


def abandon(proc, why):
    """A server that did not come up: kill it, reap it, say why."""
    proc.kill()
    proc.wait()
    raise RuntimeError(why)


class Instance:
    """One running server: ports, the namespace the client must run in,
    the pid whose process tree is the server."""

    def __init__(self, proc, tcp_port, udp_port, netns=None, log=None):
        self.proc = proc
        self.tcp_port = tcp_port
        self.udp_port = udp_port
        self.netns = netns
        self.log = log if log is not None else []

    def pids(self):
        return descendants(self.proc.pid)

    def wait_procs(self, n, deadline_s=5.0):
        """Workers are forked after the listeners are reported: wait for
        all n processes, so "RSS before" and the first connections see
        them."""
        end = time.monotonic() + deadline_s
        while len(self.pids()) < n and time.monotonic() < end:
            time.sleep(0.02)

    def stop(self):
        """Graceful stop (SIGTERM), bounded wait, then SIGKILL."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                for p in reversed(self.pids()):
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
                self.proc.wait()
        time.sleep(0.05)	# let the drain thread read the last lines
        return self.log


class Server:
    name = "?"
    note = ""
    udp = True		# serves UDP echo in this bench
    tcp = True		# run on the TCP workloads
    forks = False	# a process per connection: no 50,000-connection run
    guarded = False	# a variant of echod run only where the guards act

    def available(self):
        return True

    def start(self, cfg):
        raise NotImplementedError

    def listening(self, proc, port):
        """An Instance once proc accepts on port; abandoned if it never
        does."""
        if not wait_port(port):
            abandon(proc, "%s did not listen on %d" % (self.name, port))
        return Instance(proc, port, port if self.udp else None)

    def cleanup(self):
        """Undo what start() left on the machine beyond the process."""


class Echod(Server):
    name = "echod"
    note = "echod -f, workers = online CPUs, accept_lock mutex"
    # Configuration the abuse guards add: top level, in tcp, in udp.
    guards = ("", "", "")

    def __init__(self, binary, tmp):
        self.binary = binary
        self.tmp = tmp

    def conf_path(self):
        return os.path.join(self.tmp, "%s.conf" % self.name)

    def start(self, cfg):
        """cfg: workers, lock, max_connections, backlog, level and
        status_file (for echod -s status), each optional."""
        workers = cfg.get("workers", NCPU)
        root = os.geteuid() == 0
        top, tcp, udp = self.guards
        conf = self.conf_path()
        with open(conf, "w") as f:
            f.write(
                "# written by bench/run\n"
                "workers = %d;\n"
                "listen = (\n"
                '  { protocol = "tcp"; address = "127.0.0.1"; port = 0; },\n'
                '  { protocol = "udp"; address = "127.0.0.1"; port = 0; }\n'
                ");\n"
                'tcp = { accept_lock = "%s"; max_connections = %d; '
                "idle_timeout = 0; backlog = %d;%s };\n"
                "udp = { deny_source_ports = [];%s };\n"
                "shutdown_timeout = 5;\n"
                'pidfile = "";\n'
                'status_file = "%s";\n'
                "%s%s"
                'log = { level = "%s"; };\n' % (
                    workers, cfg.get("lock", "mutex"),
                    cfg.get("max_connections", 4096),
                    cfg.get("backlog", 4096), tcp, udp,
                    cfg.get("status_file", ""),
                    'user = "nobody";\ngroup = "nogroup";\n' if root else "",
                    top, cfg.get("level", "notice")))
        # echod logs to stderr with -f: merge it into stdout to read ports.
        proc = subprocess.Popen([self.binary, "-f", "-c", conf],
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        pat = re.compile(r"listening on (tcp|udp) 127\.0\.0\.1:(\d+)")
        lines = read_lines_until(proc, lambda ls: sum(
            1 for x in ls if pat.search(x)) >= 2)
        if lines is None:
            abandon(proc, "echod did not report its listeners")
        ports = dict(m.groups() for m in map(pat.search, lines) if m)
        out = list(lines)
        # read_lines_until() used os.read: nothing sits in the buffer.
        Drain(io.TextIOWrapper(proc.stdout, errors="replace"), out)
        inst = Instance(proc, int(ports["tcp"]), int(ports["udp"]), log=out)
        # 64 workers (c1m) take longer to fork than 2.
        inst.wait_procs(1 + workers + 1, 5.0 + workers / 10.0)
        return inst


def guard_allow_list():
    """127.0.0.0/8, where the load comes from, and 999 prefixes that
    never match it: 1,000 entries for every lookup to search."""
    nets = ['"127.0.0.0/8"']
    nets += ['"10.%d.%d.0/24"' % (i // 250, i % 250) for i in range(999)]
    return ", ".join(nets)


class EchodGuarded(Echod):
    """echod with every abuse guard on. The limiters apply to loopback
    (per_source_exempt emptied) with limits no load here reaches, and a
    1,000-prefix allow list is searched for every connection and
    datagram: the figure is the cost of the checks, not of refusing.
    Issue 11 asks that this stay within 5 % of echod."""
    name = "echod-guarded"
    guarded = True
    note = ("echod as above, plus per_source_exempt = [], "
            "tcp.per_source_connections = 100000, tcp.per_source_rate = "
            "1000000, udp.per_source_rate = udp.per_source_burst = "
            "1000000, and access.allow of 1,000 prefixes (127.0.0.0/8 and "
            "999 /24s that never match) with one access.deny prefix: every "
            "guard is consulted, none refuses")

    def __init__(self, binary, tmp):
        super().__init__(binary, tmp)
        self.guards = (
            "per_source_exempt = [];\n"
            "access = { allow = [ %s ];\n"
            '  deny = [ "192.0.2.0/24" ]; };\n' % guard_allow_list(),
            " per_source_connections = 100000; per_source_rate = 1000000;",
            " per_source_rate = 1000000; per_source_burst = 1000000;")


class Ref(Server):
    name = "ref"
    note = "bench/ref: SO_REUSEPORT epoll, no lock, no config"

    flags = []

    def __init__(self, binary):
        self.binary = binary

    def start(self, cfg):
        workers = cfg.get("workers", NCPU)
        proc = subprocess.Popen([self.binary] + self.flags +
                                ["-w", str(workers), "-a", "127.0.0.1"],
                                stdout=subprocess.PIPE)
        lines = read_lines_until(proc, lambda ls: len(ls) >= 2)
        if lines is None:
            abandon(proc, "ref did not print its ports")
        ports = dict(x.split() for x in lines[:2])
        inst = Instance(proc, int(ports["tcp"]), int(ports["udp"]))
        inst.wait_procs(1 + workers)
        return inst


class RefOneByOne(Ref):
    """The reference without UDP batching: what issue 14's udp-rr
    target (echod at most 0.8 x a server that does not batch) compares
    with. bench/ref itself batches, as echod does. UDP only."""
    name = "ref-1"
    note = ("bench/ref -1: the same, but UDP one datagram per recvfrom "
            "and sendto")
    flags = ["-1"]
    tcp = False


def fetch_deb(pkg, quick):
    """Extract a Debian package into bench/.cache/<pkg>/ without installing
    it: xinetd and openbsd-inetd conflict, and installing either would
    start a system service. Quick mode never downloads."""
    root = os.path.join(CACHE, pkg)
    if os.path.isdir(os.path.join(root, "usr")):
        return root
    if quick or shutil.which("apt-get") is None:
        return None
    os.makedirs(CACHE, exist_ok=True)
    dl = tempfile.mkdtemp(dir=CACHE)
    try:
        r = subprocess.run(["apt-get", "download", "-q", pkg], cwd=dl,
                           capture_output=True, text=True)
        debs = [x for x in os.listdir(dl) if x.endswith(".deb")]
        if r.returncode != 0 or not debs:
            log("apt-get download %s failed: %s" % (pkg, r.stderr.strip()))
            return None
        subprocess.run(["dpkg-deb", "-x", os.path.join(dl, debs[0]), root],
                       check=True)
        return root
    finally:
        shutil.rmtree(dl, ignore_errors=True)


class FetchedServer(Server):
    """A server run from its Debian package, extracted by fetch_deb(),
    with the libraries it needs extracted beside it (a machine without
    TCP wrappers installed has no libwrap.so.0)."""
    pkg = "?"
    path = "?"		# the binary, inside the package
    libs = ["libwrap0"]

    def __init__(self, tmp, quick):
        self.tmp = tmp
        root = fetch_deb(self.pkg, quick)
        self.binary = root and os.path.join(root, self.path)
        dirs = []
        for lib in self.libs if root else []:
            r = fetch_deb(lib, quick)
            # The multiarch directory: x86_64-linux-gnu, aarch64-linux-gnu...
            for sub in ("lib", "usr/lib"):
                dirs += sorted(d for d in glob.glob(os.path.join(
                    r or "", sub, "*-linux-*")) if r and os.path.isdir(d))
        self.env = dict(os.environ)
        if dirs:
            self.env["LD_LIBRARY_PATH"] = ":".join(dirs)

    def available(self):
        return bool(self.binary) and os.access(self.binary, os.X_OK)


class Xinetd(FetchedServer):
    name = "xinetd"
    pkg = "xinetd"
    path = "usr/sbin/xinetd"
    forks = True
    # Its UDP echo answers one datagram, then drain()s the socket, dropping
    # whatever queued meanwhile: with 16 in flight nearly all are lost and
    # the figure is echoprobe's -W timeout, not xinetd. TCP only.
    udp = False
    note = ("built-in echo-stream, cps = %s, instances = per_source = "
            "UNLIMITED; no UDP (after each datagram its echo-dgram drains "
            "the socket, dropping what queued meanwhile)" % XINETD_CPS)

    def start(self, cfg):
        port = free_port()
        conf = os.path.join(self.tmp, "xinetd.conf")
        svc = ("service echo\n{\n\ttype = INTERNAL UNLISTED\n"
               "\tid = echo-%s\n\tsocket_type = %s\n\tprotocol = %s\n"
               "\tport = %d\n\tbind = 127.0.0.1\n\twait = %s\n"
               "\tuser = root\n\tflags = REUSE\n}\n")
        with open(conf, "w") as f:
            # Internal services are found by service name ("echo"); UNLISTED
            # with port = lets that name serve a port of our choosing.
            f.write("defaults\n{\n\tinstances = UNLIMITED\n"
                    "\tper_source = UNLIMITED\n\tcps = %s\n"
                    "\tlog_on_success =\n\tlog_on_failure =\n}\n"
                    % XINETD_CPS)
            f.write(svc % ("stream", "stream", "tcp", port, "no"))
        proc = subprocess.Popen([self.binary, "-dontfork", "-f", conf,
                                 "-filelog", os.path.join(self.tmp,
                                                          "xinetd.log")],
                                env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        return self.listening(proc, port)


class OpenbsdInetd(FetchedServer):
    name = "openbsd-inetd"
    pkg = "openbsd-inetd"
    path = "usr/sbin/inetd"
    forks = True
    udp = False
    note = ("built-in echo, -R %d and nowait.%d; in a private network "
            "namespace on 127.0.0.1:7; no UDP (its echo refuses 127/8 "
            "sources)" % (INETD_RATE, INETD_RATE))

    def __init__(self, tmp, quick):
        super().__init__(tmp, quick)
        self.netns = "echodbench%d" % os.getpid()
        self.made_netns = False

    def available(self):
        return (super().available() and os.geteuid() == 0 and
                shutil.which("ip") is not None)

    def start(self, cfg):
        # OpenBSD inetd finds internal services by name, so its echo serves
        # port 7 only. A namespace of our own gives it a loopback where port
        # 7 collides with nothing (a real echo service on the host, another
        # bench) and needs nothing beyond root and iproute2. Its UDP echo is
        # left out: dg_badinput() drops every datagram from 127.0.0.0/8.
        if not self.made_netns:
            subprocess.run(["ip", "netns", "add", self.netns], check=True)
            self.made_netns = True
            subprocess.run(["ip", "-n", self.netns, "link", "set", "lo",
                            "up"], check=True)
        conf = os.path.join(self.tmp, "inetd.conf")
        with open(conf, "w") as f:
            f.write("127.0.0.1:echo\tstream\ttcp\tnowait.%d\troot\t"
                    "internal\n" % INETD_RATE)
        proc = subprocess.Popen(["ip", "netns", "exec", self.netns,
                                 self.binary, "-i", "-q", "4096", "-R",
                                 str(INETD_RATE), conf],
                                env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        return Instance(proc, 7, None, netns=self.netns)

    def cleanup(self):
        if self.made_netns:
            subprocess.run(["ip", "netns", "del", self.netns])
            self.made_netns = False


class Socat(Server):
    name = "socat"
    forks = True
    udp = False
    note = ("TCP-LISTEN,fork PIPE: the one-line hack; no UDP (its UDP fork "
            "mode serves one datagram per process)")
    # Run from the PATH, never fetched: the bench does not install.
    missing = "not installed; apt-get install socat to run it"

    def __init__(self):
        self.binary = shutil.which("socat")

    def available(self):
        return self.binary is not None

    def start(self, cfg):
        port = free_port()
        proc = subprocess.Popen([self.binary, "TCP-LISTEN:%d,bind=127.0.0.1,"
                                 "reuseaddr,fork,backlog=4096" % port,
                                 "PIPE"], stdin=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        return self.listening(proc, port)
