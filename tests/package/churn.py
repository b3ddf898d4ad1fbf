# tests/package/churn.py: load an echo server while something happens to it
# (an upgrade in place), for tests/package/run: connect/echo/close churn
# plus persistent connections that keep exchanging data, and a count of
# every connection refused, reset, cut or answered wrongly.
#
# usage: python3 churn.py HOST PORT [PERSISTENT [CHURNERS [MAX_S]]]
#   PERSISTENT  connections held open, each echoing 1 KiB every 20 ms (50)
#   CHURNERS    threads that connect, echo 4 KiB, half-close and close (4)
#   MAX_S       give up after this many seconds (300)
# Prints "ready" once every persistent connection has echoed once, then
# runs until SIGTERM or SIGINT; then each persistent connection echoes once
# more and closes, and the last line says what happened. Exit 0 only if no
# connection was refused, reset, cut or answered wrongly and both kinds of
# traffic went on throughout.
import os, signal, socket, sys, threading, time

host, port = sys.argv[1], int(sys.argv[2])
npersist = int(sys.argv[3]) if len(sys.argv) > 3 else 50
nchurn = int(sys.argv[4]) if len(sys.argv) > 4 else 4
max_s = float(sys.argv[5]) if len(sys.argv) > 5 else 300
stop = threading.Event()
lock = threading.Lock()
count = {"connections": 0, "exchanges": 0, "refused": 0, "reset": 0,
         "cut": 0, "wrong": 0, "other": 0}
errors = []


def bump(key, why=None):
    with lock:
        count[key] += 1
        if why is not None and len(errors) < 10:
            errors.append(why)


def classify(e):
    if isinstance(e, ConnectionRefusedError):
        return "refused"
    if isinstance(e, (ConnectionResetError, BrokenPipeError)):
        return "reset"
    if isinstance(e, EOFError):
        return "cut"
    return "other"


def echo(s, data):
    """Send data, read as many bytes back; raise if they differ."""
    s.sendall(data)
    got = bytearray()
    while len(got) < len(data):
        chunk = s.recv(len(data) - len(got))
        if not chunk:
            raise EOFError("connection closed by the server")
        got += chunk
    if bytes(got) != data:
        raise ValueError("the echo differs from what was sent")


def persistent(ready):
    try:
        s = socket.create_connection((host, port), timeout=10)
        echo(s, os.urandom(1024))
    except (OSError, EOFError, ValueError) as e:
        bump(classify(e), f"persistent connect: {e!r}")
        ready.release()
        return
    ready.release()
    try:
        while not stop.is_set():
            echo(s, os.urandom(1024))
            bump("exchanges")
            time.sleep(0.02)
        echo(s, os.urandom(1024))
        s.shutdown(socket.SHUT_WR)
        if s.recv(1):
            raise ValueError("bytes after the half-close")
        s.close()
    except ValueError as e:
        bump("wrong", f"persistent: {e}")
    except (OSError, EOFError) as e:
        bump(classify(e), f"persistent: {e!r}")


def churner():
    while not stop.is_set():
        data = os.urandom(4096)
        try:
            with socket.create_connection((host, port), timeout=10) as s:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                got = bytearray()
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += chunk
            if bytes(got) != data:
                bump("wrong", f"churn: {len(got)} bytes back of 4096")
            else:
                bump("connections")
        except OSError as e:
            bump(classify(e), f"churn: {e!r}")
            time.sleep(0.01)


# The handler only notes the signal; the main loop sets `stop`. Calling
# stop.set() in the handler deadlocked: the handler runs in the main
# thread, which may hold the Event's lock inside stop.wait() right then
# (the lock is not reentrant), and the test waited forever on churn.py.
term = False


def on_signal(*_):
    global term
    term = True


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
ready = threading.Semaphore(0)
threads = [threading.Thread(target=persistent, args=(ready,))
           for _ in range(npersist)]
threads += [threading.Thread(target=churner) for _ in range(nchurn)]
for t in threads:
    t.start()
for _ in range(npersist):
    ready.acquire()
print("ready", flush=True)
deadline = time.monotonic() + max_s
while not term:
    if time.monotonic() > deadline:
        bump("other", f"no SIGTERM within {max_s:.0f} s")
        break
    time.sleep(0.2)
stop.set()
for t in threads:
    t.join(30)
for why in errors:
    print(f"  {why}")
bad = sum(count[k] for k in ("refused", "reset", "cut", "wrong", "other"))
print(f"churn: {count['connections']} connections, {npersist} persistent "
      f"({count['exchanges']} exchanges); {count['refused']} refused, "
      f"{count['reset']} reset, {count['cut']} cut, {count['wrong']} wrong, "
      f"{count['other']} other errors")
sys.exit(0 if bad == 0 and count["connections"] > 0 and
         count["exchanges"] > 0 else 1)
