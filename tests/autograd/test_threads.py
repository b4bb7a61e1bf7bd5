"""Modes and tracing belong to a thread (and an asyncio task), never to the process.

Each test forces the interleaving it is about with ``threading.Event`` s and
``threading.Barrier`` s: one thread enters a mode and waits inside it while
another works, so the outcome does not depend on the scheduler. No sleeps.
"""

from __future__ import annotations

import asyncio
import gc
import io
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

import nn
from autograd import (
    AnomalyError,
    TracedFloat,
    TraceError,
    Value,
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    trace,
)
from autograd import value as value_module

TIMEOUT = 30  # seconds; only reached when a test is broken (a thread never signals)


def start(fn: Callable[[], Any]) -> Future:
    """Run ``fn`` in a new thread; ``.result(TIMEOUT)`` gives its result or raises its exception."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(fn)
    pool.shutdown(wait=False)
    return future


def wait(event: threading.Event) -> None:
    assert event.wait(TIMEOUT), "the other thread never signalled"


def fast_path_is_back() -> bool:
    """Whether ops skip the mode lookup again: no mode state is alive in any thread or task."""
    gc.collect()  # a state kept only by a reference cycle (a finished task) is freed here
    return value_module._fast


def square_grad(x0: float = 3.0) -> float:
    x = Value(x0)
    (x * x).backward()
    return x.grad


# --------------------------------------------------------------------------- grad mode


def test_no_grad_in_one_thread_leaves_another_threads_gradients_alone():
    inside, release = threading.Event(), threading.Event()

    def in_no_grad():
        with no_grad():
            seen = is_grad_enabled(), (Value(2.0) * 3.0)._prev
            inside.set()
            wait(release)
            return seen

    worker = start(in_no_grad)
    wait(inside)
    try:
        assert is_grad_enabled()
        assert square_grad(3.0) == 6.0  # was 0.0 when no_grad leaked into this thread
        assert (Value(2.0) * 3.0)._prev != ()
    finally:
        release.set()
    enabled, prev = worker.result(TIMEOUT)
    assert enabled is False and prev == ()


def test_interleaved_enter_and_exit_leave_each_thread_its_own_mode():
    """A enters, B enters, A leaves, B leaves: with one global flag this left grad off for good."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    b_may_leave, a_may_leave = threading.Event(), threading.Event()

    def thread_a():
        with no_grad():
            a_in.set()
            wait(a_may_leave)
        a_out.set()
        return is_grad_enabled(), square_grad(2.0)

    def thread_b():
        wait(a_in)
        with no_grad():
            b_in.set()
            wait(b_may_leave)
            still_off = not is_grad_enabled()  # A has left its block by now
        return still_off, is_grad_enabled(), square_grad(5.0)

    a, b = start(thread_a), start(thread_b)
    wait(b_in)
    a_may_leave.set()
    wait(a_out)
    b_may_leave.set()
    assert a.result(TIMEOUT) == (True, 4.0)
    assert b.result(TIMEOUT) == (True, True, 10.0)
    assert is_grad_enabled() and square_grad(1.5) == 3.0
    assert fast_path_is_back()  # nobody is in a mode


def test_enable_grad_inside_no_grad_is_per_thread_too():
    inside, release = threading.Event(), threading.Event()

    def worker_fn():
        with no_grad(), enable_grad():
            inside.set()
            wait(release)
            return is_grad_enabled()

    with no_grad():
        worker = start(worker_fn)  # a new thread starts in the default modes, not in this block's
        wait(inside)
        assert not is_grad_enabled() and (Value(1.0) * 2.0)._prev == ()
        release.set()
    assert worker.result(TIMEOUT) is True


def test_the_fast_path_flag_is_off_exactly_while_some_thread_is_in_a_mode():
    inside, release = threading.Event(), threading.Event()

    def in_mode():
        with detect_anomaly():
            inside.set()
            wait(release)

    assert fast_path_is_back()
    worker = start(in_mode)
    wait(inside)
    assert not value_module._fast  # other threads now look their own modes up...
    assert not is_anomaly_enabled() and square_grad(2.0) == 4.0  # ...and find the defaults
    release.set()
    worker.result(TIMEOUT)
    assert fast_path_is_back()


# --------------------------------------------------------------------------- anomaly mode


def test_detect_anomaly_in_one_thread_does_not_raise_in_another():
    inside, release = threading.Event(), threading.Event()

    def in_anomaly_mode():
        with detect_anomaly():
            inside.set()
            wait(release)
            with pytest.raises(AnomalyError):
                Value(math.inf) - Value(math.inf)
            return is_anomaly_enabled()

    worker = start(in_anomaly_mode)
    wait(inside)
    try:
        assert not is_anomaly_enabled()
        out = Value(math.inf) - Value(math.inf)  # raised AnomalyError here while the mode leaked
        assert math.isnan(out.data) and out.site is None
    finally:
        release.set()
    assert worker.result(TIMEOUT) is True


# --------------------------------------------------------------------------- tracing


def test_tracing_in_one_thread_does_not_reach_another_thread():
    """While A traces, B's data stays float, B's comparisons and nodes stay B's."""
    mid_trace, b_done = threading.Event(), threading.Event()
    w = Value(0.5, label="w")
    b_node = Value(1.0, label="b")

    def traced(x):
        y = x * w
        mid_trace.set()
        wait(b_done)  # B works while this trace is open
        return y.relu() if x > 0 else y

    def thread_b():
        wait(mid_trace)
        try:
            read = b_node.data
            branch = b_node > 0.0  # a decision in A's tape before
            z = (b_node * w).tanh()
            z.backward()  # refused as "inside a traced function" before
            return type(read), branch, w.grad
        finally:
            b_done.set()

    b = start(thread_b)
    tape = trace(traced, [2.0])
    read_type, branch, w_grad = b.result(TIMEOUT)
    assert read_type is float and branch is True
    assert w_grad == pytest.approx(1.0 - math.tanh(0.5) ** 2)
    assert len(tape.decisions) == 1 and "%0 > 0.0" in tape.decisions[0].text
    assert tape.parameters == (w,)  # B's node is not A's parameter
    b_node.data = -1.0  # a later change in B does not break A's replay
    assert tape.forward(np.array([[2.0], [4.0]])).tolist() == [1.0, 2.0]


def test_two_threads_can_trace_at_the_same_time():
    both_inside = threading.Barrier(2, timeout=TIMEOUT)

    def f(x):
        y = x * 3.0
        both_inside.wait()  # each trace is open while the other records
        return (y.exp() if y.data < 1.0 else y) + x

    tapes = [start(lambda: trace(f, [0.1])), start(lambda: trace(f, [2.0]))]
    low, high = (t.result(TIMEOUT) for t in tapes)
    assert low.forward([[0.2]]).tolist() == pytest.approx([math.exp(0.6) + 0.2])
    assert high.forward([[1.0]]).tolist() == [4.0]
    assert [d.outcome for d in low.decisions] == [True]
    assert [d.outcome for d in high.decisions] == [False]


def test_a_traced_number_compared_in_another_thread_is_refused():
    numbers_read: list = []
    trace(lambda x: numbers_read.append(x.data) or x * 2.0, [1.0])
    assert isinstance(numbers_read[0], TracedFloat)
    worker = start(lambda: numbers_read[0] < 3.0)
    with pytest.raises(TraceError, match="outside the trace"):
        worker.result(TIMEOUT)


# --------------------------------------------------------------------------- asyncio tasks


def test_asyncio_tasks_have_their_own_modes():
    async def main():
        entered, release = asyncio.Event(), asyncio.Event()

        async def in_no_grad():
            with no_grad():
                entered.set()
                await release.wait()  # the other task runs while this one is inside
                return is_grad_enabled()

        task = asyncio.create_task(in_no_grad())
        await entered.wait()
        other = square_grad(4.0), is_grad_enabled()
        release.set()
        return other, await task

    (grad, enabled), inside = asyncio.run(main())
    assert grad == 8.0 and enabled is True and inside is False


def test_a_task_created_inside_no_grad_keeps_it_after_the_block_ends():
    async def main():
        release = asyncio.Event()

        async def child():
            await release.wait()
            return is_grad_enabled(), (Value(1.0) * 2.0)._prev

        with no_grad():
            task = asyncio.create_task(child())  # copies this context: grad off
        release.set()
        return await task

    enabled, prev = asyncio.run(main())
    assert enabled is False and prev == ()  # the fast path did not skip the task's mode
    assert fast_path_is_back()  # once the task is gone


# --------------------------------------------------------------------------- nn.summary


class _Blocking(nn.Module):
    """A layer whose forward signals and then waits: it holds a summary open mid-call."""

    def __init__(self, started: threading.Event, release: threading.Event) -> None:
        self.started, self.release = started, release
        self.linear = nn.Linear(2, 1, generator=0)

    def forward(self, x):
        self.started.set()
        wait(self.release)
        return self.linear(x)


def test_summary_in_one_thread_while_another_trains():
    started, release = threading.Event(), threading.Event()
    summarised = nn.Sequential(_Blocking(started, release), nn.Tanh())
    model = nn.MLP(2, [3, 1], generator=1)
    worker = start(lambda: nn.summary(summarised, 2, file=io.StringIO()))
    wait(started)
    try:
        for _ in range(3):  # training steps while the summary is open in the other thread
            model.zero_grad()
            loss = (model([0.3, -0.7]) - 1.0) ** 2
            loss.backward()
            assert any(p.grad != 0.0 for p in model.parameters())  # all zero when no_grad leaked
    finally:
        release.set()
    result = worker.result(TIMEOUT)
    assert [row[:2] for row in result["layers"]] == [("0", "_Blocking"), ("1", "Tanh")]
