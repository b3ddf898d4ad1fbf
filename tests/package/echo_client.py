# tests/package/echo_client.py: one echo exchange with the installed echod,
# for tests/package/run.
#
# usage: python3 echo_client.py MODE HOST PORT
#   tcp          64 KiB over one connection, half-closed: all of it back
#   udp          one 512-byte datagram (up to 5 tries): the same one back
#   tcp-refused  a connection attempt that must be refused
#   udp-denied   a datagram from a source port below 1024: no answer due
# Exit 0 if it went as expected; otherwise 1, with the reason on stdout.
import os, socket, sys

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET

def die(why):
    print(f"{mode} {host} {port}: {why}")
    sys.exit(1)

if mode == "tcp":
    data = os.urandom(64 * 1024)
    try:
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = bytearray()
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except OSError as e:
        die(e)
    if bytes(got) != data:
        die(f"sent {len(data)} bytes, got {len(got)} different ones back")
elif mode == "udp":
    data = os.urandom(512)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(1)
    for attempt in range(5):
        s.sendto(data, (host, port))
        try:
            got, _ = s.recvfrom(65536)
        except socket.timeout:
            continue
        if got == data:
            sys.exit(0)
        die("the reply differs from the datagram")
    die("no reply to 5 datagrams (1 s each)")
elif mode == "tcp-refused":
    try:
        socket.create_connection((host, port), timeout=5).close()
    except ConnectionRefusedError:
        sys.exit(0)
    except OSError as e:
        die(f"not refused: {e}")
    die("accepted a connection")
elif mode == "udp-denied":
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for sport in range(1023, 600, -1):
        try:
            s.bind((host, sport))
            break
        except OSError:
            continue
    s.settimeout(1)
    s.sendto(b"reflect me", (host, port))
    try:
        s.recvfrom(65536)
        die(f"answered a datagram from source port {sport}")
    except socket.timeout:
        pass
