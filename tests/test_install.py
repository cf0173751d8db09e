"""A built wheel (not the source checkout) finds its checklists and templates."""

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT


@pytest.mark.skipif(not (Path(sys.prefix) / "pyvenv.cfg").exists(), reason="needs to run inside a virtual environment")
def test_wheel_install_runs_check(tmp_path):
    wheel_dir, venv = tmp_path / "wheel", tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", wheel_dir, ROOT], check=True, capture_output=True)
    wheel = next(wheel_dir.glob("dipsample-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    # The dependencies come from the test environment; the package itself only from the wheel.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, wheel],
                   check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = ("import sys; from toolkit.cli import cli; "
            "sys.argv = ['dipsample', 'check', sys.argv[1], '--db', sys.argv[2], '--json']; cli()")
    r = subprocess.run([venv / "bin" / "python", "-c", code, CORPUS / "hartley-infants.html", tmp_path / "w.db"],
                       cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert '"GOV-03"' in r.stdout
    where = subprocess.run([venv / "bin" / "python", "-c", "import toolkit; print(toolkit.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True).stdout
    assert str(site) in where
