"""Each answer goes out in one write (`server.timeouts.OneWrite`): uvicorn writes an answer's
head and its body separately, which cost a decision two system calls and two TCP segments."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from bandeau.server.timeouts import DeadlineProtocol, OneWrite


class Recorder:
    """A transport that records each write and whether it was closed."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5555), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def test_writes_of_one_turn_go_out_together() -> None:
    async def run() -> Recorder:
        recorder = Recorder()
        one = OneWrite(recorder, asyncio.get_running_loop())  # type: ignore[arg-type]
        one.write(b"HTTP/1.1 201 Created\r\n\r\n")
        one.write(b"")
        one.write(b'{"ok":true}')
        assert recorder.writes == []  # held until the end of this turn
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        one.write(b"next")
        one.close()  # what is held goes out before the close
        return recorder

    recorder = asyncio.run(run())
    assert recorder.writes == [b'HTTP/1.1 201 Created\r\n\r\n{"ok":true}', b"next"]
    assert recorder.closed


def test_flush_writes_at_once_and_only_once() -> None:
    async def run() -> Recorder:
        recorder = Recorder()
        one = OneWrite(recorder, asyncio.get_running_loop())  # type: ignore[arg-type]
        one.write(b"a")
        one.write(b"b")
        one.flush()
        assert recorder.writes == [b"ab"]
        await asyncio.sleep(0)  # the end-of-turn flush finds nothing left
        await asyncio.sleep(0)
        return recorder

    assert asyncio.run(run()).writes == [b"ab"]


async def answer(scope: Any, receive: Any, send: Any) -> None:
    """An ASGI app that reads the body and answers it back, head and body apart."""
    body = (await receive())["body"]
    length = str(len(body)).encode()
    await send(
        {"type": "http.response.start", "status": 201, "headers": [(b"content-length", length)]}
    )
    await send({"type": "http.response.body", "body": body})


def test_an_answer_is_one_write_of_head_and_body() -> None:
    async def run() -> list[bytes]:
        config = Config(app=answer, log_level="warning", access_log=False)
        config.load()
        protocol = DeadlineProtocol(config=config, server_state=ServerState(), app_state={})
        recorder = Recorder()
        protocol.connection_made(recorder)  # type: ignore[arg-type]
        request = b"POST /d HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n" + b'{"a":"one"}'
        protocol.data_received(request)
        for _ in range(20):  # the app's task runs in a few turns of the loop
            await asyncio.sleep(0)
        protocol.connection_lost(None)
        return recorder.writes

    writes = asyncio.run(run())
    assert len(writes) == 1, writes
    assert writes[0].startswith(b"HTTP/1.1 201 ")
    assert writes[0].endswith(b'\r\n\r\n{"a":"one"}')
