"""Keras 3 model configs (a ``.keras`` archive's ``config.json``) to our layer configs and back.

Reading checks the whole tree first: every layer class must be one of ours (or in ``custom_objects``) and
every option one our class takes, with a value it accepts; everything wrong is reported in one
``UnsupportedKerasConfig`` naming the layer, the option and the layers we support, before any model is
wired. Options we do not have are dropped only when they hold Keras' "off" value (``None``, ``False``).
Writing gives the dicts Keras' ``deserialize_keras_object`` resolves: a ``module`` and ``registered_name``
on every object, ``__keras_tensor__`` references with shape and dtype, DTypePolicy dtypes.
"""
from __future__ import annotations

import inspect
from typing import Any

from .model_classes import deserialize, is_model, is_sequential

MODEL_CLASSES = ("Functional", "Model", "Sequential")
_LAYER_KWARGS = {"name", "trainable", "dtype", "activity_regularizer", "input_shape", "input_dim",
                 "batch_input_shape", "autocast"}  # what Layer.__init__ takes for every layer
_NESTED_LAYER_KEYS = ("layer", "backward_layer", "cell")  # wrappers: TimeDistributed, Bidirectional, RNN
_NOT_FROM_FILES = {"Lambda": "its function is stored as Python bytecode of the Keras side"}
# The ops Keras 3 records in a functional config to compute a mask it passes as a ``mask`` argument
# (Masking, Embedding(mask_zero=True), merged masks); our layers derive the same masks themselves.
_MASK_OPS = {"NotEqual", "Any", "All", "LogicalOr", "LogicalAnd", "ExpandDims", "OnesLike", "ZerosLike",
             "Concatenate", "Cast"}
_SAME_AS_DEFAULT = {("MultiHeadAttention", "attention_axes"): [1]}  # Keras stores the built 3-D default
_KERAS_LACKS = {"SpatialDropout1D": ("trainable",), "SpatialDropout2D": ("trainable",),
                "SpatialDropout3D": ("trainable",)}  # their __init__s
_INERT_UNLESS = {"renorm_momentum": "renorm", "renorm_clipping": "renorm"}  # option -> the switch it needs
_ONLY_VALUE = {"data_format": "channels_last"}  # what our layers always do


class UnsupportedKerasConfig(ValueError):
    """A Keras model config that names a layer class, option or value we do not have."""


def _layer_classes(custom_objects: dict[str, Any] | None) -> dict[str, type]:
    from .. import layers
    from .._registry import known_objects
    return {**{k: v for k, v in layers.LAYERS.items() if k not in _NOT_FROM_FILES}, **known_objects(custom_objects)}


def _resolve(entry: dict[str, Any], classes: dict[str, type]) -> str | None:
    """The name an entry's class has among ``classes``: its ``class_name``, or its ``registered_name``
    (``package>Name``) for custom ones."""
    registered = entry.get("registered_name") or ""
    return next((key for key in (entry.get("class_name"), registered, registered.rpartition(">")[2])
                 if key in classes), None)


def _dtype_name(value: Any, where: str, problems: list[str]) -> Any:
    """A DTypePolicy dict -> its dtype name; mixed policies (compute != variable dtype) are not ours."""
    if not isinstance(value, dict):
        return value
    name = (value.get("config") or {}).get("name")
    if not isinstance(name, str) or name.startswith("mixed_"):
        problems.append(f"{where}: dtype policy {name!r} is not supported (only plain dtypes like 'float32')")
    return name


def _accepted_options(cls: type) -> set[str] | None:
    """Keyword arguments ``cls`` takes, following ``**kwargs`` up the base classes; None = anything (a
    layer with its own ``from_config`` reads its config itself)."""
    from ..layers.base import Layer
    names: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        params = inspect.signature(klass.__init__).parameters.values()
        names |= {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)} - {"self"}
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return names
        if klass is Layer or klass is object:
            break
    if issubclass(cls, Layer) and cls.from_config.__func__ is not Layer.from_config.__func__:
        return None
    return names | _LAYER_KWARGS if issubclass(cls, Layer) else names


def _inert(key: str, config: dict[str, Any]) -> bool:
    """An option we do not have that does nothing with this config: Keras' "off" values, and options
    that only matter when another one is on."""
    value = config[key]
    if value in (None, False, {}, []):
        return True
    if key in _ONLY_VALUE:
        return value == _ONLY_VALUE[key]
    return key in _INERT_UNLESS and not config.get(_INERT_UNLESS[key])


class _Reader:
    """Translates one config tree, collecting every problem before reporting them together."""

    def __init__(self, custom_objects: dict[str, Any] | None):
        self.classes = _layer_classes(custom_objects)
        self.custom_objects = custom_objects
        self.problems: list[str] = []

    def layers(self, entries: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
        """A functional model's layer entries without the mask ops (and the ``mask`` arguments they feed);
        any other use of a Keras op is reported."""
        ops = {e.get("name") for e in entries if str(e.get("module", "")).startswith("keras.src.ops")}
        kept = []
        for e in entries:
            if e.get("name") in ops:
                if e.get("class_name") not in _MASK_OPS:
                    self.problems.append(f"{where}op {e.get('name')!r} ({e.get('class_name')}): Keras ops "
                                         "called on model tensors are not supported; wrap them in a layer")
                continue
            nodes = []
            for node in e.get("inbound_nodes", []):
                if isinstance(node, dict) and _refers_to(node.get("kwargs", {}).get("mask"), ops):
                    node = {**node, "kwargs": {k: v for k, v in node["kwargs"].items() if k != "mask"}}
                if isinstance(node, dict) and _refers_to(node, ops):
                    self.problems.append(f"{where}{e.get('name')!r} ({e.get('class_name')}): takes a Keras op's "
                                         "result, which is not supported")
                nodes.append(node)
            kept.append(self.entry({**e, "inbound_nodes": nodes} if "inbound_nodes" in e else e, where))
        return kept

    def entry(self, entry: dict[str, Any], where: str) -> dict[str, Any]:
        name = entry.get("class_name")
        config = dict(entry.get("config") or {})
        label = f"{where}{config.get('name', '?')!r} ({name})"
        out = {"class_name": name, "config": config}
        if "name" in entry:
            out["name"] = entry["name"]
        if "inbound_nodes" in entry:
            out["inbound_nodes"] = [self.node(node, label) for node in entry["inbound_nodes"]]
        if name in MODEL_CLASSES:
            out["class_name"] = "Sequential" if name == "Sequential" else "Functional"
            for key in ("dtype", "build_input_shape"):
                config.pop(key, None)
            inner = f"{where}{config.get('name', '?')!r} > "
            config["layers"] = self.layers(config.get("layers", []), inner)
            return out
        found = _resolve(entry, self.classes)
        if found is None:
            why = _NOT_FROM_FILES.get(name, "not a layer we have; pass your own class in custom_objects")
            self.problems.append(f"layer {label}: {why}")
            return out
        out["class_name"] = found
        self.options(found, config, label)
        return out

    def options(self, found: str, config: dict[str, Any], label: str) -> None:
        cls = self.classes[found]
        before = len(self.problems)
        if "dtype" in config:
            config["dtype"] = _dtype_name(config["dtype"], f"layer {label}", self.problems)
        for key in _NESTED_LAYER_KEYS:
            if isinstance(config.get(key), dict):
                config[key] = self.entry(config[key], f"{label} > ")
        if isinstance(config.get("cells"), list):  # StackedRNNCells
            config["cells"] = [self.entry(c, f"{label} > ") if isinstance(c, dict) else c for c in config["cells"]]
        for (class_name, key), default in _SAME_AS_DEFAULT.items():
            if cls.__name__ == class_name and config.get(key) == default:
                config[key] = None
        accepted = _accepted_options(cls)
        if accepted is not None:
            original = dict(config)
            for key in [k for k in config if k not in accepted]:
                if _inert(key, original):
                    del config[key]
                else:
                    self.problems.append(f"layer {label}: option {key}={config[key]!r} is not supported")
        for key, value in config.items():
            if key not in _NESTED_LAYER_KEYS and isinstance(value, dict) and "class_name" in value:
                config[key] = self.object(value, f"layer {label} option {key}")
        if len(self.problems) == before:
            try:  # values: the constructor's own checks (a layer object holds no graph yet)
                deserialize({"class_name": found, "config": config}, self.custom_objects)
            except (TypeError, ValueError, NotImplementedError) as e:
                self.problems.append(f"layer {label}: {e}")

    def object(self, entry: dict[str, Any], where: str) -> dict[str, Any]:
        """An initializer/regularizer/constraint dict with the options our class lacks dropped when inert."""
        entry, problems = strip_inert_options(entry)
        self.problems += [f"{where}: {p}" for p in problems]
        return entry

    def node(self, node: Any, label: str) -> dict[str, Any]:
        if not isinstance(node, dict):  # Keras 2's [[name, node, tensor, kwargs], ...]
            self.problems.append(f"layer {label}: Keras 2 style inbound nodes are not supported")
            return {"args": [], "kwargs": {}}
        return {"args": _tensor_refs(node.get("args", [])), "kwargs": _tensor_refs(node.get("kwargs", {}))}


def strip_inert_options(entry: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A serialized object (initializer, loss, metric, optimizer, schedule: nested ones too) without the
    options our class lacks that are inert; the others as problems. Unknown classes pass unchanged
    (their deserializer names them)."""
    name = entry["class_name"]
    cls = next((table[name] for _, table in _object_tables() if name in table), None)
    config, problems = dict(entry.get("config") or {}), []
    for key, value in config.items():
        if isinstance(value, dict) and "class_name" in value:
            config[key], inner = strip_inert_options(value)
            problems += inner
    accepted = _accepted_options(cls) if cls is not None else None
    original = dict(config)
    for key in [k for k in config if accepted is not None and k not in accepted]:
        if _inert(key, original):
            del config[key]
        else:
            problems.append(f"{entry['class_name']} option {key}={config[key]!r} is not supported")
    return {**entry, "config": config}, problems


def _refers_to(value: Any, names: set[str]) -> bool:
    """Whether a Keras node argument structure references a tensor of one of ``names``."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return value["config"]["keras_history"][0] in names
        return any(_refers_to(v, names) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_refers_to(v, names) for v in value)
    return False


def _tensor_refs(value: Any) -> Any:
    """Keras' ``{"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}`` -> our 4-lists."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return ["__keras_tensor__", *value["config"]["keras_history"]]
        return {k: _tensor_refs(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tensor_refs(v) for v in value]
    return value


def model_from_keras_config(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """A Keras 3 ``config.json`` (model part) -> our model, or UnsupportedKerasConfig listing every problem."""
    if config.get("class_name") not in MODEL_CLASSES:
        raise UnsupportedKerasConfig(f"the archive holds a {config.get('class_name')!r}, not a Sequential or "
                                     "functional model (subclassed models have no config to rebuild from)")
    reader = _Reader(custom_objects)
    ours = reader.entry(config, "")
    if reader.problems:
        supported = ", ".join(sorted(reader.classes))
        raise UnsupportedKerasConfig("cannot rebuild this Keras model:\n  " + "\n  ".join(reader.problems)
                                     + f"\nsupported layers: {supported}")
    return deserialize(ours, custom_objects)


# ---- writing -----------------------------------------------------------------------------------------------
def _object_tables() -> list[tuple[str, dict[str, type]]]:
    """(Keras module, our classes by name) for each kind of object a config can hold."""
    from .. import constraints, initializers, layers, losses, metrics, optimizers, regularizers
    from ..optimizers import schedules
    tables = [("keras.layers", layers.LAYERS)]
    for module, ours in (("keras.initializers", initializers), ("keras.regularizers", regularizers),
                         ("keras.constraints", constraints), ("keras.losses", losses), ("keras.metrics", metrics),
                         ("keras.optimizers.schedules", schedules), ("keras.optimizers", optimizers)):
        tables.append((module, {k: v for k, v in vars(ours).items() if isinstance(v, type) and k[:1].isupper()}))
    return tables


def _keras_objects(value: Any, tables: list[tuple[str, dict[str, Any]]]) -> Any:
    """Adds ``module``/``registered_name`` to every ``{"class_name", "config"}`` dict Keras would resolve."""
    if isinstance(value, (list, tuple)):
        return [_keras_objects(v, tables) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _keras_objects(v, tables) for k, v in value.items()}
    if value.get("class_name") in _KERAS_LACKS and isinstance(value.get("config"), dict):
        out["config"] = {k: v for k, v in out["config"].items() if k not in _KERAS_LACKS[value["class_name"]]}
    if "class_name" in value and "config" in value and value["class_name"] != "__keras_tensor__":
        module = next((m for m, table in tables if value["class_name"] in table), None)
        out["module"] = module
        out["registered_name"] = None if module else registered_name_of(value["class_name"])
    return out


def registered_name_of(class_name: str) -> str:
    """``"package>Name"`` of a class registered with ``register_keras_serializable``, else the class name."""
    from .._registry import GLOBAL_CUSTOM_NAMES
    return next((registered for obj, registered in GLOBAL_CUSTOM_NAMES.items()
                 if getattr(obj, "__name__", None) == class_name), class_name)


def keras_model_config(model: Any) -> dict[str, Any]:
    """Our model -> the entry Keras' ``config.json`` holds (without ``compile_config``)."""
    tables = _object_tables()
    if is_sequential(model):
        config = _keras_objects(model.get_config(), tables)
        config["layers"] = [_keras_entry(layer, entry, tables)
                            for layer, entry in zip([model._input_layer, *model._stack], config["layers"])]
        return {"module": "keras", "class_name": "Sequential", "config": config, "registered_name": None}
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": _functional_config(model, tables), "registered_name": "Functional"}


def _keras_entry(layer: Any, entry: dict[str, Any], tables: list) -> dict[str, Any]:
    if is_model(layer):
        nested = keras_model_config(layer)
        return {**nested, **{k: v for k, v in entry.items() if k in ("name", "inbound_nodes")}}
    return entry


def _functional_config(model: Any, tables: list) -> dict[str, Any]:
    """Our functional config with Keras' tensor references (shape and dtype from the model's nodes)."""
    produced: dict[tuple[str, int], list] = {}
    calls: dict[str, int] = {}
    for node in model._node_order:
        index = calls[node.layer.name] = calls.get(node.layer.name, -1) + 1
        produced[node.layer.name, index] = node.flat_outputs

    def ref(value: Any) -> Any:
        if isinstance(value, list) and len(value) == 4 and value[0] == "__keras_tensor__":
            tensor = produced[value[1], value[2]][value[3]]
            return {"class_name": "__keras_tensor__", "config": {
                "shape": list(tensor.shape), "dtype": tensor.dtype, "keras_history": value[1:]}}
        if isinstance(value, list):
            return [ref(v) for v in value]
        if isinstance(value, dict):
            return {k: ref(v) for k, v in value.items()}
        return value

    config = model.get_config()
    layers = []
    for layer, entry in zip(model.layers, config["layers"]):
        inbound = [{"args": ref(n["args"]), "kwargs": ref(n["kwargs"])} for n in entry.get("inbound_nodes", [])]
        entry = _keras_objects({k: v for k, v in entry.items() if k != "inbound_nodes"}, tables)
        entry["inbound_nodes"] = inbound
        layers.append(_keras_entry(layer, entry, tables))
    return {**config, "layers": layers}


__all__ = ["UnsupportedKerasConfig", "model_from_keras_config", "strip_inert_options", "keras_model_config",
           "MODEL_CLASSES"]
