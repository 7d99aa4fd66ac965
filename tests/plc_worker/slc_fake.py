"""A protocol-level SLC 5/05 for tests: EtherNet/IP + CIP + PCCC, standard library only.

It simulates only the controller's MEMORY (data files); unmodified pycomm3 builds and parses every packet.
Implemented: RegisterSession / UnRegisterSession; Forward Open (a Large Forward Open is refused, as a real SLC
does) / Forward Close; SendUnitData carrying CIP Execute PCCC (service 0x4B, class 0x67 instance 1) with
PCCC CMD 0x0F FNC 0xA2 (protected typed logical read, 3 address fields), FNC 0xAB (masked write) and
CMD 0x06 FNC 0x03 (diagnostic status → processor type). Data files N, B, S (16-bit), F (REAL), L (32-bit).
A missing file or an element past the end answers STS 0xF0 with EXT STS 0x06, as the processor does.

Usage: python slc_fake.py PORT FILE=ELEMENTS... [--init ADDRESS=VALUE ...]
       e.g. slc_fake.py 0 N7=50 B3=10 F8=10 --init N7:0=100
Prints "READY <port>" when listening on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket
import socketserver
import struct
import sys
import threading

HEADER = struct.Struct("<HHII8sI")
FILE_TYPES = {0x89: "N", 0x85: "B", 0x84: "S", 0x8A: "F", 0x91: "L"}
ELEMENT_BYTES = {"N": 2, "B": 2, "S": 2, "F": 4, "L": 4}
PROCESSOR = b"1747-L552  "  # 11 characters, as "SLC 5/05" reports its catalog number


class Memory:
    def __init__(self, files: dict[tuple[str, int], int]):
        self.lock = threading.Lock()
        self.files = {key: bytearray(n * ELEMENT_BYTES[key[0]]) for key, n in files.items()}

    def region(self, ftype: str, num: int, elem: int, nbytes: int) -> tuple[bytearray, int] | None:
        data = self.files.get((ftype, num))
        start = elem * ELEMENT_BYTES[ftype]
        if data is None or start + nbytes > len(data) or nbytes == 0:
            return None
        return data, start

    def poke(self, address: str, value: str) -> None:
        ftype, rest = address[0], address[1:]
        num, elem = (int(x) for x in rest.split(":"))
        data, start = self.region(ftype, num, elem, ELEMENT_BYTES[ftype])
        fmt = {"N": "<h", "B": "<H", "S": "<h", "F": "<f", "L": "<i"}[ftype]
        struct.pack_into(fmt, data, start, float(value) if ftype == "F" else int(value))


class Handler(socketserver.BaseRequestHandler):
    memory: Memory

    def handle(self) -> None:
        self.session = 0
        self.buffer = b""
        while True:
            packet = self.read_packet()
            if packet is None:
                return
            command, length, session, status, context, options = HEADER.unpack_from(packet)
            body = packet[HEADER.size:]
            if command == 0x65:  # RegisterSession
                self.session = int.from_bytes(os.urandom(4), "little") | 1
                self.reply(command, self.session, context, body[:4])
            elif command == 0x66:  # UnRegisterSession
                return
            elif command == 0x6F:  # SendRRData (unconnected): Forward Open / Forward Close
                self.reply(command, session, context, self.send_rr_data(body))
            elif command == 0x70:  # SendUnitData (connected): Execute PCCC
                self.reply(command, session, context, self.send_unit_data(body))
            else:
                self.reply(command, session, context, b"", status=0x01)  # invalid or unsupported command

    def read_packet(self) -> bytes | None:
        while len(self.buffer) < HEADER.size or len(self.buffer) < HEADER.size + struct.unpack_from(
                "<H", self.buffer, 2)[0]:
            chunk = self.request.recv(4096)
            if not chunk:
                return None
            self.buffer += chunk
        total = HEADER.size + struct.unpack_from("<H", self.buffer, 2)[0]
        packet, self.buffer = self.buffer[:total], self.buffer[total:]
        return packet

    def reply(self, command: int, session: int, context: bytes, data: bytes, status: int = 0) -> None:
        self.request.sendall(HEADER.pack(command, len(data), session, status, context, 0) + data)

    @staticmethod
    def items(body: bytes) -> list[tuple[int, bytes]]:
        count = struct.unpack_from("<H", body, 6)[0]
        pos, out = 8, []
        for _ in range(count):
            typ, length = struct.unpack_from("<HH", body, pos)
            out.append((typ, body[pos + 4:pos + 4 + length]))
            pos += 4 + length
        return out

    @staticmethod
    def cpf(*items: tuple[int, bytes]) -> bytes:
        out = struct.pack("<IHH", 0, 0, len(items))
        for typ, data in items:
            out += struct.pack("<HH", typ, len(data)) + data
        return out

    def send_rr_data(self, body: bytes) -> bytes:
        (_, _), (_, cip) = self.items(body)
        service, path_words = cip[0], cip[1]
        data = cip[2 + 2 * path_words:]
        if service == 0x54:  # Forward Open
            self.ot_cid = os.urandom(4)
            to_cid, csn, vid, vsn = data[6:10], data[10:12], data[12:14], data[14:18]
            answer = self.ot_cid + to_cid + csn + vid + vsn + struct.pack("<II", 0x204001, 0x204001) + b"\x00\x00"
            reply = bytes([0xD4, 0, 0, 0]) + answer
        elif service == 0x4E:  # Forward Close
            reply = bytes([0xCE, 0, 0, 0]) + data[2:10] + b"\x00\x00"
        else:  # Large Forward Open (0x5B) and anything else: service not supported, as on a real SLC 5/05
            reply = bytes([service | 0x80, 0, 0x08, 0])
        return self.cpf((0x0000, b""), (0x00B2, reply))

    def send_unit_data(self, body: bytes) -> bytes:
        (_, cid), (_, payload) = self.items(body)
        sequence, cip = payload[:2], payload[2:]
        service, path_words = cip[0], cip[1]
        path = cip[2:2 + 2 * path_words]
        rest = cip[2 + 2 * path_words:]
        if service != 0x4B or path != b"\x20\x67\x24\x01":
            reply = bytes([service | 0x80, 0, 0x08, 0])
            return self.cpf((0x00A1, cid), (0x00B1, sequence + reply))
        id_len = rest[0]
        requestor, pccc = rest[:id_len], rest[id_len:]
        cmd, _sts, tns = pccc[0], pccc[1], pccc[2:4]
        status, ext, data = 0, None, b""
        if cmd == 0x0F and pccc[4] == 0xA2:
            nbytes, fnum, ftype_code, elem, _sub = pccc[5:10]
            found = self.locate(ftype_code, fnum, elem, nbytes)
            if found is None:
                status, ext = 0xF0, 0x06
            else:
                mem, start = found
                with self.server.memory.lock:
                    data = bytes(mem[start:start + nbytes])
        elif cmd == 0x0F and pccc[4] == 0xAB:
            nbytes, fnum, ftype_code, elem, _sub = pccc[5:10]
            mask = struct.unpack_from("<H", pccc, 10)[0]
            value = pccc[12:12 + nbytes]
            found = self.locate(ftype_code, fnum, elem, nbytes)
            if found is None or len(value) != nbytes:
                status, ext = 0xF0, 0x06
            else:
                mem, start = found
                with self.server.memory.lock:
                    if mask == 0xFFFF:
                        mem[start:start + nbytes] = value
                    else:
                        old = struct.unpack_from("<H", mem, start)[0]
                        new = (old & ~mask) | (struct.unpack_from("<H", value)[0] & mask)
                        struct.pack_into("<H", mem, start, new & 0xFFFF)
        elif cmd == 0x06 and pccc[4] == 0x03:
            data = b"\xee\x00\x00\x00\x00" + PROCESSOR + b"\x00" * 12
        else:
            status = 0x10  # illegal command or format
        answer = bytes([cmd | 0x40, status]) + tns + (bytes([ext]) if ext is not None else b"") + data
        reply = bytes([0xCB, 0, 0, 0]) + requestor + answer
        return self.cpf((0x00A1, cid), (0x00B1, sequence + reply))

    def locate(self, ftype_code: int, fnum: int, elem: int, nbytes: int):
        ftype = FILE_TYPES.get(ftype_code)
        if ftype is None:
            return None
        return self.server.memory.region(ftype, fnum, elem, nbytes)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main(argv: list[str]) -> None:
    port = int(argv[0])
    files, inits, mode = {}, [], "files"
    for arg in argv[1:]:
        if arg == "--init":
            mode = "init"
            continue
        key, value = arg.split("=", 1)
        if mode == "files":
            files[(key[0], int(key[1:]))] = int(value)
        else:
            inits.append((key, value))
    server = Server(("127.0.0.1", port), Handler)
    server.memory = Memory(files)
    for address, value in inits:
        server.memory.poke(address, value)
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.1)
    server.server_close()


if __name__ == "__main__":
    main(sys.argv[1:])
