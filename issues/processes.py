"""Whether the process that started some work still runs: how work cut short by `kill -9` is found."""

import os
import socket


def current_process() -> tuple[int, str]:
    """(pid, host name) of this process, to record beside work it starts."""
    return os.getpid(), socket.gethostname()


def process_is_gone(*, pid: int | None, host: str) -> bool:
    """True when `pid` no longer runs on this host; False while it runs, or on another host (we cannot tell)."""
    if pid is None or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it runs, as another user
        return False
    return False
