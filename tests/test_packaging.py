"""A plain `pip install .` works: the wheel carries the prompts, the seed feed list and the
sample feeds, and the installed `newsbot` answers from them outside the checkout.

The wheel is built from a copy of the sources and installed without its dependencies into a
fresh virtual environment, which borrows the test environment's installed packages through
a .pth file (nothing is downloaded). The child sees neither the checkout nor PYTHONPATH,
nor the offline variables the test session sets: the product sets those itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from newsbot.offline import OFFLINE_ENV

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["newsbot", "ingest", "bot", "cli"]  # the packages pyproject.toml installs
LMR19_OUTLETS = {"biowire_daily", "immune_frontier_news"}

# about 20 s on an idle machine once the session's model export exists (2 min under load)
pytestmark = [pytest.mark.wheel, pytest.mark.timeout(600)]


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False,
                          **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout}\n{done.stderr}"
    return done


def build_wheel(tmp_path: Path) -> Path:
    """The wheel of a copy of the sources, so the build writes nothing into the checkout."""
    source = tmp_path / "source"
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SHIPPED:
        shutil.copytree(ROOT / name, source / name, ignore=junk)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(dist), str(source)])
    (wheel,) = dist.glob("newsbot-*.whl")
    return wheel


def fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A new environment with the wheel installed; dependencies come from the test venv."""
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    (Path(site.stdout.strip()) / "borrowed_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--no-index", str(wheel)])
    return venv


def outside_env(tmp_path: Path, model_cache: Path) -> dict[str, str]:
    skip = {"PYTHONPATH", "DISCORD_TOKEN", "OPENAI_API_KEY", *OFFLINE_ENV}
    env = {k: v for k, v in os.environ.items() if k not in skip and not k.startswith("NEWSBOT_")}
    env.update({
        "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
        "NEWSBOT_REGISTRY__BASE_URL": "http://0.0.0.0:9/api/v2",  # no registry in tests
        "NEWSBOT_MODEL_CACHE_DIR": str(model_cache),  # the session's one ONNX export
        "NEWSBOT_FETCH_ARTICLE_PAGES": "false",  # the sample outlets are fictional
        "NEWSBOT_NOW": "2026-11-26T12:00:00Z",
    })
    return env


def test_installed_wheel_answers_from_its_bundled_sample_feeds(tmp_path: Path,
                                                               model_cache: Path) -> None:
    venv = fresh_venv(tmp_path, build_wheel(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = outside_env(tmp_path, model_cache)
    probe = run([str(venv / "bin" / "python"), "-c", (
        "import json, newsbot; from newsbot.data import data_path; "
        "from newsbot.prompts import prompt_path, render, template_variables as names; "
        "from newsbot.settings import Settings; s = Settings(); "
        "print(json.dumps({'package': newsbot.__file__, "
        "'feeds': [str(p) for p in sorted(s.storage.sample_feeds_dir.glob('*.xml'))], "
        "'seed': s.storage.feeds_file.read_text(), 'prompt': str(prompt_path('answer_system')), "
        "'prompt_text': render('answer_system', **dict.fromkeys(names('answer_system'), 'x'))}))"
    )], cwd=elsewhere, env=env)
    found = json.loads(probe.stdout)
    installed = venv.resolve()
    assert Path(found["package"]).resolve().is_relative_to(installed)  # not the checkout
    assert len(found["feeds"]) == 7
    assert all(Path(f).resolve().is_relative_to(installed) for f in found["feeds"])
    assert "[[feeds]]" in found["seed"]
    assert Path(found["prompt"]).resolve().is_relative_to(installed) and found["prompt_text"]

    newsbot = str(venv / "bin" / "newsbot")
    # the two outlets that report LMR-19: enough for a real answer, half the embedding work
    feeds = [f for f in found["feeds"] if Path(f).stem in LMR19_OUTLETS]
    ingest = run([newsbot, "ingest", "--json", *feeds], cwd=elsewhere, env=env)
    assert "Traceback" not in ingest.stderr
    report = json.loads(ingest.stdout)
    assert report["status"] == "ok" and report["totals"]["new"] >= 2
    assert report["totals"]["errors"] == 0
    asked = run([newsbot, "ask", "--json", "What happened with LMR-19 in lupus nephritis?"],
                cwd=elsewhere, env=env)
    answer = json.loads(asked.stdout)
    assert answer["found"] and answer["mode"] == "extractive"
    assert any("LMR-19" in s["title"] for s in answer["sources"])
    statements = [s for section in answer["sections"].values() for s in section]
    assert statements and "Traceback" not in asked.stderr
    assert not (elsewhere / "data").exists()  # the data went where NEWSBOT_DATA_DIR said
