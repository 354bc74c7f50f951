"""Part 10 of make bench: prompt tokens per review, beside pr-agent on the same pull requests.

Each fixture with its head files (fixtures/pull-requests/NAME/head/) is reviewed with the default
settings by `review-bench prompts`, whose model records every call; the calls' system prompt, user
prompt and response schema are counted with o200k_base, the encoding pr-agent counts with. tiktoken
fetches encodings from the internet on first use; litellm's wheel on PyPI carries o200k_base (its
tiktoken cache file), so the file is taken from there into .venv and tiktoken is pointed at it.
"""
import glob, os, subprocess, sys, tempfile, zipfile

# pr-agent 0.49.0 on the same pull requests with the same scripted model and head files available
# (issue #25): its review, and its review and describe together.
PR_AGENT = {
    "ky-small-single-file-edit": {"review": 1799, "reviewAndDescribe": 2882},
    "ky-multi-file-feature-network-error": {"review": None, "reviewAndDescribe": 15361},
}
O200K = "fb374d419588a4632f3f557e76b4b70aebbca790"  # tiktoken's cache name for o200k_base
LITELLM = "litellm==1.110.2"


def encoding(root):
    cache = os.path.join(root, ".venv", "tiktoken-cache")
    if not os.path.exists(os.path.join(cache, O200K)):
        print("bench: taking o200k_base from litellm's wheel (PyPI)…", file=sys.stderr)
        os.makedirs(cache, exist_ok=True)
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run([os.path.join(root, ".venv/bin/pip"), "download", "-q", "--disable-pip-version-check", "--no-deps", "-d", folder, LITELLM], check=True)
            with zipfile.ZipFile(glob.glob(os.path.join(folder, "litellm-*.whl"))[0]) as wheel:
                data = wheel.read(f"litellm/litellm_core_utils/tokenizers/{O200K}")
            with open(os.path.join(cache, O200K), "wb") as out:
                out.write(data)
    os.environ["TIKTOKEN_CACHE_DIR"] = cache
    import tiktoken
    return tiktoken.get_encoding("o200k_base")


def measure(root, fixtures, bench):
    encoder = encoding(root)
    count = lambda text: len(encoder.encode(text, disallowed_special=()))
    folders = [os.path.join(fixtures, "pull-requests", name) for name in PR_AGENT]
    results = []
    for fixture in bench(["prompts"] + folders)["prompts"]:
        calls = fixture["calls"]
        context = sum(count(line) for call in calls for line in call["user"].split("\n") if line.startswith("~"))
        results.append({
            "fixture": fixture["fixture"], "calls": len(calls), "headFiles": fixture["headFiles"],
            "promptTokens": sum(count(call["system"]) + count(call["user"]) for call in calls),
            "schemaTokens": sum(count(call["schema"]) for call in calls),
            "contextTokens": context,
            "prAgent": PR_AGENT[fixture["fixture"]],
        })
    return results


def rows(results):
    out = []
    for r in results:
        agent = r["prAgent"]
        anchor = f"{agent['reviewAndDescribe']:,}" + (f" ({agent['review']:,} review)" if agent["review"] else "")
        out.append((f"prompt tokens {r['fixture']} ({r['calls']} call)",
                    f"{r['promptTokens']:,} +{r['schemaTokens']} schema, {r['contextTokens']:,} context",
                    f"pr-agent {anchor}", f"≤ {agent['reviewAndDescribe']:,}"))
    return out
