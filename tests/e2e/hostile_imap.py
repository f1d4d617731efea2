"""A scripted IMAP server on loopback that answers as a broken or malicious provider could: enough
IMAP4rev1 for `mailvault migrate` to read a mailbox from it (LOGIN, NAMESPACE, LIST, LSUB, STATUS,
EXAMINE, UID SEARCH, UID FETCH), with one of these faults:

- ``names``: folder names the destination must not take as they are (``..``, ``../../etc``, NUL,
  invalid modified UTF-7);
- ``overrun``: a body literal larger than the ``{n}`` it announced;
- ``resize``: a body of another size than the RFC822.SIZE announced (it changed between FETCHes);
- ``stall``: a body literal that stops halfway, the connection left open.
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass, field
from types import TracebackType

BODY = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: %d\r\nMessage-ID: <%d@hostile>\r\n\r\nbody %d\r\n"
DATE = '"01-Jan-2026 10:00:00 +0000"'
_LITERAL = re.compile(rb"\{(\d+)\+?\}$")


@dataclass
class Mailbox:
    name: bytes  # on the wire
    messages: list[bytes] = field(default_factory=list)


def message(n: int) -> bytes:
    return BODY % (n, n, n)


class HostileImap:
    def __init__(self, fault: str, mailboxes: list[Mailbox]) -> None:
        self.fault, self.mailboxes = fault, {m.name: m for m in mailboxes}
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.port = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> HostileImap:
        self.thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        try:
            self.loop.run_forever()
        finally:  # a stalled client's task ends here, not at the interpreter's exit
            server.close()
            tasks = asyncio.all_tasks(self.loop)
            for task in tasks:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self.loop.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"* OK [CAPABILITY IMAP4rev1 NAMESPACE LITERAL+] hostile ready\r\n")
        selected: Mailbox | None = None
        try:
            while line := await _command(reader, writer):
                tag, _, rest = line.partition(b" ")
                verb, _, args = rest.partition(b" ")
                verb = verb.upper()
                if verb == b"UID":
                    verb, _, args = args.partition(b" ")
                    verb = b"UID " + verb.upper()
                if verb == b"EXAMINE" or verb == b"SELECT":
                    selected = self.mailboxes.get(_name(args))
                if not await self._answer(writer, verb, args, selected):
                    writer.write(tag + b" BAD not here\r\n")
                else:
                    writer.write(tag + b" OK done\r\n")
                await writer.drain()
                if verb == b"LOGOUT":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _answer(self, w: asyncio.StreamWriter, verb: bytes, args: bytes, box: Mailbox | None) -> bool:
        if verb in (b"CAPABILITY",):
            w.write(b"* CAPABILITY IMAP4rev1 NAMESPACE LITERAL+\r\n")
        elif verb in (b"LOGIN", b"LOGOUT", b"NOOP", b"SUBSCRIBE", b"UNSUBSCRIBE", b"LSUB", b"ID", b"ENABLE"):
            w.write(b"* BYE bye\r\n" if verb == b"LOGOUT" else b"")
        elif verb == b"NAMESPACE":
            w.write(b'* NAMESPACE (("" "/")) NIL NIL\r\n')
        elif verb == b"LIST":
            pattern = _name(args.split(b" ", 1)[1])
            for name in self.mailboxes:
                if pattern in (b"*", name):
                    w.write(b'* LIST (\\HasNoChildren) "/" %s\r\n' % _astring(name))
        elif verb == b"STATUS":
            found = self.mailboxes.get(_name(args.rsplit(b" (", 1)[0]))
            if found is None or b"X-GUID" in args:
                return False
            n = len(found.messages)
            w.write(b"* STATUS %s (MESSAGES %d UIDNEXT %d UIDVALIDITY 7)\r\n" % (_astring(found.name), n, n + 1))
        elif verb in (b"EXAMINE", b"SELECT") and box is not None:
            n = len(box.messages)
            w.write(b"* %d EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT %d] ok\r\n" % (n, n + 1))
        elif verb == b"UID SEARCH" and box is not None:
            w.write(b"* SEARCH " + b" ".join(b"%d" % (i + 1) for i in range(len(box.messages))) + b"\r\n")
        elif verb == b"UID FETCH" and box is not None:
            await self._fetch(w, args, box)
        else:
            return False
        return True

    async def _fetch(self, w: asyncio.StreamWriter, args: bytes, box: Mailbox) -> None:
        wanted, _, items = args.partition(b" ")
        for uid in _uids(wanted, len(box.messages)):
            body = box.messages[uid - 1]
            parts = [b"UID %d" % uid, b"FLAGS (\\Seen)", b"INTERNALDATE " + DATE.encode()]
            size = len(body) + (17 if self.fault == "resize" else 0)
            if b"RFC822.SIZE" in items:
                parts.append(b"RFC822.SIZE %d" % size)
            if b"MESSAGE-ID" in items:
                header = re.search(rb"Message-ID: [^\r]*\r\n", body).group(0) + b"\r\n"  # type: ignore[union-attr]
                parts.append(b"BODY[HEADER.FIELDS (MESSAGE-ID)] {%d}\r\n%s" % (len(header), header))
            if b"BODY.PEEK[]" in items:
                if self.fault == "overrun":
                    parts.append(b"BODY[] {%d}\r\n%s" % (len(body) - 10, body))
                elif self.fault == "stall":
                    w.write(b"* %d FETCH (%s BODY[] {%d}\r\n%s" % (uid, b" ".join(parts), len(body), body[:20]))
                    await w.drain()
                    await asyncio.sleep(3600)
                else:
                    parts.append(b"BODY[] {%d}\r\n%s" % (len(body), body))
            w.write(b"* %d FETCH (%s)\r\n" % (uid, b" ".join(parts)))


async def _command(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    """One command line, with its literals ({n}: after our continuation; {n+}: at once) folded in."""
    line = b""
    while True:
        chunk = (await reader.readline()).rstrip(b"\r\n")
        if not chunk and not line:
            return b""
        found = _LITERAL.search(chunk)
        if found is None:
            return line + chunk
        if not chunk.endswith(b"+}"):
            writer.write(b"+ go on\r\n")
            await writer.drain()
        literal = await reader.readexactly(int(found.group(1)))
        line += chunk[: found.start()] + b'"' + literal + b'"'


def _astring(name: bytes) -> bytes:
    """``name`` quoted, or as a literal when it holds what a quoted string cannot (NUL, quotes, CR, LF)."""
    if any(c in name for c in b'\x00"\\\r\n'):
        return b"{%d}\r\n%s" % (len(name), name)
    return b'"' + name + b'"'


def _name(arg: bytes) -> bytes:
    arg = arg.strip()
    if arg.startswith(b'"') and arg.endswith(b'"'):
        return re.sub(rb"\\(.)", rb"\1", arg[1:-1])
    return arg


def _uids(spec: bytes, top: int) -> list[int]:
    found: list[int] = []
    for part in spec.split(b","):
        first, _, last = part.partition(b":")
        low = int(first) if first != b"*" else top
        high = (top if last == b"*" else int(last)) if last else low
        found += range(min(low, high), min(max(low, high), top) + 1)
    return found
