"""Serving the emulator with uvicorn: sockets, log redaction, background threads."""

from __future__ import annotations

import copy
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

__all__ = [
    "NotifyingServer",
    "RedactingFilter",
    "ServerThread",
    "bind_socket",
    "install_access_log_redaction",
    "redact",
    "uvicorn_config",
]


#: Query parameters whose values never reach a log line (a resumable upload's
#: ``upload_id`` lets whoever holds it write the object).
_SECRET_QUERY = re.compile(r"(?i)\b(key|access_token|oauth_token|upload_id)=[^&\s]*")


def redact(text: str) -> str:
    """Replace secret query values (``key=``, ``access_token=``...) in ``text``."""
    return _SECRET_QUERY.sub(lambda match: f"{match.group(1)}=REDACTED", text)


class RedactingFilter(logging.Filter):
    """Redacts secret query values from uvicorn's access log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's arguments; never drops a record."""
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        record.msg = redact(str(record.msg))
        return True


def install_access_log_redaction() -> None:
    """Attach :class:`RedactingFilter` to uvicorn's access logger (once)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, RedactingFilter) for existing in access.filters):
        access.addFilter(RedactingFilter())


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket; ``port=0`` picks a free port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def uvicorn_config(
    app: Any,
    *,
    access_log: bool = False,
    log_level: str = "warning",
    configure_logging: bool = True,
) -> uvicorn.Config:
    """uvicorn settings for the emulator (no access log unless asked, redacted if so)."""
    if access_log:
        install_access_log_redaction()
    kwargs: dict[str, Any] = {"log_config": None}
    if configure_logging:
        # uvicorn's default configuration, with the access log on stderr: stdout only
        # carries the "listening on" line that launchers wait for.
        log_config = copy.deepcopy(LOGGING_CONFIG)
        log_config["handlers"]["access"]["stream"] = "ext://sys.stderr"
        kwargs["log_config"] = log_config
    return uvicorn.Config(
        app,
        lifespan="off",
        access_log=access_log,
        log_level=log_level,
        timeout_graceful_shutdown=2,
        backlog=2048,
        **kwargs,
    )


class NotifyingServer(uvicorn.Server):
    """A uvicorn server that calls ``on_started`` once it accepts connections."""

    def __init__(
        self, config: uvicorn.Config, on_started: Callable[[], None] | None = None
    ) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start serving, then notify."""
        await super().startup(sockets=sockets)
        if self._on_started is not None and self.started:
            self._on_started()


class ServerThread:
    """Runs an ASGI app with uvicorn in a daemon thread on an already bound socket."""

    def __init__(self, app: Any, sock: socket.socket, *, access_log: bool = False) -> None:
        self._sock = sock
        self._ready = threading.Event()
        config = uvicorn_config(app, access_log=access_log, configure_logging=False)
        self.server = NotifyingServer(config, on_started=self._ready.set)
        self._thread = threading.Thread(target=self._run, name="tunedmodels-emulator", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self._sock])
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
        finally:
            self._ready.set()

    def start(self, timeout: float = 10.0) -> None:
        """Start serving and wait until the server accepts connections."""
        self._thread.start()
        if not self._ready.wait(timeout) or not self.server.started:
            self.stop()
            raise RuntimeError(f"emulator did not start: {self._error!r}")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving, wait for the thread and close the socket."""
        self.server.should_exit = True
        deadline = time.monotonic() + timeout
        if self._thread.is_alive():
            self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            self.server.force_exit = True
            self._thread.join(max(0.0, deadline - time.monotonic()) + 2.0)
        self._sock.close()
