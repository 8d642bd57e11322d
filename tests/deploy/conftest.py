"""Fixtures for the deployment checks: the stage config, the templates and the deploy scripts.

Nothing here needs an AWS account: the scripts are loaded as modules and driven with botocore's
Stubber or an in-process moto; `chalice package` runs offline in test_package.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHALICE_DIR = ROOT / ".chalice"
STAGES = ("dev", "prod", "prod-cn")
# partition of each deployed stage (prod-cn runs in the AWS China regions)
PARTITION = {"dev": "aws", "prod": "aws", "prod-cn": "aws-cn"}
FUNCTIONS = ("api_handler", "photo_check", "photo_prepare", "token_authorizer")
BIN = Path(sys.executable).parent  # the venv's console scripts: chalice, cfn-lint


def _load(path: Path) -> ModuleType:
    name = f"_deploy_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def build_stack() -> ModuleType:
    return _load(ROOT / "infra" / "build_stack.py")


@pytest.fixture(scope="session")
def policies() -> ModuleType:
    return _load(ROOT / "infra" / "policies.py")


@pytest.fixture(scope="session")
def record_outputs() -> ModuleType:
    return _load(ROOT / "scripts" / "record_outputs.py")


@pytest.fixture(scope="session")
def deploy_frontend() -> ModuleType:
    return _load(ROOT / "scripts" / "deploy_frontend.py")


@pytest.fixture(scope="session")
def post_deploy() -> ModuleType:
    return _load(ROOT / "scripts" / "post_deploy.py")


@pytest.fixture(scope="session")
def chalice_config() -> dict[str, Any]:
    return json.loads((CHALICE_DIR / "config.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def resources(build_stack: ModuleType) -> dict[str, Any]:
    return build_stack.load_template(ROOT / "infra" / "resources.yaml")


@pytest.fixture(scope="session")
def overlay(build_stack: ModuleType) -> dict[str, Any]:
    return build_stack.load_template(ROOT / "infra" / "chalice-overlay.yaml")


@contextmanager
def offline_package_env(config: dict[str, Any], stage: str) -> Iterator[None]:
    """The environment of a package run: no AWS credentials or profile, none of the test
    suite's app settings (app.py reads PHOTO_QUEUE at import) and no captcha bypass."""
    app_vars = {k for fn in FUNCTIONS for k in function_env(config, stage, fn)}
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in app_vars and k != "CAPTCHA_TEST_CODE"}
    env.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true"})
    with mock.patch.dict(os.environ, env, clear=True):
        yield


def policy_file(config: dict[str, Any], stage: str, function: str) -> str:
    """The policy file Chalice uses for `function` in `stage` (same lookup order as Chalice)."""
    stage_cfg = config["stages"][stage]
    fn_cfg = (stage_cfg.get("lambda_functions") or {}).get(function, {})
    return fn_cfg.get("iam_policy_file") or stage_cfg.get("iam_policy_file") \
        or config.get("iam_policy_file") or f"policy-{stage}.json"


def function_env(config: dict[str, Any], stage: str, function: str) -> dict[str, str]:
    """The environment Chalice gives `function` in `stage` (global, then stage, then function)."""
    stage_cfg = config["stages"][stage]
    fn_cfg = (stage_cfg.get("lambda_functions") or {}).get(function, {})
    return {**config.get("environment_variables", {}), **stage_cfg.get("environment_variables", {}),
            **fn_cfg.get("environment_variables", {})}


def function_setting(config: dict[str, Any], stage: str, function: str, key: str) -> Any:
    stage_cfg = config["stages"][stage]
    fn_cfg = (stage_cfg.get("lambda_functions") or {}).get(function, {})
    for level in (fn_cfg, stage_cfg, config):
        if key in level:
            return level[key]
    return None


def load_policy(name: str) -> dict[str, Any]:
    return json.loads((CHALICE_DIR / name).read_text(encoding="utf-8"))
