"""`eas deploy/status/delete` through the official EAS SDK against a control-plane stand-in on
127.0.0.1: the spec sent, waiting for Running, error mapping, and no secret in any output."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from eas_client.cli import main

from .control_standin import ControlStandIn

KEY_ID, SECRET, STS = "LTAI5tTESTKEYID", "s3cr3t-VALUE-never-printed", "sts-TOKEN-never-printed"
SERVICE = {
    "name": "demo-svc",
    "processor_entry": "./app.py",
    "processor_type": "python",
    "processor_path": "oss://models/demo/demo.tar.gz",
    "token": "SERVICE-TOKEN-secret",
    "metadata": {"instance": 1, "cpu": 1, "memory": 2000},
}
SECRETS = (SECRET, STS, "SERVICE-TOKEN-secret")


@pytest.fixture
def app_json(tmp_path: Path) -> Path:
    path = tmp_path / "app.packed.json"
    path.write_text(json.dumps({**SERVICE, "region": "cn-test"}))
    return path


@pytest.fixture(autouse=True)
def cloud_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", STS)
    monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.delenv("ALIBABA_CLOUD_REGION_ID", raising=False)


def _no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_deploy_sends_the_spec_waits_for_running_and_says_how_to_call(
    app_json: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    with ControlStandIn(key_id=KEY_ID, key_secret=SECRET, creating_polls=2) as cp:
        monkeypatch.setenv("EAS_OPENAPI_ENDPOINT", cp.endpoint)
        assert main(["deploy", str(app_json), "--poll", "0.01"]) == 0
        assert main(["status", "demo-svc", "--region", "cn-test"]) == 0
        assert main(["delete", "demo-svc", "--region", "cn-test"]) == 0
    method, path, headers, body = cp.requests[0]
    assert (method, path) == ("POST", "/api/v2/services")
    assert json.loads(body) == SERVICE  # the description as written, without the local-only region
    assert headers["x-acs-action"] == "CreateService" and headers["x-acs-version"] == "2021-07-01"
    assert headers["x-acs-security-token"] == STS
    assert headers["authorization"].startswith(f"ACS3-HMAC-SHA256 Credential={KEY_ID},")
    assert [(m, p) for m, p, _, _ in cp.requests[1:]] == [
        ("GET", "/api/v2/services/cn-test/demo-svc")
    ] * 4 + [("DELETE", "/api/v2/services/cn-test/demo-svc")]
    assert cp.services == {}
    out = capsys.readouterr()
    url = "http://1.cn-test.pai-eas.aliyuncs.com/api/predict/demo-svc"
    assert out.out.splitlines()[:4] == [
        "creating demo-svc in cn-test (service id eas-m-1)",
        "  Creating: 0/1 instances running",
        "  Running: 1/1 instances running",
        f"running: {url}",
    ]
    assert f'curl -H "Authorization: $EAS_TOKEN" {url} -d "2 105"' in out.out
    assert f'EasClient.create("{url}"' in out.out and f'eas.NewClient("{url}"' in out.out
    assert "demo-svc: Running (1/1 running)" in out.out and "deleted demo-svc" in out.out
    _no_secret(out.out + out.err + caplog.text)


@pytest.mark.parametrize(
    ("fail", "message"),
    [
        (
            (400, "ServiceAlreadyExists"),
            "service 'demo-svc' already exists (ServiceAlreadyExists); pick another name, or "
            "`eas delete demo-svc` first",
        ),
        ((400, "QuotaExceeded"), "not enough quota or resources (QuotaExceeded): "),
        ((403, "Forbidden.RAM"), "the account may not do this (Forbidden.RAM)"),
    ],
)
def test_control_plane_errors_become_clear_messages(
    app_json: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    fail: tuple[int, str], message: str,
) -> None:  # fmt: skip
    with ControlStandIn(key_id=KEY_ID, key_secret=SECRET, fail_create=fail) as cp:
        monkeypatch.setenv("EAS_OPENAPI_ENDPOINT", cp.endpoint)
        assert main(["deploy", str(app_json), "--poll", "0.01"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"eas deploy: {message}") and err.count("\n") == 1, err
    _no_secret(err)


def test_a_second_create_of_the_same_name_says_it_exists(
    app_json: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ControlStandIn(key_id=KEY_ID, key_secret=SECRET, creating_polls=0) as cp:
        monkeypatch.setenv("EAS_OPENAPI_ENDPOINT", cp.endpoint)
        assert main(["deploy", str(app_json)]) == 0
        assert main(["deploy", str(app_json)]) == 1
    assert "eas deploy: service 'demo-svc' already exists (ServiceAlreadyExists)" in capsys.readouterr().err


def test_refused_credentials_say_which_variables_to_check(
    app_json: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ControlStandIn(key_id=KEY_ID, key_secret="another-secret") as cp:
        monkeypatch.setenv("EAS_OPENAPI_ENDPOINT", cp.endpoint)
        assert main(["deploy", str(app_json)]) == 1
        assert main(["status", "demo-svc", "--region", "cn-test"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "eas deploy: the credentials were refused (InvalidAccessKeyId.NotFound); "
        "check ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET\n"
        "eas status: the credentials were refused (InvalidAccessKeyId.NotFound); "
        "check ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET\n"
    )


def test_status_of_an_unknown_service(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ControlStandIn(key_id=KEY_ID, key_secret=SECRET) as cp:
        monkeypatch.setenv("EAS_OPENAPI_ENDPOINT", cp.endpoint)
        assert main(["status", "nope", "--region", "cn-test"]) == 1
    assert capsys.readouterr().err == (
        "eas status: service 'nope' not found in this region (ServiceNotFound); check the name and --region\n"
    )


def test_dry_run_prints_the_request_with_secrets_masked_and_sends_nothing(
    app_json: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ControlStandIn(key_id=KEY_ID, key_secret=SECRET) as cp:
        monkeypatch.setenv("EAS_OPENAPI_ENDPOINT", cp.endpoint)
        assert main(["deploy", str(app_json), "--dry-run"]) == 0
    assert cp.requests == []
    out = capsys.readouterr()
    head, _, body = out.out.partition("\n\n")
    assert head.splitlines() == [
        f"POST {cp.endpoint}/api/v2/services",
        "x-acs-action: CreateService",
        "x-acs-version: 2021-07-01",
        "Authorization: ACS3-HMAC-SHA256 Credential=LTAI***,SignedHeaders=...,Signature=<signature>",
        "x-acs-security-token: ***",
        "Content-Type: application/json",
    ]
    assert json.loads(body) == {**SERVICE, "token": "***"}
    _no_secret(out.out + out.err)


def test_dry_run_needs_no_credentials_and_names_the_region_fix(
    app_json: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
    monkeypatch.delenv("EAS_OPENAPI_ENDPOINT", raising=False)
    assert main(["deploy", str(app_json), "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith("POST https://pai-eas.cn-test.aliyuncs.com/api/v2/services\n")
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(SERVICE))
    assert main(["deploy", str(bare), "--dry-run"]) == 1
    assert "eas deploy: no region: pass --region (e.g. cn-shanghai)" in capsys.readouterr().err
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps({**SERVICE, "metadata": {"region": "cn-beijing", "instance": 1}}))
    assert main(["deploy", str(nested), "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith(
        "POST https://pai-eas.cn-beijing.aliyuncs.com/api/v2/services\n"
    )


def test_a_placeholder_processor_path_points_at_eas_pack_upload(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "app.json"
    path.write_text(json.dumps({**SERVICE, "processor_path": "oss://<bucket>/demo/demo.tar.gz"}))
    assert main(["deploy", str(path), "--region", "cn-test"]) == 1
    assert "upload the package first (`eas pack DIR --upload oss://bucket/prefix/`" in capsys.readouterr().err
