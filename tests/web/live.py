"""A real uvicorn server on a free loopback port, in a thread, for the dashboard's HTTP tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator


def serve_app(app: object, start_timeout: float = 30.0) -> Iterator[str]:
    """Yield the base URL of ``app`` served on 127.0.0.1 while the caller holds it (a generator:
    ``for url in serve_app(app): ...`` or ``yield from`` in a fixture); stop the server after."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
