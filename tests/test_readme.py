"""The README's Python tour runs as written (it is the first thing a user tries)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_tour_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python block"
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    assert namespace["mel"].shape == (1, 80, 774)
    assert namespace["fbank"].shape == (772, 80)
    assert (tmp_path / "augmented.flac").exists()


def test_readme_shows_both_setup_commands():
    text = README.read_text()
    assert "make demo" in text and "make test" in text
