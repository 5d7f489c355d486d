"""``%flow debug`` and ``%flow load`` in a real kernel (through jupyter_client).

The kernel is started by this module's fixture and shut down by it. ``%flow debug`` runs
IPython's debugger in the kernel, which asks for each command on the stdin channel; the test
answers those input requests. ``%flow load`` hands the new cell to the front end as a
``set_next_input`` payload of its execute reply; the test runs that cell in the same kernel.
"""

import re

import pytest

jupyter_client = pytest.importorskip("jupyter_client")

WAIT = 60  # seconds for the kernel to answer (a failure, never a pass)

FUNCTION_FLOW = '''
%load_ext flowbook
from flowbook import Flow, task

@task
def scale(values, factor):
    return [factor / v for v in values]

with Flow("etl") as etl:
    scale([4, 0, 2], factor=8)
state = etl.run()
'''

CELL_FLOW = ['''%%task raw
[6, 0]''', '''%%task clean
cleaned = [12 / x for x in raw]
cleaned''', "state = %flow run"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def kernel():
    """A client of a python3 kernel of this environment, with flowbook's magics loaded."""
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=WAIT)
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(client, code, answers=()):
    """Run ``code``, answering its input requests with ``answers`` in order; returns (the
    reply's content, everything it printed, the prompts it asked with)."""
    printed, prompts, pending = [], [], list(answers)

    def keep(msg):
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])

    def answer(msg):
        prompts.append(msg["content"]["prompt"])
        client.input(pending.pop(0) if pending else "q")  # never leave the kernel waiting

    reply = client.execute_interactive(code, timeout=WAIT, output_hook=keep,
                                       stdin_hook=answer, allow_stdin=True)
    return reply["content"], _ANSI.sub("", "".join(printed)), prompts


def ok(client, code, answers=()):
    content, printed, prompts = execute(client, code, answers)
    assert content["status"] == "ok", (content.get("ename"), content.get("evalue"), printed)
    return content, printed, prompts


def loaded_cell(client, command):
    """The text ``command`` (a ``%flow load``) puts into the next cell."""
    content, _, _ = ok(client, command)
    (payload,) = [p for p in content["payload"] if p["source"] == "set_next_input"]
    assert payload["replace"] is False
    return payload["text"]


def test_flow_debug_answers_pdb_commands_in_the_failed_tasks_frame(kernel):
    ok(kernel, FUNCTION_FLOW)
    _, printed, prompts = ok(kernel, "%flow debug scale --flow etl", ["p values", "p factor",
                                                                      "q"])
    assert prompts == ["ipdb> "] * 3  # IPython's debugger, one request per command
    assert printed.startswith("debugging scale: ZeroDivisionError('division by zero') in its "
                              "code, inputs in scope: values, factor; q quits\n")
    assert "[4, 0, 2]\n" in printed and "\n8\n" in printed


def test_flow_load_of_a_function_task_gives_a_cell_failing_the_same_way(kernel):
    ok(kernel, FUNCTION_FLOW)
    text = loaded_cell(kernel, "%flow load scale --flow etl")
    assert text.startswith("# inputs of scale's latest run (Failed: ZeroDivisionError(")
    content, _, _ = execute(kernel, text)
    assert (content["status"], content["ename"]) == ("error", "ZeroDivisionError")
    ok(kernel, text.replace("[4, 0, 2]", "[4, 1, 2]"))  # fixed: the cell runs


def test_flow_load_of_a_task_cell_gives_its_body_after_its_inputs(kernel):
    for cell in CELL_FLOW:
        ok(kernel, cell)
    text = loaded_cell(kernel, "%flow load clean")
    assert text.splitlines()[1:4] == ["raw = [6, 0]", "cleaned = [12 / x for x in raw]",
                                      "cleaned"]
    content, _, _ = execute(kernel, text)
    assert (content["status"], content["ename"]) == ("error", "ZeroDivisionError")


def test_flow_debug_of_a_task_cell(kernel):
    for cell in CELL_FLOW:
        ok(kernel, cell)
    _, printed, _ = ok(kernel, "%flow debug clean", ["p raw", "q"])
    assert "inputs in scope: raw; q quits" in printed and "[6, 0]\n" in printed


def test_flow_debug_of_a_task_that_succeeded_is_a_one_line_usage_error(kernel):
    for cell in CELL_FLOW:
        ok(kernel, cell)
    content, _, prompts = execute(kernel, "%flow debug raw")
    assert content["status"] == "error" and content["ename"] == "UsageError"
    assert "raw succeeded; nothing to debug" in content["evalue"] and not prompts


def test_flow_load_needs_one_task(kernel):
    content, _, _ = execute(kernel, "%flow load")
    assert content["ename"] == "UsageError"
    assert "%flow load takes one TASK name" in content["evalue"]
