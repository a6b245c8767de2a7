#!/usr/bin/env python3
"""Records the real-library fixtures again and judges them with `faultline check`.

    regenerate.py --faultline BIN [--write] [--out DIR]

For every fixture and seed of tests/checkers/recorded/manifest.json it runs the
recorder (the Go recorders are built first, with the module versions pinned in
tools/recorders/go/go.sum; the Python ones need Debian's python3-circuitbreaker,
python3-tenacity and python3-backoff), then checks the new history: valid
under the fixture's own config, invalid under each of its `differs` configs,
exactly as the committed fixture is judged by the unit tests. Exits 1 (and
names the fixture) if any regenerated history is judged otherwise. --write
copies the new histories over the committed ones.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "checkers", "recorded")
PYTHON = "/usr/bin/python3"  # Debian's, which has the libraries


def verdict(faultline, history, checker, config, tmp):
    path = os.path.join(tmp, "config.json")
    with open(path, "w") as f:
        json.dump({checker: config}, f)
    run = subprocess.run([faultline, "check", history, "--checker", checker, "--config", path, "--json"],
                         capture_output=True, text=True)
    if run.returncode not in (0, 1):
        return "error %d: %s" % (run.returncode, run.stderr.strip())
    result = json.loads(run.stdout)["checkers"][checker]
    if run.returncode == 1:
        first = (result.get("divergences") or result.get("violations") or [{}])[0]
        return "invalid (%s)" % first.get("message", "")
    return "valid"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--faultline", required=True)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    with open(os.path.join(FIXTURES, "manifest.json")) as f:
        manifest = json.load(f)
    tmp = tempfile.mkdtemp(prefix="faultline-recorders-")
    out = args.out or tmp
    os.makedirs(out, exist_ok=True)
    go_bin = os.path.join(tmp, "recorders")
    subprocess.run(["go", "build", "-o", go_bin, "."], cwd=os.path.join(HERE, "go"), check=True)
    failures = 0
    for fx in manifest["fixtures"]:
        for seed in fx["seeds"]:
            name = "%s-seed%d.jsonl" % (fx["library"], seed)
            history = os.path.join(out, name)
            kind, *rest = fx["recorder"].split()
            if kind == "go":
                cmd = [go_bin, fx["library"], "--seed", str(seed), "--out", history]
            else:
                cmd = [PYTHON, os.path.join(HERE, "python", "record.py"), rest[0], "--seed", str(seed), "--out", history]
            subprocess.run(cmd, check=True)
            judged = [("own", fx["config"], "valid")] + [("differs", c, "invalid") for c in fx["differs"]]
            for label, config, expected in judged:
                got = verdict(args.faultline, history, fx["checker"], config, tmp)
                ok = got.split(" ")[0] == expected
                failures += 0 if ok else 1
                print("%s %s under %s (%s): %s" % ("ok  " if ok else "FAIL", name, config["profile"], label, got))
            if args.write:
                shutil.copy(history, os.path.join(FIXTURES, name))
    shutil.rmtree(tmp, ignore_errors=True)
    print("recorders: %d passed, %d failed" % (sum(len(fx["seeds"]) * (1 + len(fx["differs"])) for fx in manifest["fixtures"]) - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
