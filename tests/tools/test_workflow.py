"""The README's path in one test: eas init → (serve, predict) → eas pack --upload → eas deploy
--dry-run → eas deploy, the cloud parts against the local OSS and control-plane stand-ins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eas_client.cli import main
from eas_client.testing import LocalRuntime

from .control_standin import ControlStandIn
from .oss_standin import OssStandIn

KEY_ID, SECRET = "LTAI5tWORKFLOW", "workflow-secret-never-printed"


def test_init_serve_pack_deploy_predict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    project = tmp_path / "my_service"
    assert main(["init", str(project)]) == 0
    with LocalRuntime(str(project / "app.py"), service="my-service") as rt:
        assert main(["predict", rt.endpoint, "-d", "2 105"]) == 0
    assert capsys.readouterr().out.endswith("True\n")
    with OssStandIn() as oss, ControlStandIn(key_id=KEY_ID, key_secret=SECRET, creating_polls=1) as cp:
        monkeypatch.setenv("OSS_ENDPOINT", oss.endpoint)
        monkeypatch.setenv("EAS_OPENAPI_ENDPOINT", cp.endpoint)
        package = tmp_path / "my-service.tar.gz"
        assert main(["pack", str(project), "--upload", "oss://my-bucket/eas/"]) == 0
        packed = project / "app.packed.json"
        assert main(["deploy", str(packed), "--region", "cn-test", "--dry-run"]) == 0
        assert cp.requests == []
        assert main(["deploy", str(packed), "--region", "cn-test", "--poll", "0.01"]) == 0
    assert oss.objects[("my-bucket", "eas/my-service.tar.gz")] == package.read_bytes()
    sent = json.loads(cp.requests[0][3])
    assert sent["name"] == "my-service"
    assert sent["processor_path"] == "oss://my-bucket/eas/my-service.tar.gz"
    out = capsys.readouterr()
    assert "running: http://1.cn-test.pai-eas.aliyuncs.com/api/predict/my-service" in out.out
    assert SECRET not in out.out + out.err
