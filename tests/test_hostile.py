"""Hostile and careless input: each gives a clear error or a proper state, never a hung
kernel, a lost result or a corrupted flow.

(A task raising KeyboardInterrupt on its own is in test_interrupts.py, on every executor.)
"""

import html
import re
import sys
import threading
import time
import xml.etree.ElementTree as ET

import pytest
import rough_tasks

import flowbook
from flowbook import Flow, FlowCycleError, signals, task, triggers
from flowbook.engine import state as st
from flowbook.executors import DaskExecutor, LocalDaskExecutor, LocalExecutor
from flowbook.widget.panel import TASKS_LISTED

WAIT = 10  # seconds a blocked body waits at most


@pytest.fixture(params=["local", "threads", "dask"])
def executor(request):
    if request.param == "local":
        return LocalExecutor()
    if request.param == "threads":
        return LocalDaskExecutor(num_workers=2)
    return DaskExecutor(address=request.getfixturevalue("dask_deployment").address)


def worker_pids(executor):
    """The Dask deployment's worker processes (empty for the in-process executors)."""
    if not isinstance(executor, DaskExecutor):
        return set()
    from distributed import Client

    with Client(executor.address, set_as_default=False) as client:
        return set(client.run(rough_tasks.pid).values())


# -- a cycle ------------------------------------------------------------------------------

def test_a_cycle_is_refused_before_any_task_runs_and_the_flow_can_be_fixed():
    calls = []
    a = task(lambda: calls.append("a"), name="a")
    b = task(lambda: calls.append("b"), name="b")
    flow = Flow("loop")
    flow.add_edge(a, b)
    back = flow.add_edge(b, a)
    with pytest.raises(FlowCycleError, match="'loop' has a cycle: (a -> b|b -> a)") as err:
        flow.run()
    assert {t.name for t in err.value.cycle} == {"a", "b"}
    assert calls == [] and flow.last_run is None
    flow.remove_edge(back)
    assert flow.run().is_successful() and calls == ["a", "b"]


# -- a task that exits -----------------------------------------------------------------------

def test_sys_exit_in_a_task_fails_that_task_and_the_run_goes_on(executor):
    pids = worker_pids(executor)
    with Flow("exits") as flow:
        leaving = task(rough_tasks.exit_with, name="leaving")(3)
        below = task(rough_tasks.pid, name="below")(leaving)
        cleanup = task(rough_tasks.pid, name="cleanup", trigger=triggers.always_run)(leaving)
    state = flow.run(executor=executor)
    failed = state.result[leaving]
    assert type(failed) is st.Failed and "SystemExit(3)" in failed.message
    assert isinstance(failed.result, SystemExit)
    assert type(state.result[below]) is st.TriggerFailed
    assert state.result[cleanup].is_successful() and type(state) is st.Failed
    assert worker_pids(executor) == pids  # no Dask worker died of it


# -- state handlers and triggers that raise ----------------------------------------------------

def test_a_state_handler_raising_on_running_fails_the_task_without_running_its_body():
    ran = []

    def broken(task_, old, new):
        if new.is_running():
            raise RuntimeError("handler bug")

    @task(state_handlers=[broken])
    def guarded():
        ran.append(1)

    with Flow("f") as flow:
        t = guarded()
    state = flow.run().result[t]
    assert type(state) is st.Failed and "state handler of task 'guarded' raised" in state.message
    assert isinstance(state.result, RuntimeError) and ran == []


def test_a_state_handler_raising_on_success_fails_the_task_and_retry_runs_it_again():
    broken = [True]

    def handler(task_, old, new):
        if new.is_successful() and broken[0]:
            raise ValueError("cannot notify")

    with Flow("f") as flow:
        t = task(lambda: 42, name="answer", state_handlers=[handler])()
    assert type(flow.run().result[t]) is st.Failed
    broken[0] = False
    assert flow.retry().result[t].result == 42


def test_a_flow_state_handler_that_raises_makes_the_flow_failed_and_keeps_task_states():
    def handler(flow_, old, new):
        raise RuntimeError("flow handler bug")

    with Flow("f", state_handlers=[handler]) as flow:
        t = task(lambda: 1, name="one")()
    state = flow.run()
    assert type(state) is st.Failed and "state handler of flow 'f' raised" in state.message
    assert flow.last_run.states[t].result == 1


def test_a_trigger_that_raises_gives_trigger_failed_with_its_error():
    def trigger(upstream):
        raise KeyError("trigger bug")

    with Flow("f") as flow:
        t = task(lambda x: x, name="t", trigger=trigger)(task(lambda: 1, name="up")())
    state = flow.run().result[t]
    assert type(state) is st.TriggerFailed and isinstance(state.result, KeyError)


# -- results that are too big, or refuse to be shown ------------------------------------------

def test_a_300_mb_result_is_kept_whole_and_previewed_short(show):
    size = 300 * 2**20

    @task
    def big():
        return bytes(size)  # zero pages: the kernel maps them lazily

    with Flow("big") as flow:
        t = big()
    widget = show(flow)
    state = flow.run()
    assert len(state.result[t].result) == size
    widget.selected = "big"
    assert "Result" in widget.panel and len(widget.panel) < 20_000
    assert len(widget.summary()) < 2_000 and len(widget.static_svg()) < 50_000


class Unshowable:
    def __repr__(self):
        raise RuntimeError("no repr for you")


class SelfReferring:
    def __repr__(self):
        return f"SelfReferring({self!r})"  # recurses until RecursionError


def test_results_whose_repr_raises_or_recurses_are_previewed_and_the_widget_survives(show):
    deep = []
    for _ in range(100_000):
        deep = [deep]
    with Flow("odd") as flow:
        task(lambda: Unshowable(), name="unshowable")()
        task(lambda: SelfReferring(), name="recursive")()
        task(lambda: deep, name="deep")()
    widget = show(flow)
    flow.run()
    for name, preview in [("unshowable", "<Unshowable instance at"),
                          ("recursive", "<SelfReferring instance at"),
                          ("deep", "[[[[[[...]]]]]]")]:
        widget.selected = name
        assert html.escape(preview) in widget.panel, name
    assert widget.problem == "" and "3 Success" in widget.summary()


def test_deep_recursion_in_a_task_fails_it_with_a_short_traceback(show):
    @task
    def bottomless(n=0):
        return bottomless.run(n + 1)

    with Flow("deep") as flow:
        t = bottomless()
        after = task(lambda x: x, name="after", trigger=triggers.always_run)(t)
    widget = show(flow)
    state = flow.run()
    assert type(state.result[t]) is st.Failed
    assert isinstance(state.result[t].result, RecursionError)
    assert state.result[after].is_successful()
    widget.selected = "bottomless"
    assert "RecursionError" in widget.panel and "more times" in widget.panel
    assert len(widget.panel) < 50_000


# -- many tasks with one name ---------------------------------------------------------------------

def test_ten_thousand_tasks_named_the_same_run_and_the_widget_copes(show):
    @task(name="same")
    def same():
        return 1

    with Flow("dupes") as flow:
        for _ in range(10_000):
            same()
    widget = show(flow)
    assert flow.run().is_successful()
    widget.refresh()
    assert "10000 tasks" in widget.problem and widget.svg == ""  # not drawn, said why
    assert widget.status["counts"] == [["Success", 10_000, "#28a745"]]
    assert len(widget.nodes) == 10_000
    widget.selected = "same-10000"
    assert "<b>same-10000</b> · Success" in widget.panel
    assert f"and {10_000 - TASKS_LISTED} more tasks" in widget.summary()


# -- names and messages that look like markup ------------------------------------------------------

NAMES = ['<b>bold</b> & "quoted" \'single\'', 'a -> b [color=red]; } digraph { x',
         "two\nlines", "back\\slash \\N \\G", '{"json": [1]}', '"', 'end"\\']


def hostile_flow():
    """A chain of tasks with the NAMES; the first fails with a message full of them."""
    with Flow('flow <i>"x"</i>\n; }') as flow:
        prev = None
        for name in NAMES:
            def body(x=None, name=name):
                raise signals.FAIL(f"failed: {name}")
            t = task(body, name=name, trigger=triggers.always_run)
            prev = t() if prev is None else t(x=prev)
    return flow


def test_markup_in_names_and_messages_is_shown_literally_in_the_widget(show):
    flow = hostile_flow()
    widget = show(flow)
    flow.run()
    widget.refresh()
    svg = widget.static_svg()
    ET.fromstring(svg)  # still well-formed XML
    titles = re.findall(r'<g id="fb\d+" class="node">\s*<title>(.*?)</title>', svg, re.S)
    assert [html.unescape(t) for t in titles] == NAMES
    assert widget.problem == "" and set(widget.nodes) == set(NAMES)
    for name in NAMES:
        widget.selected = name
        assert html.escape(f"failed: {name}") in widget.panel
        assert "<b>bold</b>" not in widget.panel.replace(f"<b>{html.escape(name)}</b>", "")
    assert NAMES[0] in widget.summary()
    widget.selected = NAMES[0]
    assert [a["label"] for a in widget.actions] == [f"Retry failed ({len(NAMES)})", "Retry",
                                                     "Retry from here"]
    assert widget.actions[1]["id"] == f"retry:{NAMES[0]}"  # the page shows it as text


def test_markup_in_names_survives_visualize_and_dot(tmp_path):
    flow = hostile_flow()
    flow.visualize(flow.run(), filename=str(tmp_path / "hostile"), format="svg")
    svg = (tmp_path / "hostile.svg").read_text(encoding="utf-8")
    ET.fromstring(svg)
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)]
    assert NAMES[0] in texts and NAMES[1] in texts and NAMES[3] in texts
    assert len(re.findall(r'class="node"', svg)) == len(NAMES)


# -- a %%task cell redefined while its flow runs in the background ----------------------------------

@pytest.fixture
def ip():
    """A real IPython shell with flowbook's magics (as in test_magics.py)."""
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from flowbook.notebook import registry

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    registry._FLOWS.clear()
    shell.run_cell("%load_ext flowbook", store_history=False)
    try:
        yield shell
    finally:
        registry._FLOWS.clear()
        InteractiveShell.clear_instance()


def cell(ip, source):
    result = ip.run_cell(source, store_history=False)
    return result.error_before_exec or result.error_in_exec


def test_redefining_a_task_cell_while_the_widget_resumes_its_flow_is_refused(ip, show):
    from IPython.core.error import UsageError

    release = threading.Event()
    ip.user_ns.update(release=release, WAIT=WAIT)
    assert cell(ip, "%%task gate --trigger manual_only\n'approved'") is None
    assert cell(ip, "%%task publish\nrelease.wait(WAIT)\ngate.upper()") is None
    flow = flowbook.notebook_flow()
    assert cell(ip, "%flow run") is None
    widget = show(flow)
    widget.act("resume_all")  # Resume gate: continues in a background thread
    publish = ip.user_ns["publish"]
    deadline = time.monotonic() + WAIT
    while not (flow.last_run.states.get(publish) or st.Pending()).is_running():
        assert time.monotonic() < deadline, "publish never started"
        time.sleep(0.005)
    error = cell(ip, "%%task publish\n'redefined'")
    assert isinstance(error, UsageError) and "is running" in str(error)
    assert "redefine %%task publish" in str(error) and "the flow is unchanged" in str(error)
    assert isinstance(cell(ip, "%flow remove gate"), UsageError)
    assert isinstance(cell(ip, "%flow reset"), UsageError)
    assert isinstance(cell(ip, "%flow retry"), UsageError)
    release.set()
    assert widget.wait_for_action(WAIT)
    assert flow.last_state.is_successful() and flow.last_run.states[publish].result == "APPROVED"
    assert cell(ip, "%%task publish\n'redefined'") is None  # once it has finished
    assert publish.source.strip() == "'redefined'"


def test_the_engine_api_refuses_changes_to_a_flow_while_it_runs():
    from flowbook.engine.in_progress import RunInProgressError
    from flowbook.notebook import authoring

    flow, namespace, release = Flow("api"), {}, threading.Event()
    namespace["release"] = release
    authoring.define_task(flow, "slow", "release.wait(10)\n'done'", namespace)
    background = threading.Thread(target=flow.run, name="the background run")
    background.start()
    try:
        deadline = time.monotonic() + WAIT
        while flow.last_run is None or not flow.last_run.states.get(namespace["slow"]):
            assert time.monotonic() < deadline
            time.sleep(0.005)
        for change in (lambda: authoring.define_task(flow, "slow", "'new'", namespace),
                       lambda: authoring.define_task(flow, "other", "slow", namespace),
                       lambda: authoring.remove_task(flow, "slow", namespace),
                       lambda: authoring.reset_flow(flow, namespace)):
            with pytest.raises(RunInProgressError, match="'the background run'"):
                change()
        assert [t.name for t in flow.tasks] == ["slow"] and namespace["slow"].source.startswith(
            "release")
    finally:
        release.set()
        background.join(WAIT)
    assert flow.last_state.result[namespace["slow"]].result == "done"


def test_a_task_body_cannot_continue_its_own_run():
    @task
    def meddle():
        return flow.retry()

    with Flow("self") as flow:
        t = meddle()
    state = flow.run().result[t]
    assert type(state) is st.Failed and "still running in this thread" in state.message


def test_sys_exit_in_a_task_does_not_end_the_python_process(tmp_path):
    script = tmp_path / "exits.py"
    script.write_text("from flowbook import Flow, task\nimport sys\n"
                      "with Flow('f') as flow:\n    task(lambda: sys.exit(7), name='x')()\n"
                      "print(flow.run())\nprint('still here')\n")
    import subprocess

    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and "still here" in out.stdout, out.stderr
