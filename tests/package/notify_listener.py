# tests/package/notify_listener.py: stand in for systemd's notify socket,
# for tests/package/run: bind SOCKET (mode 0777, so that echod can send to
# it after it drops root) and append every sd_notify datagram it receives
# to LOG, one line per assignment. Runs until killed.
#
# usage: python3 notify_listener.py SOCKET LOG
import os, socket, sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        for line in s.recv(4096).decode(errors="replace").splitlines():
            log.write(line + "\n")
