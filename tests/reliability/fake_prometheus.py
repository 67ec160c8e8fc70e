"""A small Prometheus query_range server on 127.0.0.1 whose first answer can be held back."""

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def _seconds(value: str) -> float:
    """Prometheus takes Unix seconds or RFC 3339."""
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class FakePrometheus:
    def __init__(self, *, hold_first: float = 0.0, delay: float = 0.0) -> None:
        self.hold_first = hold_first
        self.delay = delay
        self.requests: list[str] = []
        self.first_request = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                with server._lock:
                    server.requests.append(self.path)
                    first = len(server.requests) == 1
                if first and server.hold_first:
                    server.first_request.set()
                    server.release.wait(server.hold_first)
                elif server.delay:
                    server.release.wait(server.delay)
                query = parse_qs(urlparse(self.path).query)
                start, end = _seconds(query["start"][0]), _seconds(query["end"][0])
                step = float(query.get("step", ["60"])[0].rstrip("s"))
                values, t = [], start
                while t <= end and len(values) < 500:
                    values.append([t, "0.01"])
                    t += step
                body = json.dumps({"status": "success", "data": {"resultType": "matrix", "result": [
                    {"metric": {"service": "x"}, "values": values}]}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
