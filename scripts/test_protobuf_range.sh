#!/usr/bin/env bash
# Run tests/payloads under the lowest (4.21.12) and the newest protobuf runtime we support.
#
# Each runtime gets its own venv under .venv-pb/ (created once, then reused: a stamp file records
# what was installed, so a re-run only runs the tests). Delete .venv-pb/ to start over, or set
# PB_REFRESH=1 to re-resolve "newest" against the registry.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
ROOT_DIR="${PB_VENV_DIR:-.venv-pb}"
LOWEST="4.21.12"
DEPS=(-e ".[numpy,server,httpx,urllib3]" "pytest>=8,<10" "pytest-asyncio>=0.23,<2" "hypothesis>=6,<7" "respx>=0.21,<1")

setup() {  # setup NAME PROTOBUF_SPEC
    local venv="$ROOT_DIR/$1" spec="$2"
    local stamp="$venv/.stamp" want
    want="$spec $(sha256sum pyproject.toml | cut -c1-16)"
    if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" && -z "${PB_REFRESH:-}" ]]; then
        return
    fi
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q "${DEPS[@]}"
    # protobuf last, so the package's own requirement cannot move it.
    "$venv/bin/python" -m pip install -q --upgrade "$spec"
    echo "$want" > "$stamp"
}

status=0
for pair in "lowest:protobuf==$LOWEST" "newest:protobuf<8"; do
    name="${pair%%:*}"
    spec="${pair#*:}"
    setup "$name" "$spec"
    version="$("$ROOT_DIR/$name/bin/python" -c 'import google.protobuf as p; print(p.__version__)')"
    echo "== protobuf $version ($name) =="
    "$ROOT_DIR/$name/bin/python" -m pytest -q -p no:cacheprovider tests/payloads || status=1
done
exit $status
