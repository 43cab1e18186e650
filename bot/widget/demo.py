"""A demo clinic intake page with the widget's snippet in it, on a port of its own.

`make run` starts it beside the assistant, so anyone can try the widget at once. The page's
origin (http://localhost:<port>) differs from the assistant's, as a clinic's site does, but is
the same *site*, so browsers that block third-party storage still let the widget keep the
conversation across the form's pages.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import parse_qs, urlsplit

TEMPLATE = Path(__file__).resolve().parent / "static" / "demo.html"

STEPS = {
    1: {
        "legend": "About you",
        "label_a": "Full name",
        "label_b": "Date of birth",
        "label_c": "What brings you to the clinic?",
        "submit": "Continue to step 2",
        "next_step": "2",
    },
    2: {
        "legend": "Your treatment so far",
        "label_a": "Current medications",
        "label_b": "Referring doctor",
        "label_c": "Previous treatments for depression",
        "submit": "Review",
        "next_step": "2",
    },
}


def demo_page_csp(widget_origin: str) -> str:
    return (
        f"default-src 'self'; script-src {widget_origin}; frame-src {widget_origin}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def render_demo_page(widget_origin: str, step: int) -> bytes:
    template = Template(TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(widget_origin=widget_origin, step=step, **STEPS[step]).encode()


def start_demo_server(port: int, widget_origin: str) -> ThreadingHTTPServer:
    """Serves the demo page at http://localhost:<port>/ from a daemon thread; `shutdown()` stops."""

    class DemoPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
            url = urlsplit(self.path)
            if url.path != "/":
                self.send_error(404)
                return
            step = 2 if parse_qs(url.query).get("step") == ["2"] else 1
            body = render_demo_page(widget_origin, step)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Content-Security-Policy", demo_page_csp(widget_origin))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a demo: no access log on the console

    server = ThreadingHTTPServer(("localhost", port), DemoPage)
    threading.Thread(target=server.serve_forever, daemon=True, name="widget-demo").start()
    return server
