"""Measure `serve --watch` edit-to-reload: edit the item (its body, then its title), wait for the SSE `reload`
and the fresh page."""

from __future__ import annotations

import http.client
import os
import queue
import shlex
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from edit import has_title

EVENTS_PATH = "/_site-builder/events"
CLOSED = "(stream closed)"     # event name the reader queues when the stream ends; not a valid SSE name
SERVE_RUNS = 5
# Straight to 127.0.0.1, whatever http_proxy says.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))

Events = queue.Queue  # of (arrival time.perf_counter(), event name, data) tuples


class Unavailable(Exception):
    """The serve measurement cannot run with the CLI as it is (e.g. serve not implemented yet)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, url: str, timeout: float = 10.0) -> tuple[int, str]:
    try:
        with _HTTP.open(f"http://127.0.0.1:{port}{url}", timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, OSError):
        return 0, ""


def _read_events(response: http.client.HTTPResponse, events: Events) -> None:
    """Server-sent events -> (arrival time, event name, data) on the queue, until the stream ends."""
    name, data = "message", []
    try:
        while True:
            raw = response.readline()
            if not raw:
                events.put((time.perf_counter(), CLOSED, "the server ended the stream"))
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                if data or name != "message":
                    events.put((time.perf_counter(), name, "\n".join(data)))
                name, data = "message", []
            elif line.startswith(":"):
                continue
            else:
                key, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if key == "event":
                    name = value
                elif key == "data":
                    data.append(value)
    except (OSError, ValueError, http.client.HTTPException) as exc:
        events.put((time.perf_counter(), CLOSED, f"reading the stream failed: {exc!r}"))


def _drain(events: Events) -> int:
    count = 0
    while True:
        try:
            _check_open(events.get_nowait())
            count += 1
        except queue.Empty:
            return count


def _check_open(event: tuple[float, str, str]) -> None:
    if event[1] == CLOSED:
        raise Unavailable(f"event stream closed: {event[2]}")


def _start_server(cmd: list[str], log_path: Path, timeout: float) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    with open(log_path, "ab") as out:
        out.write(f"\n$ {shlex.join(cmd + ['--port', str(port)])}\n".encode())
        out.flush()
        proc = subprocess.Popen(cmd + ["--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            if code == 2:
                raise Unavailable("serve not available (usage error, exit 2)")
            raise Unavailable(f"serve exited with {code} before answering; see {log_path}")
        if _get(port, "/", timeout=2)[0] == 200:
            return proc, port
        time.sleep(0.2)
    _stop_server(proc)
    raise Unavailable(f"home page not 200 within {timeout:.0f} s")


def _stop_server(proc: subprocess.Popen[bytes]) -> str:
    """SIGINT, as Ctrl-C would; SIGKILL after 15 s. Returns a note when that was not clean."""
    note = ""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            note = "serve did not stop within 15 s of SIGINT; killed"
    if not note and proc.returncode not in (0, -signal.SIGINT, 130):
        note = f"serve exited with {proc.returncode} after SIGINT"
    try:
        os.killpg(proc.pid, signal.SIGKILL)     # stray pool workers of the server we started, if any
    except (ProcessLookupError, PermissionError):
        pass
    return note


Edit = Callable[[int], str]   # makes edit number i to the item's file; returns the text its fresh page shows


@dataclass
class ServeResult:
    times: dict[str, list[tuple[float, float]]] = field(default_factory=dict)   # kind -> (reload event, page
    notes: list[str] = field(default_factory=list)                             # fresh), s after the write


def measure_serve(cli: list[str], site: Path, url: str, current_title: str, edits: Mapping[str, Edit],
                  log_path: Path, timeout: float, progress: Callable[[str], None]) -> ServeResult:
    """Start `serve --watch`, connect to its events, then for each kind of edit, SERVE_RUNS times: make the
    next edit, time the reload until the page shows what the edit wrote.

    Raises Unavailable when serve, its event stream or the item page is missing.
    """
    result = ServeResult()
    proc, port = _start_server([*cli, "serve", "--watch", "--source", str(site)], log_path, timeout)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    sock = None
    try:
        conn.request("GET", EVENTS_PATH, headers={"Accept": "text/event-stream"})
        # Kept now: getresponse() drops conn.sock for a close-delimited (HTTP/1.0) stream, and the
        # response reads through this socket, whose 10 s timeout would end the stream between pings.
        sock = conn.sock
        response = conn.getresponse()
        if response.status != 200:
            raise Unavailable(f"{EVENTS_PATH} answered {response.status}")
        if sock is not None:
            sock.settimeout(None)      # the stream is quiet between rebuilds
        events: Events = queue.Queue()
        threading.Thread(target=_read_events, args=(response, events), daemon=True).start()
        if not has_title(_get(port, url)[1], current_title):
            raise Unavailable(f"{url} over HTTP does not show the item's current title")
        spurious = _settle(events, quiet=1.0, limit=15.0)
        if spurious:
            result.notes.append(f"serve sent {spurious} event(s) after start with nothing edited")
        for kind, edit in edits.items():
            times = result.times.setdefault(kind, [])
            for i in range(SERVE_RUNS):
                progress(f"  serve {kind} edit→reload {i + 1}/{SERVE_RUNS}")
                _drain(events)
                started = time.perf_counter()
                shown = edit(i)
                times.append(_await_reload(events, port, url, shown, started, timeout))
                extra = _settle(events, quiet=0.5, limit=10.0)
                if extra:
                    result.notes.append(f"serve {kind} edit {i + 1}: {extra} more event(s) after the measured reload")
    finally:
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        conn.close()
        stopped = _stop_server(proc)
    if stopped:
        result.notes.append(stopped)
    return result


def _settle(events: Events, quiet: float, limit: float) -> int:
    """Wait until no event arrived for `quiet` seconds (at most `limit`); how many arrived meanwhile."""
    count, deadline = 0, time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            _check_open(events.get(timeout=quiet))
            count += 1
        except queue.Empty:
            break
    return count


def _await_reload(events: Events, port: int, url: str, shown: str,
                  started: float, timeout: float) -> tuple[float, float]:
    """Seconds from the write until the reload event, and until that event has come and the page shows `shown`."""
    deadline = started + timeout
    reload_at = None
    while time.perf_counter() < deadline:
        try:
            arrived, name, data = events.get(timeout=0.05 if reload_at else max(0.0, deadline - time.perf_counter()))
            if name == CLOSED:
                raise Unavailable(f"event stream closed before the reload: {data}")
            if name == "reload" and reload_at is None:
                reload_at = arrived
        except queue.Empty:
            pass
        if reload_at is not None and has_title(_get(port, url)[1], shown):
            return reload_at - started, time.perf_counter() - started
    fresh = has_title(_get(port, url)[1], shown)
    raise Unavailable(f"within {timeout:.0f} s of the edit: "
                      + ("a reload event came" if reload_at else "no reload event came")
                      + (", and the page shows the edit" if fresh else ", and the page does not show the edit yet"))
