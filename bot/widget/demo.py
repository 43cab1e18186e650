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
from typing import Any, Dict
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


class DemoServer(ThreadingHTTPServer):
    """The demo page at `/`, and any other host pages put in `other_pages` (path -> HTML), such
    as the tests' hostile pages, which must come from an origin the widget allows."""

    other_pages: Dict[str, bytes]


def start_demo_server(port: int, widget_origin: str) -> DemoServer:
    """Serves the demo page at http://localhost:<port>/ from a daemon thread; `shutdown()` stops."""

    class DemoPage(BaseHTTPRequestHandler):
        server: DemoServer

        def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
            url = urlsplit(self.path)
            headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
            if url.path == "/":
                step = 2 if parse_qs(url.query).get("step") == ["2"] else 1
                body = render_demo_page(widget_origin, step)
                headers["Content-Security-Policy"] = demo_page_csp(widget_origin)
            elif url.path in self.server.other_pages:
                body = self.server.other_pages[url.path]
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a demo: no access log on the console

    server = DemoServer(("localhost", port), DemoPage)
    server.other_pages = {}
    threading.Thread(target=server.serve_forever, daemon=True, name="widget-demo").start()
    return server
