"""Rules that are one TF "XGrad" kernel each, as a table (like JAX's defjvp one-liners).

Each entry: the gradient op and its operands in OpDef order, drawn from ``dy`` (the incoming
gradient), ``x`` (the op's input) and ``y`` (the op's output), plus attrs copied from the forward op.
"""
from __future__ import annotations

from typing import Any

from .gradients import register

GRAD_KERNELS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # activations (nn_ops.cc): most take the output, the rest the input
    "Relu": ("ReluGrad", ("dy", "y"), ()),
    "Relu6": ("Relu6Grad", ("dy", "x"), ()),
    "Elu": ("EluGrad", ("dy", "y"), ()),
    "Selu": ("SeluGrad", ("dy", "y"), ()),
    "LeakyRelu": ("LeakyReluGrad", ("dy", "x"), ("alpha",)),
    "Softplus": ("SoftplusGrad", ("dy", "x"), ()),
    "Softsign": ("SoftsignGrad", ("dy", "x"), ()),
    # cwise "XGrad(y, dy)" kernels (math_ops.cc)
    "Sqrt": ("SqrtGrad", ("y", "dy"), ()),
    "Rsqrt": ("RsqrtGrad", ("y", "dy"), ()),
    "Reciprocal": ("ReciprocalGrad", ("y", "dy"), ()),
    "Sigmoid": ("SigmoidGrad", ("y", "dy"), ()),
    "Tanh": ("TanhGrad", ("y", "dy"), ()),
}


def _kernel_rule(grad_op: str, operands: tuple[str, ...], attrs: tuple[str, ...]) -> Any:
    def rule(op: Any, grad: Any) -> list[Any]:
        values = {"dy": grad, "x": op.inputs[0], "y": op.outputs[0]}
        return [op.graph.create_op(grad_op, [values[o] for o in operands],
                                   {a: op.get_attr(a) for a in attrs}).outputs[0]]
    rule.__name__ = f"_{grad_op}"
    return rule


for _op_type, (_grad_op, _operands, _attrs) in GRAD_KERNELS.items():
    register(_op_type)(_kernel_rule(_grad_op, _operands, _attrs))
