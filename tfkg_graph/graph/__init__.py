"""Graph builder: Graph/Operation/Tensor, OpDef validation, static shapes and op constructors."""
from .graph import Graph, Operation, Tensor, get_default_graph
from .opdefs import GraphBuildError
from .ops import array, constants, math, nn, state
from .ops.constants import constant, placeholder
from .ops.state import Variable

__all__ = ["Graph", "Operation", "Tensor", "get_default_graph", "GraphBuildError", "array", "constants",
           "math", "nn", "state", "constant", "placeholder", "Variable"]
