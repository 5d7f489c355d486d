import inspect
import re
from typing import Any, Tuple

import pytest

from flowbook import Task
from flowbook.core import task_signature as ts


def test_a_task_class_whose_run_takes_varargs_is_refused_when_defined():
    with pytest.raises(ValueError, match=r"\*rest is not supported"):
        class Bad(Task):
            def run(self, x, *rest):
                pass


@pytest.mark.parametrize("name", ts.RESERVED)
def test_a_task_class_whose_run_takes_a_reserved_name_is_refused_when_defined(name):
    with pytest.raises(ValueError, match=f"{name} are reserved"):
        type("Bad", (Task,), {"run": eval(f"lambda self, {name}=None: None")})


def test_a_builtin_without_a_signature_is_refused_with_the_way_out():
    with pytest.raises(ValueError, match="can not be inspected.*wrap it in a def"):
        ts.check_run(zip, "task 'zip'")


@pytest.mark.parametrize("returns, nout", [
    (int, None), (Tuple, None), (tuple, None), (Tuple[()], 0), (Tuple[int, ...], None),
    (Tuple[int, int], 2), (tuple[int, str, float], 3),
])
def test_nout_is_inferred_from_a_tuple_return_annotation(returns, nout):
    def run() -> returns:
        pass

    assert ts.infer_nout(run) == nout


def test_nout_is_not_inferred_from_an_annotation_naming_an_unknown_type():
    def run() -> "Tuple[Unknown, int]":  # noqa: F821
        pass

    assert ts.infer_nout(run) is None


def test_inputs_describe_type_required_and_default():
    def run(x, y: int = 1):
        pass

    assert ts.inputs_of(run) == {"x": dict(type=Any, required=True, default=None),
                                 "y": dict(type=int, required=False, default=1)}


def test_outputs_are_the_return_annotation_or_any():
    def typed() -> int:
        pass

    assert ts.outputs_of(typed) is int and ts.outputs_of(lambda: 1) is Any


def test_call_signature_adds_the_calling_options_before_var_keyword():
    def run(x, y=1, **kw):
        pass

    sig = ts.call_signature(run)
    assert list(sig.parameters) == ["x", "y", "mapped", "task_args", "upstream_tasks", "flow",
                                    "kw"]
    assert sig.return_annotation == "Task"


def test_a_task_instance_has_the_call_signature_and_its_class_the_constructor_one():
    class Add(Task):
        def run(self, x, y=1):
            return x + y

    assert "upstream_tasks" in inspect.signature(Add()).parameters
    assert "name" in inspect.signature(Add).parameters


def test_a_task_given_to_a_constructor_warns_to_call_it_instead():
    class Holder(Task):
        def __init__(self, value, **kwargs):
            self.value = value
            super().__init__(**kwargs)

    with pytest.warns(UserWarning, match="A Task was passed as an argument to Holder"):
        held = Holder(Task())
    assert isinstance(held.value, Task)


def test_a_function_task_with_positional_only_arguments_is_refused_naming_them():
    from flowbook import task

    with pytest.raises(TypeError, match=re.escape(
            "Found positional-only parameters in the function signature for task dummy: "
            "['a', 'b']. Prefect passes arguments using keywords")):
        @task
        def dummy(a, b, /):
            pass


def test_a_task_class_whose_run_takes_positional_only_arguments_is_refused_when_defined():
    with pytest.raises(TypeError, match=r"for task class Bad: \['x'\].*remove the '/'"):
        class Bad(Task):
            def run(self, x, /):
                pass


def test_bind_gives_what_signature_bind_gives_in_its_order_or_its_error():
    import random

    def reference(sig, args, kwargs):
        arguments = sig.bind(*args, **kwargs).arguments
        for param in sig.parameters.values():
            if param.kind is inspect.Parameter.VAR_KEYWORD and param.name in arguments:
                arguments.update(arguments.pop(param.name))
        return arguments

    P = inspect.Parameter
    for seed in range(3000):
        rnd = random.Random(seed)
        names = rnd.sample("abcde", 5)
        positional, keyword_only = rnd.randint(0, 3), rnd.randint(0, 2)
        params, defaulted = [], False
        for i in range(positional):
            defaulted = defaulted or rnd.random() < 0.3
            params.append(P(names[i], P.POSITIONAL_OR_KEYWORD, default=i if defaulted else P.empty))
        for i in range(positional, positional + keyword_only):
            params.append(P(names[i], P.KEYWORD_ONLY,
                            default=P.empty if rnd.random() < 0.5 else i))
        if rnd.random() < 0.4:
            params.append(P("kw", P.VAR_KEYWORD))
        sig = inspect.Signature(params)
        args = tuple(range(rnd.randint(0, 3)))
        kwargs = {k: k.upper() for k in rnd.sample(["a", "b", "c", "d", "kw", "x"],
                                                     rnd.randint(0, 3))}
        outcomes = []
        for binder in (reference, ts.bind):
            try:
                outcomes.append(list(binder(sig, args, kwargs).items()))
            except TypeError as exc:
                outcomes.append(str(exc))
        assert outcomes[0] == outcomes[1], (sig, args, kwargs)
