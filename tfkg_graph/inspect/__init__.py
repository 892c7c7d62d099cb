"""tfkg-inspect: look inside GraphDefs, SavedModels, checkpoints and tfkg_graph model directories.

Nothing is executed and TensorFlow's Python package is never imported: files are parsed with our own
protos (``tfkg_graph.runtime.protos``) and checkpoint indexes with ``tfkg_graph.saving.bundle``. The
installed TF's op registry (through the C library) is used only to flag unknown ops; without the
library the tool still works and says so.

``load`` reads a path into an ``Artifact``; ``summarize``, ``node_info``, ``find_nodes``, ``subgraph``,
``to_dot``/``to_svg`` and ``diff`` return JSON-able data (``render`` turns it into text); ``cli.main``
is the ``tfkg-inspect`` command.
"""
from .cli import main
from .diff import diff
from .dot import dot_available, to_dot, to_svg
from .load import Artifact, load
from .render import format_diff, format_node, format_subgraph, format_summary
from .summary import op_registry, safe_loading_verdict, summarize
from .query import find_nodes, node_info, subgraph
from .views import GraphView, InspectError, attr_value, dtype_name, parse_input, part_of, shape_list, shape_text

__all__ = ["main", "diff", "dot_available", "to_dot", "to_svg", "Artifact", "load", "format_diff", "format_node",
           "format_subgraph", "format_summary", "op_registry", "safe_loading_verdict", "summarize", "GraphView",
           "InspectError", "attr_value", "dtype_name", "find_nodes", "node_info", "parse_input", "part_of",
           "shape_list", "shape_text", "subgraph"]
