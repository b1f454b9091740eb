"""`eas pack`: validation with one-line errors, byte-identical packages, and uploads through the
official OSS SDK to a stand-in on 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import tarfile
from pathlib import Path

import pytest

from eas_client.cli import main

from .oss_standin import OssStandIn

APP = (
    "import allspark\n\n\nclass MyProcessor(allspark.BaseProcessor):\n"
    "    def process(self, data):\n        return data, 200\n\n\n"
    "if __name__ == '__main__':\n    MyProcessor().run()\n"
)
KEY_ID, SECRET, STS = "LTAI5tTESTKEYID", "s3cr3t-VALUE-never-printed", "sts-TOKEN-never-printed"


def _app_json(**over: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "name": "demo-svc",
        "processor_entry": "./app.py",
        "processor_type": "python",
        "metadata": {"instance": 1, "cpu": 1, "memory": 2000},
    }
    doc.update(over)
    return doc


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    (root / "lib").mkdir(parents=True)
    (root / "app.py").write_text(APP)
    (root / "app.json").write_text(json.dumps(_app_json()))
    (root / "lib" / "model.txt").write_text("weights\n")
    (root / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(root / "run.sh", 0o775)
    for junk in ("ENV/bin/python", ".git/HEAD", "__pycache__/app.cpython-311.pyc", "lib/x.pyc"):
        (root / junk).parent.mkdir(parents=True, exist_ok=True)
        (root / junk).write_text("junk")
    return root


def test_two_packs_are_byte_identical_and_leave_out_env_git_and_caches(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    assert main(["pack", str(project), "-o", str(first)]) == 0
    os.utime(project / "app.py", (1, 1))  # a touched file must not change the bytes
    assert main(["pack", str(project), "-o", str(second)]) == 0
    data = first.read_bytes()
    assert data == second.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    out = capsys.readouterr().out
    assert f"  size {len(data)} bytes, sha256 {digest}\n" in out
    assert data[4:8] == b"\0\0\0\0"  # gzip header mtime
    with tarfile.open(first) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["app.json", "app.py", "lib/model.txt", "run.sh"]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(946684800, 0, 0, "", "")}
    assert [oct(m.mode) for m in members] == ["0o644", "0o644", "0o644", "0o755"]


def test_include_packs_a_directory_left_out_by_default(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "env.tar.gz"
    assert main(["pack", str(project), "-o", str(out), "--include", "ENV", "--no-check"]) == 0
    with tarfile.open(out) as tar:
        assert "ENV/bin/python" in tar.getnames()
        assert not any(n.startswith(".git") for n in tar.getnames())


def test_the_default_output_is_name_tar_gz_beside_the_directory(project: Path) -> None:
    assert main(["pack", str(project), "--no-check"]) == 0
    assert gzip.decompress((project.parent / "demo-svc.tar.gz").read_bytes())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, '"name" is missing or empty; add "name": "<service name>"'),
        ({"processor_type": "cpp"}, '"processor_type" is \'cpp\'; eas pack packs "python" processors'),
        ({"processor_entry": "./main.py"}, "processor_entry './main.py' is not a file in"),
        ({"metadata": {"instance": 1, "cpu": "2", "memory": 2000}}, "metadata.cpu must be a positive whole"),
        ({"metadata": None}, '"metadata" is missing; add "metadata"'),
    ],
)
def test_a_bad_app_json_gets_one_line_naming_the_fix(
    project: Path, change: dict[str, object], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "app.json").write_text(json.dumps(_app_json(**change)))
    assert main(["pack", str(project), "--no-check"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("eas pack: ") and message in err and err.count("\n") == 1, err


def test_a_missing_or_broken_app_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "app.json").write_text("{")
    assert main(["pack", str(project)]) == 1
    assert "app.json is not valid JSON" in capsys.readouterr().err
    (project / "app.json").unlink()
    assert main(["pack", str(project)]) == 1
    assert (
        capsys.readouterr().err
        == f"eas pack: {project}/app.json is missing; create it with `eas init {project}` or write one\n"
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n", "must define exactly one allspark.BaseProcessor subclass (found: none)"),
        (
            APP + "\nclass Other(MyProcessor):\n    pass\n",
            "must define exactly one allspark.BaseProcessor subclass (found: MyProcessor, Other)",
        ),
        ("import no_such_module_here\n", "./app.py fails to import: ModuleNotFoundError: No module named"),
    ],
)
def test_a_bad_processor_gets_one_line_naming_the_fix(
    project: Path, source: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "app.py").write_text(source)
    assert main(["pack", str(project)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("eas pack: ") and message in err and err.count("\n") == 1, err


@pytest.fixture
def cloud_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.delenv("OSS_ENDPOINT", raising=False)
    monkeypatch.delenv("ALIBABA_CLOUD_REGION_ID", raising=False)


def test_upload_puts_the_exact_bytes_and_writes_processor_path_into_a_copy(
    project: Path, tmp_path: Path, cloud_env: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", STS)
    pkg = tmp_path / "demo.tar.gz"
    with OssStandIn() as oss:
        monkeypatch.setenv("OSS_ENDPOINT", oss.endpoint)
        assert main(["pack", str(project), "-o", str(pkg), "--upload", "oss://models/demo/"]) == 0
    data = pkg.read_bytes()
    assert oss.objects == {("models", "demo/demo.tar.gz"): data}
    assert (
        hashlib.sha256(oss.objects["models", "demo/demo.tar.gz"]).hexdigest()
        == hashlib.sha256(data).hexdigest()
    )
    ((method, _, headers),) = oss.requests
    assert method == "PUT" and headers["authorization"].startswith(f"OSS {KEY_ID}:")
    assert headers["x-oss-security-token"] == STS
    copy = json.loads((project / "app.packed.json").read_text())
    assert copy == {**_app_json(), "processor_path": "oss://models/demo/demo.tar.gz"}
    assert "processor_path" not in json.loads((project / "app.json").read_text())
    captured = capsys.readouterr()
    assert "uploaded -> oss://models/demo/demo.tar.gz\n" in captured.out
    # The SDK logged at DEBUG, and none of it is a secret. Records, not caplog.text: a library
    # imported earlier in the same process (Ray) may change the handler's format.
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert any(r.name.startswith("oss2") for r in caplog.records), logged
    for secret in (SECRET, STS):
        assert secret not in captured.out + captured.err + caplog.text + logged


def test_a_large_package_goes_up_in_parts_with_progress(
    tmp_path: Path, cloud_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from eas_client.tools.oss_upload import upload_file

    blob = tmp_path / "big.tar.gz"
    blob.write_bytes(os.urandom(250_000))
    with OssStandIn() as oss:
        monkeypatch.setenv("OSS_ENDPOINT", oss.endpoint)
        url = upload_file(blob, "oss://models/x/big.tar.gz", multipart_threshold=100_000, part_size=100_000)
    assert url == "oss://models/x/big.tar.gz"
    assert oss.objects[("models", "x/big.tar.gz")] == blob.read_bytes()
    methods = [(m, p.split("?", 1)[1] if "?" in p else "") for m, p, _ in oss.requests]
    assert [m for m, _ in methods] == ["POST", "PUT", "PUT", "PUT", "POST"]
    assert "100%" in capsys.readouterr().err


def test_refused_credentials_get_a_clear_message_without_the_secret(
    project: Path, tmp_path: Path, cloud_env: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    with OssStandIn(refuse="InvalidAccessKeyId") as oss:
        monkeypatch.setenv("OSS_ENDPOINT", oss.endpoint)
        code = main(
            ["pack", str(project), "--no-check", "-o", str(tmp_path / "p.tgz"), "--upload", "oss://models/"]
        )
    assert code == 1
    err = capsys.readouterr().err
    assert err.endswith(
        "eas pack: OSS refused the credentials (InvalidAccessKeyId); "
        "check ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET\n"
    )
    assert SECRET not in err


def test_upload_without_credentials_says_where_they_are_looked_for(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for var in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", str(tmp_path / "none"))
    assert (
        main(["pack", str(project), "--no-check", "-o", str(tmp_path / "p.tgz"), "--upload", "oss://models/"])
        == 1
    )
    assert (
        "eas pack: no Alibaba Cloud credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID" in capsys.readouterr().err
    )


def test_a_bad_bucket_name_is_named(
    project: Path, tmp_path: Path, cloud_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "pack",
                str(project),
                "--no-check",
                "-o",
                str(tmp_path / "p.tgz"),
                "--upload",
                "oss://B_/x/",
                "--region",
                "cn-hangzhou",
            ]
        )
        == 1
    )
    assert "'B_' is not a valid OSS bucket name" in capsys.readouterr().err
