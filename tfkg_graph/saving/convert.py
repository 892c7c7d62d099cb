"""``tfkg-convert model.keras out_dir``: a Keras 3 model file to our SavedModel, for csrc/ and TF Serving.

The SavedModel gets ``serving_default`` and, for a compiled model, ``train`` and ``evaluate`` with the
optimizer state the Keras file carried, so a C host continues training where Keras stopped. The label
inputs (``<output>_target``) take the shape ``fit`` would give them: class indices for sparse losses
(one value per row), the output's shape otherwise.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence


def _target_shape(loss: Any, output_shape: tuple) -> tuple:
    name = str(getattr(loss, "name", None) or type(loss).__name__).lower()
    return tuple(output_shape[1:-1]) if "sparse" in name else tuple(output_shape[1:])


def convert(source: str, export_dir: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """Loads ``source`` (``.keras``, or a directory ``model.save`` wrote) and saves it as a SavedModel with
    training signatures when it is compiled. Returns the model."""
    from .model_io import load_model, save_model
    model = load_model(source, custom_objects=custom_objects)
    compiled = getattr(model, "_compiled", None)
    if compiled:
        shapes = [_target_shape(loss, t.shape) if loss is not None else ()
                  for loss, t in zip(compiled["losses"], model.outputs)]
        model._ensure_runtime(model._train_spec(shapes))
    save_model(model, export_dir)
    return model


def custom_objects_from(source: str) -> dict[str, Any]:
    """The Layer subclasses a module (dotted name, or a .py file, imported beside its folder) defines."""
    import importlib
    import importlib.util
    import os
    from ..layers import Layer
    if source.endswith(".py"):
        folder = os.path.dirname(os.path.abspath(source))
        sys.path.insert(0, folder)
        try:
            spec = importlib.util.spec_from_file_location(os.path.basename(source)[:-3], source)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(folder)
    else:
        module = importlib.import_module(source)
    return {name: value for name, value in vars(module).items()
            if isinstance(value, type) and issubclass(value, Layer) and value.__module__ == module.__name__}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tfkg-convert", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="a Keras 3 .keras file (or a tfkg_graph SavedModel directory)")
    parser.add_argument("export_dir", help="where to write the SavedModel (replaced if it exists)")
    parser.add_argument("--custom-objects", metavar="MODULE_OR_FILE",
                        help="a module or .py file whose Layer subclasses stand for the file's custom layers")
    args = parser.parse_args(argv)
    try:
        custom = custom_objects_from(args.custom_objects) if args.custom_objects else None
        model = convert(args.source, args.export_dir, custom)
    except (OSError, ValueError, ImportError) as e:
        print(f"tfkg-convert: {e}", file=sys.stderr)
        return 1
    signatures = ["serving_default"] + (["train", "evaluate"] if getattr(model, "_compiled", None) else [])
    print(f"{args.export_dir}: {model.name}, inputs {model.input_names} -> outputs {model.output_names}, "
          f"signatures {', '.join(signatures)}")
    if len(signatures) == 1:
        print("the model was saved without compile settings: no train/evaluate signatures", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
