"""JupyterLab 4 or Notebook 7 on 127.0.0.1 for the browser tests, and Debian's Chromium to drive
them with Playwright (``executable_path=/usr/bin/chromium``; never ``playwright install``).

A test module takes the fixtures by importing them (``tests/`` is on ``sys.path``, see
conftest.py)::

    from jupyter_servers import chromium, jupyter_server, open_notebook, page, run_cell

    def test_something(jupyter_server, page):      # runs twice: [lab] and [notebook]
        (jupyter_server.root / "w.ipynb").write_text(...)
        open_notebook(page, jupyter_server, "w.ipynb")
        run_cell(page, 0)

``jupyter_server`` is a ``Server``: ``base, token, root`` come first (so
``base, token, root, *_ = jupyter_server`` works), then ``ui``, ``log``, ``env`` and
``process``. Each UI's server is started once per test module with its own temporary root,
config, data, runtime and settings directories; the tests of one UI run together, and the
server is stopped at the module's end: SIGTERM to its process group (the server shuts its
kernels down), SIGKILL after STOP_SECONDS, then any kernel it left behind (kernels run in their
own sessions) is killed by pid. ``serving(ui, home)`` does the same as a context manager.

Both UIs are started with ``expose_app_in_browser``: ``window.jupyterapp.commands.execute(...)``
runs any command (e.g. ``kernelmenu:restart``). The XSRF check stays on: the pages log in with
the token, and ``Server.api`` sends it in the Authorization header, which needs no XSRF token.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator, NamedTuple, Sequence

import pytest

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "UIS", "KERNEL_IDLE", "Server", "ServerError",
           "serving", "notebook_url", "trust", "open_notebook", "run_cell", "new_page",
           "jupyter_server", "chromium", "page"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
UIS = ("lab", "notebook")  # JupyterLab 4 (`jupyter lab`) and Notebook 7 (`jupyter notebook`)
START_SECONDS = 120  # bounded wait for /api/status to answer (the machine is shared)
STOP_SECONDS = 20  # after SIGTERM, before SIGKILL
WAIT_MS = 90_000  # Playwright's default timeout in the page fixture, and the helpers'
# Both UIs: the notebook toolbar's execution indicator carries the kernel's status. It says
# "idle" before a kernel is there, even with none (open_notebook asks the page's session), and
# a moment before the notebook accepts a run (run_cell presses again when needed).
KERNEL_IDLE = '.jp-Notebook-ExecutionIndicator[data-status="idle"]'
_NOTEBOOK_PATH = {"lab": "lab/tree", "notebook": "notebooks"}
_APP = {"lab": ("jupyterlab", "LabApp"), "notebook": ("notebook", "JupyterNotebookApp")}


class ServerError(RuntimeError):
    """The server exited, or did not answer in time; the message ends with its log."""


class Server(NamedTuple):
    base: str  # "http://127.0.0.1:PORT" (no trailing slash)
    token: str
    root: Path  # the server's root_dir: a notebook written here opens as notebook_url(NAME)
    ui: str  # "lab" or "notebook"
    log: Path  # the server's stdout and stderr
    env: dict  # the server's environment (Jupyter's and IPython's dirs): see trust()
    process: subprocess.Popen

    def url(self, path: str) -> str:
        """``base/path`` with the token added to its query."""
        sep = "&" if "?" in path else "?"
        return f"{self.base}/{path.lstrip('/')}{sep}token={self.token}"

    def api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        """Call the REST API (``path`` like ``"api/kernels"``); the decoded JSON, or None.
        E.g. ``api("POST", f"api/kernels/{id}/restart")``."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base}/{path.lstrip('/')}", data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
        return json.loads(text) if text else None


def notebook_url(server: Server, name: str) -> str:
    """The URL that opens notebook ``name`` (a path relative to the root) in the server's UI:
    /lab/tree/NAME?reset in JupyterLab (reset: a fresh workspace, so no tab of an earlier page
    is restored beside it), /notebooks/NAME in Notebook 7."""
    quoted = urllib.request.pathname2url(name).lstrip("/")
    reset = "?reset" if server.ui == "lab" else ""
    return server.url(f"{_NOTEBOOK_PATH[server.ui]}/{quoted}{reset}")


def trust(server: Server, name: str) -> None:
    """``jupyter trust`` notebook ``name`` with the server's signature database, so that the
    UIs treat its stored outputs as trusted (HTML not sanitized; SVG, JavaScript and widget
    outputs rendered). A notebook a test writes or executes is untrusted until then."""
    subprocess.run([sys.executable, "-m", "jupyter", "trust", str(server.root / name)],
                   env=server.env, check=True, capture_output=True, timeout=60)


def open_notebook(page, server: Server, name: str, *, kernel: bool = True,
                  timeout_ms: int = WAIT_MS) -> None:
    """Open notebook ``name`` in ``page`` and wait until all its cells are rendered (the UIs
    render them one after another, and nodes found before then may be replaced) and, if
    ``kernel``, until its kernel is connected and idle. Without ``kernel`` nothing waits for
    one, but the UI still starts the notebook's kernel (or, for a notebook without a
    kernelspec, asks which with a "Select Kernel" dialog)."""
    cells = len(json.loads((server.root / name).read_text())["cells"])
    page.goto(notebook_url(server, name))
    page.wait_for_function(
        "n => document.querySelectorAll('.jp-Notebook .jp-Cell').length >= Math.max(n, 1)",
        arg=cells, timeout=timeout_ms)
    if kernel:
        _wait_for_kernel(page, timeout_ms)


# The execution indicator says "idle" before any kernel is there (both UIs), so the page's
# session is asked instead. When starting the notebook's kernel fails or comes too late (a
# loaded machine), both UIs ask for one with a "Select Kernel" dialog, the notebook's own
# kernel preselected, which covers the notebook (a click on a cell then times out).
_KERNEL_OR_DIALOG = """() => {
  if (document.querySelector('.jp-Dialog')) return 'dialog';
  const kernel = window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel;
  return kernel?.connectionStatus === 'connected' && kernel.status === 'idle' ? 'idle' : false;
}"""


def _wait_for_kernel(page, timeout_ms: int) -> None:
    """Wait until the open notebook's kernel is connected and idle, choosing the preselected
    kernel in a "Select Kernel" dialog if one asks first; any other dialog is an error."""
    for _ in range(3):
        found = page.wait_for_function(_KERNEL_OR_DIALOG, timeout=timeout_ms).json_value()
        if found == "idle":
            return
        dialog = page.locator(".jp-Dialog")
        text = dialog.inner_text(timeout=timeout_ms)
        if "Select Kernel" not in text:
            raise AssertionError(f"a dialog opened with the notebook: {text!r}")
        dialog.locator(".jp-mod-accept").click(timeout=timeout_ms)
        dialog.wait_for(state="detached", timeout=timeout_ms)
    raise AssertionError("the notebook kept asking for a kernel")


def run_cell(page, index: int, *, timeout_ms: int = WAIT_MS) -> None:
    """Shift+Enter in cell ``index`` (0-based) of the open notebook, then wait until it ran
    (its prompt shows a new number). A keypress that came before the notebook was ready to run
    leaves the prompt unchanged: it is pressed again, up to four times, 15 s apart. Both UIs."""
    sync_api = pytest.importorskip("playwright.sync_api")
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    prompt = cell.locator(".jp-InputArea-prompt")
    before = prompt.text_content()
    started = ("([el, before]) => el.textContent.includes('*') || "
               "(/\\[\\d+\\]/.test(el.textContent) && el.textContent !== before)")
    for _ in range(4):
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_function(started, arg=[prompt.element_handle(), before],
                                   timeout=15_000)
            break
        except sync_api.TimeoutError:
            continue
    else:
        raise AssertionError(f"cell {index} never started running (prompt {before!r})")
    page.wait_for_function("el => /\\[\\d+\\]/.test(el.textContent)",
                           arg=prompt.element_handle(), timeout=timeout_ms)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_settings(settings: Path) -> None:
    """User settings for a quiet, deterministic page: no news or update prompts, and every
    cell kept rendered (no windowing), so outputs stay in the DOM when scrolled away."""
    files = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
            {"windowingMode": "none"},
    }
    for name, value in files.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(value))


def _command(ui: str, home: Path, port: int, token: str) -> list[str]:
    module, app = _APP[ui]
    command = [sys.executable, "-m", module, "--no-browser", "--ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home / 'root'}",
               f"--{app}.user_settings_dir={home / 'settings'}",
               f"--{app}.workspaces_dir={home / 'workspaces'}",
               f"--{app}.expose_app_in_browser=True"]
    if ui == "lab":
        command += ["--LabApp.news_url=None",
                    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def _environment(home: Path) -> dict:
    """Jupyter's and IPython's per-user directories inside ``home``: no configuration, kernel
    spec, signature or extension of this machine's user changes what the tests see."""
    return dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"),
                JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
                IPYTHONDIR=str(home / "ipython"), JUPYTER_PLATFORM_DIRS="1",
                PYTHONUNBUFFERED="1")


def _tail(log: Path, chars: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def _wait_until_serving(server: Server, seconds: float = START_SECONDS) -> None:
    """Poll /api/status until it answers (bounded); fail at once if the server exits."""
    deadline = time.monotonic() + seconds
    while True:
        if server.process.poll() is not None:
            raise ServerError(f"jupyter {server.ui} exited with {server.process.returncode}:\n"
                              f"{_tail(server.log)}")
        try:
            server.api("GET", "api/status", timeout=5)
            return
        except (OSError, ValueError):  # refused, reset, timed out, HTTP error, not JSON yet
            pass
        if time.monotonic() > deadline:
            raise ServerError(f"jupyter {server.ui} did not answer /api/status within "
                              f"{seconds:.0f} s:\n{_tail(server.log)}")
        time.sleep(0.25)


def _kernels_of(runtime: Path) -> list[int]:
    """Pids of the processes whose command line names ``runtime`` (the kernels of this server:
    their connection files are there). Linux's /proc; elsewhere none are found."""
    pids, marker = [], str(runtime).encode()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (entry / "cmdline").read_bytes() and int(entry.name) != os.getpid():
                pids.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return pids


def _stop(process: subprocess.Popen, runtime: Path) -> None:
    """SIGTERM to the server's process group (it shuts its kernels down), SIGKILL after
    STOP_SECONDS; then kill any kernel of it that is left (each runs in its own session)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    for pid in _kernels_of(runtime):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def serving(ui: str, home: Path, args: Sequence[str] = ()) -> Iterator[Server]:
    """Start ``jupyter lab`` or ``jupyter notebook`` (``ui``: "lab" or "notebook") in its own
    process group, with everything under ``home`` (root dir ``home/root``, log
    ``home/server.log``) and ``args`` added to its command line; yield it once /api/status
    answers (ServerError if it exits or does not answer in time); stop it on exit."""
    if ui not in UIS:
        raise ValueError(f"ui must be one of {UIS}, not {ui!r}")
    home = Path(home)
    (home / "root").mkdir(parents=True, exist_ok=True)
    _write_settings(home / "settings")
    port, token = _free_port(), secrets.token_hex(16)
    log_path, env = home / "server.log", _environment(home)
    with open(log_path, "w") as log:
        process = subprocess.Popen([*_command(ui, home, port, token), *args], stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=env, cwd=home, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", token, home / "root", ui, log_path, env,
                    process)
    try:
        _wait_until_serving(server)
        yield server
    finally:
        _stop(process, home / "runtime")


@pytest.fixture(scope="module", params=UIS)
def jupyter_server(request, tmp_path_factory) -> Iterator[Server]:
    """JupyterLab, then Notebook 7 (the test ids end in [lab] and [notebook]), serving a fresh
    temporary root on 127.0.0.1 with a token; stopped when the module's tests of that UI are
    done."""
    home = tmp_path_factory.mktemp(f"jupyter-{request.param}")
    try:
        with serving(request.param, home) as server:
            yield server
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium, headless, driven by Playwright's sync API; one per test module
    (closed at its end, so another module may start its own Playwright)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests need {CHROMIUM}: `make system` installs it "
                    "(apt-get install chromium)", pytrace=False)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            yield browser
        finally:
            browser.close()


def new_page(chromium) -> Any:
    """A page in a fresh browser context, 1400x1000, default timeout WAIT_MS, collecting
    ``page.dialogs`` (messages; dismissed) and ``page.console`` ("type: text" lines). Close
    its ``page.context`` when done."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.dialogs, page.console = [], []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: page.console.append(f"{m.type}: {m.text}"))
    return page


@pytest.fixture
def page(chromium):
    """A page in a fresh browser context (no cookies or storage from another test), 1400x1000,
    default timeout WAIT_MS. ``page.dialogs`` collects the messages of dialogs (dismissed) and
    ``page.console`` the console's lines as "type: text"."""
    page = new_page(chromium)
    try:
        yield page
    finally:
        page.context.close()
