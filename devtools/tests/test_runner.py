import io
import os
import signal
import subprocess
import sys
import textwrap
import time

from conftest import process_gone, wait_until_gone

from ticketing_devtools.runner import ProcessSpec, Runner


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def test_prefixed_output_and_a_failure_stops_the_others(tmp_path):
    ready = tmp_path / "ready"
    pid_file = tmp_path / "sleeper.pid"
    sleeper = python(f"""
        import os, pathlib, time
        print("first line", flush=True)
        print("second line", flush=True)
        pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))
        pathlib.Path({str(ready)!r}).touch()
        time.sleep(60)
    """)
    # Fails only once the sleeper has printed, so the test does not race it.
    failing = python(f"""
        import pathlib, sys, time
        deadline = time.monotonic() + 10
        while not pathlib.Path({str(ready)!r}).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        print("giving up", flush=True)
        sys.exit(3)
    """)
    out = io.StringIO()
    started = time.monotonic()

    code = Runner(
        [ProcessSpec("sleeper", sleeper), ProcessSpec("fails", failing)], out=out, stop_timeout=5
    ).run()

    assert code != 0
    assert time.monotonic() - started < 15
    lines = out.getvalue().splitlines()
    assert "sleeper | first line" in lines
    assert "sleeper | second line" in lines
    assert "fails   | giving up" in lines
    assert any("fails exited with code 3" in line for line in lines)
    assert process_gone(int(pid_file.read_text()))


def test_environment_and_working_directory_are_passed(tmp_path):
    out = io.StringIO()
    spec = ProcessSpec(
        "env",
        python("import os; print(os.getcwd(), os.environ['GREETING'])"),
        cwd=tmp_path,
        env={**os.environ, "GREETING": "hello"},
    )

    Runner([spec], out=out).run()

    assert f"env | {tmp_path} hello" in out.getvalue().splitlines()


def test_a_process_ignoring_sigterm_is_killed(tmp_path):
    pid_file = tmp_path / "stubborn.pid"
    stubborn = python(f"""
        import os, pathlib, signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))
        time.sleep(60)
    """)
    quitter = python(f"""
        import pathlib, time
        deadline = time.monotonic() + 10
        while not pathlib.Path({str(pid_file)!r}).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    """)
    out = io.StringIO()

    code = Runner(
        [ProcessSpec("stubborn", stubborn), ProcessSpec("quitter", quitter)],
        out=out,
        stop_timeout=0.5,
    ).run()

    assert code != 0
    assert "stubborn did not stop" in out.getvalue()
    assert process_gone(int(pid_file.read_text()))


def test_a_process_that_cannot_start_stops_the_ones_started(tmp_path):
    pid_file = tmp_path / "first.pid"
    first = python(f"""
        import os, pathlib, time
        pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))
        time.sleep(60)
    """)
    out = io.StringIO()

    code = Runner(
        [ProcessSpec("first", first), ProcessSpec("missing", [str(tmp_path / "no-such-program")])],
        out=out,
    ).run()

    assert code != 0
    assert "cannot start missing" in out.getvalue()
    if pid_file.exists():  # it may have been stopped before it got that far
        assert wait_until_gone(int(pid_file.read_text()), timeout=5)


RUNNER_SCRIPT = """
import sys
from ticketing_devtools.runner import ProcessSpec, Runner

child = '''
import subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print("pids", __import__("os").getpid(), grandchild.pid, flush=True)
time.sleep(60)
'''
sys.exit(Runner([ProcessSpec("child", [sys.executable, "-c", child])], stop_timeout=5).run())
"""


def test_sigterm_stops_children_and_grandchildren():
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER_SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        pids = None
        deadline = time.monotonic() + 10
        while pids is None and time.monotonic() < deadline:
            line = runner.stdout.readline()
            if "pids" in line:
                pids = [int(word) for word in line.split("pids", 1)[1].split()]
        assert pids is not None, "the child never reported its pid"

        runner.send_signal(signal.SIGTERM)
        output, _ = runner.communicate(timeout=10)

        assert runner.returncode == 0, output
        assert "stopping" in output
        for pid in pids:
            assert wait_until_gone(pid, timeout=5), f"process {pid} outlived the runner"
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()


def test_the_processes_after_one_with_a_readiness_check_start_once_it_is_ready(tmp_path):
    ready = tmp_path / "ready"
    slow = python(f"""
        import pathlib, time
        time.sleep(0.5)
        pathlib.Path({str(ready)!r}).touch()
        time.sleep(60)
    """)
    dependent = python(f"""
        import pathlib
        print("ready seen" if pathlib.Path({str(ready)!r}).exists() else "too early", flush=True)
    """)
    out = io.StringIO()

    Runner(
        [ProcessSpec("slow", slow, ready=ready.exists), ProcessSpec("dependent", dependent)],
        out=out,
        stop_timeout=5,
    ).run()

    assert "dependent | ready seen" in out.getvalue().splitlines()


def test_one_that_exits_before_it_is_ready_stops_the_start(tmp_path):
    started = tmp_path / "started"
    out = io.StringIO()

    code = Runner(
        [
            ProcessSpec("broken", python("import sys; sys.exit(4)"), ready=lambda: False),
            ProcessSpec("never", python(f"open({str(started)!r}, 'w')")),
        ],
        out=out,
    ).run()

    assert code != 0
    assert "broken exited with code 4; stopping" in out.getvalue()
    assert not started.exists()


def test_one_that_is_not_ready_in_time_stops_the_start(tmp_path):
    started = tmp_path / "started"
    out = io.StringIO()
    sleeper = python("import time; time.sleep(60)")

    code = Runner(
        [
            ProcessSpec("stuck", sleeper, ready=lambda: False, ready_timeout=0.3),
            ProcessSpec("never", python(f"open({str(started)!r}, 'w')")),
        ],
        out=out,
        stop_timeout=5,
    ).run()

    assert code != 0
    assert "stuck was not ready within 0.3s; stopping" in out.getvalue()
    assert not started.exists()
