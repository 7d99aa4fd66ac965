"""python-snap7's own S7 server on 127.0.0.1 (never the snap7-server console script: it binds 0.0.0.0).

Usage: s7_peer.py PORT INIT_JSON — DB1 of 64 bytes; INIT_JSON {"byte offset": [byte, ...]} pre-loads it.
Prints "READY <port>" once listening. SIGTERM stops it.
"""

import json
import signal
import sys
import threading

from snap7.server import Server
from snap7.type import SrvArea


def main() -> None:
    port = int(sys.argv[1])
    init = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    db1 = bytearray(64)
    for offset, data in init.items():
        db1[int(offset):int(offset) + len(data)] = bytes(data)
    server = Server()
    server.register_area(SrvArea.DB, 1, db1)
    server.host = "127.0.0.1"
    server.start(tcp_port=port)
    bound = server.server_socket.getsockname()
    print(f"READY {bound[1]}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    done.wait()
    server.stop()


if __name__ == "__main__":
    main()
