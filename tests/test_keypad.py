"""The rating keypad driver against its twin on a real pseudo-terminal: presses, noise,
unplugging and plugging back, and the twin's command line."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.rating_keypad import KeypadState, RatingKeypad
from devices.virtual_keypad import VirtualKeypad
from tests.support.processes import REPO_ROOT

WAIT = 20.0  # seconds: a bound for things that happen at once, never a measured time


class Recorder:
    """on_press and on_state of the driver, with a way to wait for what they receive."""

    def __init__(self) -> None:
        self.presses: list[tuple[int, float]] = []
        self.states: list[KeypadState] = []
        self._changed = threading.Condition()

    def press(self, level: int, at: float) -> None:
        with self._changed:
            self.presses.append((level, at))
            self._changed.notify_all()

    def state(self, state: KeypadState) -> None:
        with self._changed:
            self.states.append(state)
            self._changed.notify_all()

    def levels(self) -> list[int]:
        with self._changed:
            return [level for level, _ in self.presses]

    def wait(self, check: Callable[[], bool]) -> None:
        with self._changed:
            assert self._changed.wait_for(check, WAIT), (self.presses, self.states)


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[VirtualKeypad]:
    keypad = VirtualKeypad(tmp_path)
    yield keypad
    keypad.close()


def running(twin: VirtualKeypad, recorder: Recorder, buttons: int = 5) -> RatingKeypad:
    driver = RatingKeypad(
        twin.device_path, buttons=buttons, on_press=recorder.press, on_state=recorder.state
    )
    driver.start()
    recorder.wait(lambda: recorder.states == [KeypadState.CONNECTED])
    return driver


def test_each_press_arrives_once_in_order(twin: VirtualKeypad) -> None:
    recorder = Recorder()
    driver = running(twin, recorder)
    try:
        for button in (1, 2, 3, 4, 5, 1):
            twin.press(button)
        recorder.wait(lambda: len(recorder.presses) == 6)
        assert recorder.levels() == [1, 2, 3, 4, 5, 1]
        times = [at for _, at in recorder.presses]
        assert times == sorted(times)
    finally:
        driver.stop()
    assert driver.state is KeypadState.CONNECTED


def test_line_ends_and_noise_are_ignored(tmp_path: Path) -> None:
    twin = VirtualKeypad(tmp_path, line_end=b"\r\n")
    recorder = Recorder()
    driver = running(twin, recorder, buttons=3)
    try:
        twin.press(3)
        twin.send(b"x\x00\xff 0 9\n\r4")  # noise, and digits a 3-button keypad cannot send
        twin.press(5)
        twin.press(2)
        twin.send(b"\n1")
        recorder.wait(lambda: len(recorder.presses) == 3)
        assert recorder.levels() == [3, 2, 1]
    finally:
        driver.stop()
        twin.close()


def test_unplugged_and_plugged_back(twin: VirtualKeypad) -> None:
    recorder = Recorder()
    driver = running(twin, recorder)
    try:
        twin.press(2)
        recorder.wait(lambda: recorder.levels() == [2])
        twin.unplug()
        recorder.wait(lambda: recorder.states[-1] is KeypadState.DISCONNECTED)
        assert driver.state is KeypadState.DISCONNECTED
        twin.plug()
        recorder.wait(lambda: recorder.states[-1] is KeypadState.CONNECTED)
        twin.press(4)
        recorder.wait(lambda: recorder.levels() == [2, 4])
        assert recorder.states == [
            KeypadState.CONNECTED,
            KeypadState.DISCONNECTED,
            KeypadState.CONNECTED,
        ]
    finally:
        driver.stop()


def test_a_keypad_plugged_in_after_start(twin: VirtualKeypad) -> None:
    twin.unplug()
    recorder = Recorder()
    driver = RatingKeypad(
        twin.device_path, buttons=5, on_press=recorder.press, on_state=recorder.state
    )
    driver.start()
    try:
        recorder.wait(lambda: recorder.states == [KeypadState.DISCONNECTED])
        twin.plug()
        recorder.wait(lambda: recorder.states[-1] is KeypadState.CONNECTED)
        twin.press(1)
        recorder.wait(lambda: recorder.levels() == [1])
    finally:
        driver.stop()


def test_a_failing_press_handler_does_not_stop_the_reader(twin: VirtualKeypad) -> None:
    recorder = Recorder()

    def handler(level: int, at: float) -> None:
        if level == 3:
            raise RuntimeError("a bug in the screen")
        recorder.press(level, at)

    driver = RatingKeypad(twin.device_path, buttons=5, on_press=handler, on_state=recorder.state)
    driver.start()
    try:
        recorder.wait(lambda: recorder.states == [KeypadState.CONNECTED])
        for button in (3, 1):
            twin.press(button)
        recorder.wait(lambda: recorder.levels() == [1])
    finally:
        driver.stop()


def test_the_twin_alone_turns_lines_into_presses() -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "devices.virtual_keypad", "--crlf"],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    try:
        path = child.stdout.readline().strip()
        recorder = Recorder()
        driver = RatingKeypad(path, buttons=5, on_press=recorder.press, on_state=recorder.state)
        driver.start()
        recorder.wait(lambda: recorder.states == [KeypadState.CONNECTED])
        child.stdin.write("2\nhello\n5\n")
        child.stdin.flush()
        recorder.wait(lambda: recorder.levels() == [2, 5])
        driver.stop()
    finally:
        child.stdin.close()
        assert child.wait(WAIT) == 0
    assert "ignored 'hello'" in child.stderr.read()
    child.stderr.close()
    child.stdout.close()
