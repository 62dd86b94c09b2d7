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


def _python_blocks(text):
    blocks, inside, lines = [], False, []
    for line in text.splitlines():
        if line.strip() == "```python":
            inside, lines = True, []
        elif line.strip() == "```" and inside:
            inside = False
            blocks.append("\n".join(lines))
        elif inside:
            lines.append(line)
    return blocks


def test_the_readmes_numpy_examples_run():
    """Every README python block that needs no torch runs as written (a fresh interpreter each)."""
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    blocks = [b for b in _python_blocks(readme) if "torch" not in b]
    assert len(blocks) >= 2
    for block in blocks:
        done = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
