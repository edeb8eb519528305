# Fixtures for `semgrep --test`: the line under each "ruleid" annotation must be flagged, the line
# under each "ok" annotation must not.
# ruff: noqa
# fmt: off
import asyncio
import json
import marshal
import os
import pickle
import re
import subprocess

import yaml


def run_code(source):
    # ruleid: confide-no-exec-eval
    exec(source)
    # ruleid: confide-no-exec-eval
    value = eval(source)
    # ruleid: confide-no-exec-eval
    code = compile(source, "<tool>", "exec")
    # ok: confide-no-exec-eval
    pattern = re.compile(r"\d+")
    return value, code, pattern


def deserialize(blob, stream):
    # ruleid: confide-no-pickle
    a = pickle.loads(blob)
    # ruleid: confide-no-pickle
    b = pickle.load(stream)
    # ruleid: confide-no-pickle
    c = marshal.loads(blob)
    # ok: confide-no-pickle
    d = json.loads(blob)
    # ok: confide-no-pickle
    e = pickle.dumps(d)
    return a, b, c, e


def parse_yaml(text, stream):
    # ruleid: confide-yaml-unsafe-load
    a = yaml.load(text)
    # ruleid: confide-yaml-unsafe-load
    b = yaml.load(text, Loader=yaml.Loader)
    # ruleid: confide-yaml-unsafe-load
    c = yaml.unsafe_load(text)
    # ruleid: confide-yaml-unsafe-load
    d = list(yaml.load_all(stream, Loader=yaml.FullLoader))
    # ok: confide-yaml-unsafe-load
    e = yaml.load(text, Loader=yaml.SafeLoader)
    # ok: confide-yaml-unsafe-load
    f = yaml.safe_load(text)
    # ok: confide-yaml-unsafe-load
    g = yaml.load(text, yaml.CSafeLoader)
    return a, b, c, d, e, f, g


async def run_commands(name, flag):
    # ruleid: confide-no-shell
    subprocess.run(f"ls {name}", shell=True, check=True)
    # ruleid: confide-no-shell
    subprocess.Popen(name, shell=flag)
    # ruleid: confide-no-shell
    os.system("ls " + name)
    # ruleid: confide-no-shell
    await asyncio.create_subprocess_shell(name)
    # ok: confide-no-shell
    subprocess.run(["ls", name], check=True)
    # ok: confide-no-shell
    subprocess.run(["ls", name], shell=False, check=True)
    # ok: confide-no-shell
    await asyncio.create_subprocess_exec("ls", name)
