"""The package imports NumPy only, and the README's example runs."""
import subprocess
import sys


def test_import_ddim_ref_pulls_in_numpy_only():
    code = "import sys, ddim_ref; print(','.join(m for m in ('torch', 'matplotlib', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_bad_command_line_option_is_one_line_and_exit_code_2():
    for argv in (["tradeoff", "--num", "abc"], ["no-such-command"], ["tradeoff", "--bogus"]):
        done = subprocess.run([sys.executable, "-m", "ddim_ref", *argv], capture_output=True, text=True)
        assert done.returncode == 2, argv
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
