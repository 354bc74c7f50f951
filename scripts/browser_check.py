"""Drives Debian's chromium over the DevTools protocol: a real browser, real clicks.

Usage: python browser_check.py URL SCREENSHOT STEP...
Each STEP is one of
  wait:JS        until the JavaScript expression JS is true (10 s at most)
  click:CSS      clicks the first element matching the selector
Prints the page's text at the end; exits non-zero when a step fails.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


def main():
    url, screenshot, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    profile = tempfile.mkdtemp(prefix="chromium-cdp-")
    browser = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
         "--remote-debugging-port=0", "--window-size=1200,800", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if time.time() > deadline or browser.poll() is not None:
                sys.exit("chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        port = open(port_file).read().split()[0]
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(p for p in pages if p.get("type") == "page")
        ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        counter = [0]

        def call(method, **params):
            counter[0] += 1
            ws.send(json.dumps({"id": counter[0], "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == counter[0]:
                    if "error" in message:
                        sys.exit(f"{method}: {message['error']}")
                    return message.get("result", {})

        def evaluate(expression):
            result = call("Runtime.evaluate", expression=expression, returnByValue=True)
            if "exceptionDetails" in result:
                return None
            return result.get("result", {}).get("value")

        call("Page.enable")
        call("Page.navigate", url=url)
        for step in steps:
            kind, _, argument = step.partition(":")
            if kind == "wait":
                deadline = time.time() + 10
                while not evaluate(f"Boolean({argument})"):
                    if time.time() > deadline:
                        print(evaluate("document.body ? document.body.innerText : ''"))
                        sys.exit(f"FAIL waiting for {argument}")
                    time.sleep(0.05)
                print(f"ok   wait {argument}")
            elif kind == "click":
                if not evaluate(f"(() => {{ const e = document.querySelector({json.dumps(argument)}); if (!e) return false; e.click(); return true; }})()"):
                    sys.exit(f"FAIL nothing matches {argument}")
                print(f"ok   click {argument}")
            else:
                sys.exit(f"unknown step {step}")
        shot = call("Page.captureScreenshot", format="png")
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print("--- page text ---")
        print(evaluate("document.body.innerText"))
    finally:
        browser.kill()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
