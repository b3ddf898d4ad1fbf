# tests/package/free_port.py: which of some ports nothing on this machine
# holds, for tests/package/run: port 7, which the test serves, must be
# free; the reload adds a low port of its own choosing.
#
# usage: python3 free_port.py [-p tcp|udp] PORT...
# Prints the first PORT that can be bound on 0.0.0.0 and on :: for TCP
# and UDP (or only the protocol -p names) and exits 0; exits 1, with the
# last bind error on stderr, if none can.
import socket, sys

TYPES = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}

def bind_all(port, types):
    """Bind port for each type on both families; raise the first error."""
    for t in types:
        for fam, addr in ((socket.AF_INET, "0.0.0.0"),
                          (socket.AF_INET6, "::")):
            with socket.socket(fam, t) as s:
                if fam == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.bind((addr, port))

args = sys.argv[1:]
types = list(TYPES.values())
if args[:1] == ["-p"]:
    types = [TYPES[args[1]]]
    args = args[2:]
err = None
for port in map(int, args):
    try:
        bind_all(port, types)
    except OSError as e:
        err = f"port {port}: {e.strerror}"
        continue
    print(port)
    sys.exit(0)
print(f"free_port.py: {err or 'no port given'}", file=sys.stderr)
sys.exit(1)
