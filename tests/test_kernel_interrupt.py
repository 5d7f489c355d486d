"""Interrupting a real kernel (through jupyter_client) while a flow runs, then continuing.

The kernel is started by this module's fixture and shut down by it. A slow task marks a file
when it starts; the test then sends the kernel an interrupt (SIGINT, as the notebook's stop
button does), checks that the cell ended as interrupted and what the flow kept, and
continues with flow.retry(), %flow retry or the widget's button, counting the calls of every
task so that a finished task running again would show.
"""

import json
import time

import pytest

jupyter_client = pytest.importorskip("jupyter_client")

WAIT = 60  # seconds for the kernel to answer (a failure, never a pass)

FLOW = '''
import json, pathlib, time
from flowbook import Flow, task

calls = {{"first": 0, "slow": 0, "after": 0}}
MARK = pathlib.Path({mark!r})

@task
def first():
    calls["first"] += 1
    return 1

@task
def slow(x):
    calls["slow"] += 1
    if calls["slow"] == 1:
        MARK.touch()
        time.sleep(120)       # interrupted here
    return x + 1

@task
def after(y):
    calls["after"] += 1
    return y * 10

with Flow("kernel") as flow:
    total = after(slow(first()))
'''

CELLS = '''
%load_ext flowbook
import json, pathlib, time
import flowbook

calls = {{"first": 0, "slow": 0, "after": 0}}
MARK = pathlib.Path({mark!r})
flow = flowbook.notebook_flow()
'''

REPORT = '''
def report(flow):
    run = flow.last_run
    print(json.dumps({
        "flow": [type(run.state).__name__, run.state.message],
        "tasks": {t.name: [type(s).__name__, s.message, s.result if s.is_successful() else None]
                  for t, s in run.states.items()},
        "calls": calls}))
'''


@pytest.fixture(scope="module")
def kernel():
    """A python3 kernel of this environment and a client connected to it."""
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=WAIT)
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(client, code):
    """Run ``code``; returns (the reply's content, everything it printed)."""
    printed = []

    def keep(msg):
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])

    reply = client.execute_interactive(code, timeout=WAIT, output_hook=keep)
    return reply["content"], "".join(printed)


def ok(client, code):
    content, printed = execute(client, code)
    assert content["status"] == "ok", (content.get("ename"), content.get("evalue"), printed)
    return printed


def interrupted(kernel, code, mark):
    """Run ``code`` and interrupt the kernel once ``mark`` exists; returns the reply."""
    manager, client = kernel
    # stop_on_error=False: the kernel then takes the next request instead of aborting the
    # ones that arrive soon after this error (how soon depends on the machine)
    msg_id = client.execute(code, stop_on_error=False)
    deadline = time.monotonic() + WAIT
    while not mark.exists():
        assert time.monotonic() < deadline, "the slow task never started"
        time.sleep(0.02)
    manager.interrupt_kernel()
    while True:
        reply = client.get_shell_msg(timeout=WAIT)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]


def report(client):
    """What the kernel's ``flow`` (its latest run) and ``calls`` hold now."""
    return json.loads(ok(client, "report(flow)").strip().splitlines()[-1])


def test_an_interrupted_kernel_keeps_finished_tasks_and_flow_retry_continues(kernel, tmp_path):
    _, client = kernel
    mark = tmp_path / "slow started"
    ok(client, FLOW.format(mark=str(mark)) + REPORT)
    reply = interrupted(kernel, "flow.run()", mark)
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    seen = report(client)
    assert seen["flow"][0] == "Cancelled" and "flow.retry()" in seen["flow"][1]
    assert seen["tasks"]["first"] == ["Success", "Task run succeeded.", 1]
    assert seen["tasks"]["slow"][0] == "Cancelled" and "Interrupted" in seen["tasks"]["slow"][1]
    assert "after" not in seen["tasks"]
    ok(client, "state = flow.retry()")
    seen = report(client)
    assert seen["flow"][0] == "Success" and seen["tasks"]["after"][2] == 20
    assert seen["calls"] == {"first": 1, "slow": 2, "after": 1}


def test_percent_flow_retry_continues_an_interrupted_run_on_threads(kernel, tmp_path):
    _, client = kernel
    mark = tmp_path / "slow started"
    ok(client, CELLS.format(mark=str(mark)) + REPORT + "%flow reset")
    ok(client, '%%task first\ncalls["first"] += 1\n1')
    ok(client, '%%task slow\ncalls["slow"] += 1\nif calls["slow"] == 1:\n'
               '    MARK.touch()\n    time.sleep(120)\nfirst + 1')
    ok(client, '%%task after\ncalls["after"] += 1\nslow * 10')
    reply = interrupted(kernel, "%flow run --executor threads", mark)
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    seen = report(client)
    assert seen["flow"][0] == "Cancelled"
    assert seen["tasks"]["first"][0] == "Success" and seen["tasks"]["slow"][0] == "Cancelled"
    ok(client, "state = %flow retry")
    seen = report(client)
    assert seen["flow"][0] == "Success" and seen["tasks"]["after"][2] == 20
    assert seen["calls"] == {"first": 1, "slow": 2, "after": 1}


def test_the_widgets_continue_button_continues_an_interrupted_run(kernel, tmp_path):
    _, client = kernel
    mark = tmp_path / "slow started"
    ok(client, FLOW.format(mark=str(mark)) + REPORT)
    ok(client, "import flowbook\nwidget = flowbook.show(flow)")
    reply = interrupted(kernel, "flow.run()", mark)
    assert reply["ename"] == "KeyboardInterrupt"
    printed = ok(client, "widget.refresh()\nprint([a['label'] for a in widget.actions])")
    assert printed.strip() == "['Continue the run']"
    ok(client, "widget.act('continue')\nassert widget.wait_for_action(30)")
    seen = report(client)
    assert seen["flow"][0] == "Success" and seen["calls"] == {"first": 1, "slow": 2, "after": 1}


def test_a_task_calling_sys_exit_fails_and_the_kernel_lives_on(kernel):
    _, client = kernel
    printed = ok(client, "import sys\nfrom flowbook import Flow, task\n"
                         "with Flow('exits') as bye:\n    task(lambda code: sys.exit(code), name='leave')(4)\n"
                         "print(bye.run().result[bye.get_tasks('leave')[0]])")
    assert printed.strip() == '<Failed: "Task raised SystemExit(4) (sys.exit() was called); a ' \
                              'task cannot end the kernel, so the task failed">'
    assert ok(client, "print(1 + 1)").strip() == "2"
