"""TensorFlow protocol buffers without TensorFlow.

`tensorflow_subset.proto` is parsed here into a private DescriptorPool, so the message classes are
wire-compatible with TF's but depend on neither TF nor a particular protobuf runtime version
(no generated code). Use them by name: ``protos.GraphDef()``, ``protos.AttrValue()``...
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format

_F = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    "double": _F.TYPE_DOUBLE, "float": _F.TYPE_FLOAT, "int64": _F.TYPE_INT64, "uint64": _F.TYPE_UINT64,
    "int32": _F.TYPE_INT32, "uint32": _F.TYPE_UINT32, "fixed32": _F.TYPE_FIXED32,
    "fixed64": _F.TYPE_FIXED64, "bool": _F.TYPE_BOOL, "string": _F.TYPE_STRING, "bytes": _F.TYPE_BYTES,
}
_TOKEN = re.compile(r'\s+|//[^\n]*|/\*.*?\*/|("[^"]*"|[A-Za-z_][\w.]*|-?\d+|\S)', re.S)


def _tokens(text: str) -> list[str]:
    return [m.group(1) for m in _TOKEN.finditer(text) if m.group(1)]


class _Parser:
    """A recursive-descent reader for the proto3 subset our schema uses:
    messages, enums, oneofs and maps, nested to any depth."""

    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.pos = 0
        self.file = descriptor_pb2.FileDescriptorProto(syntax="proto3")
        self.enums: set[str] = set()
        self.fields: list[tuple[_F, str]] = []  # (field, scope) awaiting type resolution
        self.messages: set[str] = set()

    def next(self) -> str:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def expect(self, tok: str) -> None:
        got = self.next()
        if got != tok:
            raise SyntaxError(f"proto schema: expected {tok!r}, got {got!r} at token {self.pos}")

    def parse(self, name: str) -> descriptor_pb2.FileDescriptorProto:
        self.file.name = name
        while self.pos < len(self.toks):
            tok = self.next()
            if tok == "syntax":
                self.expect("=")
                self.next()
                self.expect(";")
            elif tok == "package":
                self.file.package = self.next()
                self.expect(";")
            elif tok == "message":
                self.message(self.file.message_type.add(), self.file.package)
            elif tok == "enum":
                self.enum(self.file.enum_type.add(), self.file.package)
            else:
                raise SyntaxError(f"proto schema: unexpected {tok!r}")
        for field, scope in self.fields:
            self.resolve(field, scope)
        return self.file

    def enum(self, enum: descriptor_pb2.EnumDescriptorProto, scope: str) -> None:
        enum.name = self.next()
        self.enums.add(f"{scope}.{enum.name}")
        self.expect("{")
        while (tok := self.next()) != "}":
            self.expect("=")
            enum.value.add(name=tok, number=int(self.next()))
            self.expect(";")

    def message(self, msg: descriptor_pb2.DescriptorProto, scope: str) -> None:
        msg.name = self.next()
        full = f"{scope}.{msg.name}"
        self.messages.add(full)
        self.expect("{")
        self.body(msg, full, oneof=None)

    def body(self, msg: descriptor_pb2.DescriptorProto, full: str, oneof: int | None) -> None:
        while (tok := self.next()) != "}":
            if tok == "message":
                self.message(msg.nested_type.add(), full)
            elif tok == "enum":
                self.enum(msg.enum_type.add(), full)
            elif tok == "oneof":
                msg.oneof_decl.add(name=self.next())
                self.expect("{")
                self.body(msg, full, oneof=len(msg.oneof_decl) - 1)
            elif tok == "map":
                self.map_field(msg, full)
            else:
                self.field(msg, full, tok, oneof)

    def field(self, msg: descriptor_pb2.DescriptorProto, scope: str, tok: str, oneof: int | None) -> None:
        label = _F.LABEL_OPTIONAL
        if tok == "repeated":
            label, tok = _F.LABEL_REPEATED, self.next()
        name = self.next()
        self.expect("=")
        field = msg.field.add(name=name, number=int(self.next()), label=label, json_name=_camel(name))
        if oneof is not None:
            field.oneof_index = oneof
        self.set_type(field, tok, scope)
        self.expect(";")

    def map_field(self, msg: descriptor_pb2.DescriptorProto, scope: str) -> None:
        self.expect("<")
        key = self.next()
        self.expect(",")
        value = self.next()
        self.expect(">")
        name = self.next()
        self.expect("=")
        number = int(self.next())
        self.expect(";")
        entry = msg.nested_type.add(name=_camel(name, upper=True) + "Entry")
        entry.options.map_entry = True
        for i, (fname, ftype) in enumerate((("key", key), ("value", value)), start=1):
            self.set_type(entry.field.add(name=fname, number=i, label=_F.LABEL_OPTIONAL, json_name=fname),
                          ftype, f"{scope}.{entry.name}")
        msg.field.add(name=name, number=number, label=_F.LABEL_REPEATED, type=_F.TYPE_MESSAGE,
                      type_name=f".{scope}.{entry.name}", json_name=_camel(name))

    def set_type(self, field: _F, type_name: str, scope: str) -> None:
        if type_name in _SCALARS:
            field.type = _SCALARS[type_name]
        else:
            field.type_name = type_name
            self.fields.append((field, scope))

    def resolve(self, field: _F, scope: str) -> None:
        """Finds a relative type name the way protoc does: innermost scope first."""
        parts = scope.split(".")
        for i in range(len(parts), -1, -1):
            candidate = ".".join(parts[:i] + [field.type_name])
            if candidate in self.messages or candidate in self.enums:
                field.type = _F.TYPE_ENUM if candidate in self.enums else _F.TYPE_MESSAGE
                field.type_name = "." + candidate
                return
        raise SyntaxError(f"proto schema: unknown type {field.type_name!r} in {scope}")


def _camel(name: str, upper: bool = False) -> str:
    head, *rest = name.split("_")
    out = head + "".join(p.capitalize() for p in rest)
    return out[:1].upper() + out[1:] if upper else out


_SCHEMA = Path(__file__).with_name("tensorflow_subset.proto")
FILE_DESCRIPTOR = _Parser(_SCHEMA.read_text()).parse("tfkg_graph/tensorflow_subset.proto")
POOL = descriptor_pool.DescriptorPool()
POOL.Add(FILE_DESCRIPTOR)


def message_class(name: str) -> type:
    """The message class for a (possibly nested) name such as ``'AttrValue.ListValue'``."""
    return message_factory.GetMessageClass(POOL.FindMessageTypeByName(f"tensorflow.{name}"))


def _export_top_level() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for msg in FILE_DESCRIPTOR.message_type:
        out[msg.name] = message_class(msg.name)
    for enum in FILE_DESCRIPTOR.enum_type:
        out[enum.name] = POOL.FindEnumTypeByName(f"tensorflow.{enum.name}")
    return out


globals().update(_export_top_level())


def to_text(msg: Any) -> str:
    """Deterministic text form (TF's ``.pbtxt``)."""
    return text_format.MessageToString(msg)


def from_text(text: str, cls: type) -> Any:
    return text_format.Parse(text, cls())


def to_bytes(msg: Any) -> bytes:
    """Deterministic binary form: map entries sorted so the same graph gives the same bytes."""
    return msg.SerializeToString(deterministic=True)
