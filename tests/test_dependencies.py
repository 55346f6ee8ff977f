"""pyproject.toml and environment.yml must declare the same dependencies."""
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_deps():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})
    required, optional = {"python": SpecifierSet(project["requires-python"])}, {}
    for group, target in ((project["dependencies"], required), (extras.get("bench", []), optional)):
        for line in group:
            req = Requirement(line)
            target[norm(req.name)] = req.specifier
    return required, optional


def conda_deps():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps, pip = {}, []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip += item.get("pip", [])
            for line in item.get("pip", []):  # a requirement installed from PyPI counts as declared
                if not line.startswith("-"):
                    req = Requirement(line.split("#")[0].strip())
                    deps[norm(req.name)] = req.specifier
            continue
        m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", str(item))
        assert m, f"environment.yml: cannot read dependency {item!r}"
        name, spec = m.groups()
        if norm(name) != "pip":
            deps[norm(name)] = SpecifierSet(spec.replace(" ", ""))
    return env, deps, pip


def test_environment_yml_matches_pyproject():
    required, optional = pyproject_deps()
    _, conda, _ = conda_deps()
    problems = []
    for name in sorted(required.keys() - conda.keys()):
        problems.append(f"{name}: in pyproject.toml but missing from environment.yml")
    for name in sorted(conda.keys() - required.keys() - optional.keys()):
        problems.append(f"{name}: in environment.yml but missing from pyproject.toml's dependencies")
    for name in sorted(conda.keys() & (required.keys() | optional.keys())):
        ours = required.get(name, optional.get(name))
        if str(ours) != str(conda[name]):
            problems.append(f"{name}: pyproject.toml says {str(ours) or 'any'}, "
                            f"environment.yml says {str(conda[name]) or 'any'}")
    assert not problems, "dependency lists disagree:\n  " + "\n  ".join(problems)


def test_a_learners_environment_holds_no_test_tools():
    """Binder and `conda env create` are learners' installs: the test extra stays out of them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    test_tools = {norm(Requirement(line).name) for line in project["optional-dependencies"]["test"]}
    _, conda, _ = conda_deps()
    assert not test_tools & conda.keys(), f"test tools in environment.yml: {sorted(test_tools & conda.keys())}"


def test_environment_yml_installs_the_package_from_the_repo_root():
    env, _, pip = conda_deps()
    assert env.get("name") == "eventsim"
    assert "conda-forge" in env.get("channels", [])
    assert "-e ." in pip, "environment.yml needs `- pip: [-e .]` (Binder installs eventsim with it)"


def _check_copy(tmp_path, monkeypatch, env_text):
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "environment.yml").write_text(env_text)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    test_environment_yml_matches_pyproject()


def test_checker_names_a_package_missing_from_environment_yml(tmp_path, monkeypatch):
    text = (ROOT / "environment.yml").read_text()
    assert "  - immutables>=0.19\n" in text
    with pytest.raises(AssertionError, match="immutables: in pyproject.toml but missing from environment.yml"):
        _check_copy(tmp_path, monkeypatch, text.replace("  - immutables>=0.19\n", ""))


def test_checker_names_a_package_missing_from_pyproject(tmp_path, monkeypatch):
    text = (ROOT / "environment.yml").read_text()
    with pytest.raises(AssertionError, match="numba: in environment.yml but missing from pyproject.toml"):
        _check_copy(tmp_path, monkeypatch, text.replace("  - pip\n", "  - pip\n  - numba\n"))


def test_checker_names_a_differing_lower_bound(tmp_path, monkeypatch):
    text = (ROOT / "environment.yml").read_text()
    with pytest.raises(AssertionError, match="pandas: pyproject.toml says >=2, environment.yml says >=1"):
        _check_copy(tmp_path, monkeypatch, text.replace("  - pandas>=2\n", "  - pandas >=1\n"))
