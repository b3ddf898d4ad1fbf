# bench/log.py: the bench's messages on stderr, each prefixed "bench: ".

import sys


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def die(msg):
    log(msg)
    sys.exit(2)
