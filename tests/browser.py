"""Headless Chromium driven over the DevTools protocol on a pipe: for the report's browser tests.

The export holds no script, so what the tests measure (element boxes, the page width) is
asked through `Runtime.evaluate`; screenshots and PDFs come from `Page.captureScreenshot`
and `Page.printToPDF`, at the widths and paper sizes the test chooses. No dependency: the
protocol is JSON messages ending in a NUL byte, on file descriptors 3 (to the browser) and 4.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
PAPER = {"A4": (8.27, 11.69), "Letter": (8.5, 11.0)}  # inches


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


class Browser:
    """One headless Chromium and one page in it."""

    def __init__(self, executable: str, profile: Path, timeout: float = 60):
        self.timeout = timeout
        to_browser, self._to_browser = os.pipe()
        self._from_browser, from_browser = os.pipe()
        # The browser reads fd 3 and writes fd 4. Its ends are copied above 10 first (closed on
        # exec), so the two dup2 calls in the child cannot overwrite each other; our own ends
        # are not inherited (os.pipe's are close-on-exec).
        theirs = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser, from_browser)]

        def wire():
            os.dup2(theirs[0], 3)
            os.dup2(theirs[1], 4)

        self.process = subprocess.Popen(
            [executable, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire,
        )
        for fd in (to_browser, from_browser, *theirs):
            os.close(fd)
        self._buffer, self._id = b"", 0
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)

    def call(self, method: str, session: bool = False, **params):
        """Send one command and wait for its answer (events in between are dropped)."""
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode("utf-8") + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" not in self._buffer:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"chromium did not answer {method}")
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"chromium closed the pipe during {method}")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def open(self, url: str, width: int, height: int = 900, mobile: bool = False) -> None:
        """Load `url` in a window `width` CSS pixels wide, and wait until it has loaded."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        self.call("Page.navigate", session=True, url=url)
        for _ in range(200):
            if self.evaluate("document.readyState") == "complete":
                return
            time.sleep(0.05)
        raise TimeoutError(f"{url} did not finish loading")

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (returned by value: JSON-able)."""
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}…: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page, as tall as it is."""
        data = self.call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def pdf(self, path: Path, paper: str) -> Path:
        """The page printed on `paper` (A4 or Letter), with the margins the page's CSS asks for."""
        width, height = PAPER[paper]
        data = self.call(
            "Page.printToPDF",
            session=True,
            paperWidth=width,
            paperHeight=height,
            printBackground=True,
            preferCSSPageSize=False,
            marginTop=0,
            marginBottom=0,
            marginLeft=0,
            marginRight=0,
        )["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close")
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            os.close(fd)


def pdf_pages(path: Path) -> int:
    """How many pages a PDF has: pdfinfo's count when it is installed, else its page objects."""
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE).group(1))
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", path.read_bytes()))
