"""The package imports NumPy only, and the README's example runs."""
import subprocess
import sys


def test_import_ddim_ref_pulls_in_numpy_only():
    code = "import sys, ddim_ref; print(','.join(m for m in ('torch', 'matplotlib', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
