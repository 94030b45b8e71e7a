#!/usr/bin/env python3
"""Export a PyTorch focus model to the ONNX layout `focuslite --weights model.onnx` runs.

For users who have PyTorch and their own checkpoints (it is not run by focuslite's tests or CI).
The layout, the same as ../shared/reference/official-onnx/ (see README, "Deep baselines"):

  input  `input`  float32 [batch, 3, 235, 235]: RGB, 8-bit / 255, channel-first, no mean/std
  output `score`  float32 [batch] or [batch, 1]: one score per crop, higher = blurrier

focuslite takes the image score as the plain mean over the 235/128 crop grid, as the original
FocusLiteNN code does. The export also writes metadata entries focuslite reads:

  name        label in reports (default: the file name)
  parameters  trainable parameter count, sum(p.numel() for p in model.parameters())
              (an exporter may fold batch norms, so the graph's initializers can differ)
  scale       relative (PLCC-trained, ranking only) or z-level (MSE/MAE-trained on |z|: scores
              are clamped at 0)
  kind        data-driven
  reference   citation / licence note shown in reports

Usage (the model's class must be importable: put the original repository on PYTHONPATH):

  python scripts/export-onnx.py --module model.densenet --class-name DenseNet13 \
      --checkpoint densenet13.pt --out densenet13.onnx --name DenseNet-13 --scale relative

  python scripts/export-onnx.py --module model.focuslitenn --class-name FocusLiteNN \
      --kwargs '{"num_channel": 10}' --checkpoint focuslitenn-10kernel.pt --out fl10.onnx

Requires: torch (and onnx, which torch.onnx uses for the metadata step). Checkpoints whose keys
start with `module.` (saved from DataParallel) are accepted.
"""
import argparse
import importlib
import json
import sys


def load_state_dict(path, torch):
    state = torch.load(path, map_location="cpu")
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        sys.exit(f"{path}: not a state dict (got {type(state).__name__})")
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--module", required=True, help="Python module holding the model class")
    ap.add_argument("--class-name", required=True, help="model class name")
    ap.add_argument("--kwargs", default="{}", help="JSON constructor arguments")
    ap.add_argument("--checkpoint", required=True, help="PyTorch checkpoint (.pt/.pth)")
    ap.add_argument("--out", required=True, help="output .onnx file")
    ap.add_argument("--name", default=None, help="label in focuslite's reports")
    ap.add_argument("--scale", choices=["relative", "z-level"], default="relative")
    ap.add_argument("--reference", default="", help="citation / licence note")
    ap.add_argument("--crop", type=int, default=235, help="crop side the model takes (235)")
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()

    import torch
    import onnx

    cls = getattr(importlib.import_module(args.module), args.class_name)
    model = cls(**json.loads(args.kwargs))
    model.load_state_dict(load_state_dict(args.checkpoint, torch))
    model.eval()

    dummy = torch.rand(2, 3, args.crop, args.crop)
    with torch.no_grad():
        out = model(dummy)
    if out.shape[0] != 2 or out.numel() != 2:
        sys.exit(f"the model returns shape {tuple(out.shape)} for 2 crops; focuslite needs one score per crop")

    torch.onnx.export(
        model, dummy, args.out, input_names=["input"], output_names=["score"],
        dynamic_axes={"input": {0: "batch"}, "score": {0: "batch"}}, opset_version=args.opset,
    )
    proto = onnx.load(args.out)
    entries = {
        "name": args.name or args.out.rsplit("/", 1)[-1].removesuffix(".onnx"),
        "parameters": str(sum(p.numel() for p in model.parameters())),
        "scale": args.scale,
        "kind": "data-driven",
        "reference": args.reference,
    }
    for key, value in entries.items():
        if value:
            onnx.helper.set_model_props(proto, {**{p.key: p.value for p in proto.metadata_props}, key: value})
    onnx.save(proto, args.out)

    # self-check: ONNX Runtime (if installed) gives the PyTorch outputs
    try:
        import onnxruntime as ort
        sess = ort.InferenceSession(args.out, providers=["CPUExecutionProvider"])
        got = sess.run(None, {"input": dummy.numpy()})[0].reshape(-1)
        diff = float(abs(got - out.numpy().reshape(-1)).max())
        print(f"{args.out}: ONNX Runtime vs PyTorch max abs diff {diff:.2e}")
    except ImportError:
        print(f"{args.out}: written (install onnxruntime to self-check)")


if __name__ == "__main__":
    main()
