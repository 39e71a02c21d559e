"""Outages on demand, for tests and benchmarks: a TCP proxy in front of PostgreSQL, and
the bot as a real process.

`PgProxy` forwards 127.0.0.1:<port> to the PostgreSQL server. A test points the
bot's DATABASE_URL at the proxy and then takes the store away: `down()` closes
every connection and refuses new ones (what a stopped server looks like),
`starting()` answers every new connection the way a server that is starting up
does (SQLSTATE 57P03, asyncpg's CannotConnectNowError), `up()` restores it.

`BotProcess` runs `python -m bot run` as its own process, so that a test can
measure its memory or kill it with SIGKILL at a moment of its choosing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

SSL_REQUEST = 80877103
STARTING_UP = b"the database system is starting up"


class PgProxy:
    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.target = target
        self.mode = "up"
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def url_for(self, database_url: str) -> str:
        """The same database, reached through this proxy."""
        head, _, rest = database_url.partition("@")
        _, _, path = rest.partition("/")
        return f"{head}@127.0.0.1:{self.port}/{path}"

    def __enter__(self) -> PgProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def __exit__(self, *exc: object) -> None:
        self._call(self._close_all(stop_listening=True))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def down(self) -> None:
        self.mode = "down"
        self._call(self._close_all(stop_listening=True))

    def starting(self) -> None:
        self.mode = "starting"
        self._call(self._close_all(stop_listening=False))
        if self._server is None:
            self._call(self._listen())

    def up(self) -> None:
        self.mode = "up"
        if self._server is None:
            self._call(self._listen())

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )

    async def _close_all(self, *, stop_listening: bool) -> None:
        if stop_listening and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            if self.mode == "starting":
                await _answer_starting_up(reader, writer)
                return
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
            self._writers.add(upstream_writer)
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


async def _answer_starting_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Speak just enough of PostgreSQL's protocol to refuse a session as a starting server."""
    length, code = struct.unpack("!ii", await reader.readexactly(8))
    if code == SSL_REQUEST:
        writer.write(b"N")  # no TLS; the client sends its startup message next
        length = struct.unpack("!i", await reader.readexactly(4))[0]
        await reader.readexactly(length - 4)
    else:
        await reader.readexactly(length - 8)
    fields = b"SFATAL\0VFATAL\0C57P03\0M" + STARTING_UP + b"\0\0"
    writer.write(b"E" + struct.pack("!i", len(fields) + 4) + fields)
    await writer.drain()


class BotProcess:
    """`python -m bot run` on a free port, with the environment a test gives it."""

    def __init__(
        self,
        env: dict[str, str],
        config: Path,
        *,
        log: Path | None = None,
        start_within: float = 90,  # imports and migrations are slow on a loaded machine
    ) -> None:
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {**os.environ, **env, "HANDOFF_CONFIG": str(config)}
        self.process: subprocess.Popen[bytes] | None = None
        # Its log lines go to `log` when given; otherwise to a pipe read only when it fails
        # to start (enough for a short test, not for a benchmark's thousands of requests).
        self._log = log
        self._start_within = start_within

    def __enter__(self) -> BotProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self._env,
            stdout=subprocess.DEVNULL,
            stderr=self._log.open("ab") if self._log else subprocess.PIPE,
        )
        deadline = time.monotonic() + self._start_within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                said = self._log.read_text() if self._log else self.process.stderr.read().decode()
                raise RuntimeError(f"bot exited: {said[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{self.url}/healthz", timeout=1)
                return self
            time.sleep(0.1)
        raise RuntimeError("bot process did not start")

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as a crash."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def peak_memory_kib(self) -> int:
        """The process's peak resident memory so far (VmHWM)."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1])
