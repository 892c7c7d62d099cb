"""Graphs are programs: refuse to load ones that could touch files or run foreign code.

A loaded graph is checked op by op (function bodies included) against an allowlist of pure compute,
variable and control-flow ops. File I/O is allowed only where the loader itself drives it: SaveV2 and
RestoreV2 whose prefix is the SaverDef's filename tensor (the path the loader feeds).
"""
from __future__ import annotations

from typing import Any, Iterable

_MATH = """Abs Acos Acosh AddN AddV2 Add All Any ApproximateEqual ArgMax ArgMin Asin Asinh Atan Atan2 Atanh
BatchMatMul BatchMatMulV2 BatchMatMulV3 Betainc BiasAdd BiasAddGrad BiasAddV1 Bucketize Cast Ceil ClipByValue
ComplexAbs Cos Cosh Cross Cumprod Cumsum Digamma Div DivNoNan Einsum Elu EluGrad Equal Erf Erfc Erfinv Exp
Expm1 Floor FloorDiv FloorMod Gelu Greater GreaterEqual Igamma Igammac InvertPermutation IsFinite IsInf
IsNan L2Loss LeakyRelu LeakyReluGrad Less LessEqual Lgamma Log Log1p LogSoftmax LogicalAnd LogicalNot
LogicalOr MatMul Max Maximum Mean Min Minimum Mod Mul MulNoNan Neg NextAfter NotEqual Pow Prod
RandomStandardNormal RandomUniform RandomUniformInt RealDiv Reciprocal ReciprocalGrad Relu Relu6 Relu6Grad
ReluGrad Rint Round Rsqrt RsqrtGrad Selu SeluGrad Sigmoid SigmoidGrad Sign Sin Sinh Softmax
SoftmaxCrossEntropyWithLogits Softplus SoftplusGrad Softsign SoftsignGrad
SparseSoftmaxCrossEntropyWithLogits Sqrt SqrtGrad Square SquaredDifference StatelessRandomNormal
StatelessRandomUniform StatelessTruncatedNormal Sub Sum Tan Tanh TanhGrad TopKV2 TruncateDiv TruncateMod
TruncatedNormal Xdivy Xlog1py Xlogy Zeta Qr"""
_NN = """AvgPool AvgPool3D AvgPoolGrad Conv2D Conv2DBackpropFilter Conv2DBackpropInput Conv3D
Conv3DBackpropFilterV2 Conv3DBackpropInputV2 DepthwiseConv2dNative DepthwiseConv2dNativeBackpropFilter
DepthwiseConv2dNativeBackpropInput Dilation2D FusedBatchNorm FusedBatchNormGrad FusedBatchNormGradV3
FusedBatchNormV2 FusedBatchNormV3 InTopKV2 LRN MaxPool MaxPool3D MaxPoolGrad MaxPoolGradV2 MaxPoolV2
MaxPoolWithArgmax ResizeBilinear ResizeBilinearGrad ResizeNearestNeighbor ResizeNearestNeighborGrad"""
_ARRAY = """BatchToSpaceND BroadcastArgs BroadcastGradientArgs BroadcastTo CheckNumerics Concat ConcatOffset
ConcatV2 Const DepthToSpace Diag DiagPart DynamicPartition DynamicStitch EnsureShape ExpandDims Fill Gather
GatherNd GatherV2 Identity IdentityN InvertPermutation LinSpace ListDiff MatrixBandPart MatrixDiagPartV3
MatrixDiagV3 MirrorPad NoOp OneHot OnesLike Pack Pad PadV2 Placeholder PlaceholderWithDefault
PreventGradient Range Rank Reshape ReverseV2 ScatterNd Select SelectV2 Shape ShapeN Size Slice Snapshot
SpaceToBatchND SpaceToDepth Split SplitV Squeeze StopGradient StridedSlice StridedSliceGrad Tile
TensorScatterUpdate Transpose Unique Unpack UnsortedSegmentMax UnsortedSegmentMin UnsortedSegmentSum Where
ZerosLike"""
_STRINGS = """AsString RegexFullMatch RegexReplace StaticRegexFullMatch StaticRegexReplace StringJoin
ShardedFilename StringLength StringLower StringSplitV2 StringStrip StringToHashBucketFast StringToNumber StringUpper Substr
HashTableV2 LookupTableFindV2 LookupTableImportV2 LookupTableSizeV2 MutableHashTableV2"""
_STATE = """AssignAddVariableOp AssignSubVariableOp AssignVariableOp DestroyResourceOp ReadVariableOp
ResourceApplyAdaGrad ResourceApplyAdagradV2 ResourceApplyAdam ResourceApplyAdamWithAmsgrad
ResourceApplyCenteredRMSProp ResourceApplyFtrl ResourceApplyFtrlV2 ResourceApplyGradientDescent
ResourceApplyKerasMomentum ResourceApplyMomentum ResourceApplyRMSProp ResourceGather ResourceScatterAdd
ResourceScatterUpdate ResourceSparseApplyAdagradV2 VarHandleOp VarIsInitializedOp Assign AssignAdd
AssignSub Variable VariableV2 IsVariableInitialized"""
_CONTROL = """Enter Exit LoopCond Merge NextIteration Switch If StatelessIf While StatelessWhile Case
StatelessCase PartitionedCall StatefulPartitionedCall Assert EmptyTensorList TensorListFromTensor
TensorListPopBack TensorListPushBack TensorListStack TensorListGetItem TensorListSetItem"""
SAVER_OPS = frozenset({"SaveV2", "RestoreV2", "MergeV2Checkpoints"})
_PATH_OPS = frozenset({"StringJoin", "ShardedFilename", "Identity", "Pack", "Const", "Select",
                       "StaticRegexFullMatch"})  # how TF's Saver derives shard paths from the filename

_LINALG_BITS = """BitwiseAnd BitwiseOr BitwiseXor Bitcast Cholesky CTCBeamSearchDecoder CTCGreedyDecoder CTCLoss
DenseBincount Invert LeftShift LogMatrixDeterminant LowerBound Lu MatrixDeterminant MatrixInverse MatrixSolve
MatrixTriangularSolve Multinomial RandomGamma RandomShuffle RightShift SelfAdjointEigV2 Svd TensorScatterAdd
TensorScatterMax TensorScatterMin UnsortedSegmentProd UpperBound"""
SAFE_OPS: frozenset[str] = frozenset(" ".join([_MATH, _NN, _ARRAY, _STRINGS, _STATE, _CONTROL, _LINALG_BITS]).split())


class UnsafeGraphError(ValueError):
    """The graph holds ops that are not allowed when loading (files, Python callbacks, unknown ops)."""


def _nodes(graph_def: Any) -> Iterable[tuple[str, Any]]:
    for node in graph_def.node:
        yield "", node
    for fn in graph_def.library.function:
        for node in fn.node_def:
            yield f"function {fn.signature.name}: ", node


def _paths_from(node: Any, filename: str, by_name: dict[str, Any]) -> bool:
    """True if every file path ``node`` reads or writes is computed from the filename tensor and
    constants only (TF's sharded saver writes ``<filename>_temp/part-00000-of-00001``)."""
    for path_input in node.input[:2 if node.op == "MergeV2Checkpoints" else 1]:
        stack, seen, reached = [path_input], set(), False
        while stack:
            name = stack.pop().lstrip("^").split(":")[0]
            if name in seen:
                continue
            seen.add(name)
            if name == filename:
                reached = True
                continue
            src = by_name.get(name)
            if src is None or src.op not in _PATH_OPS:
                return False
            stack.extend(i for i in src.input if not i.startswith("^"))
        if not reached:
            return False
    return True


def check_graph_def(graph_def: Any, saver_def: Any = None, allow_ops: Iterable[str] = ()) -> None:
    """Raises UnsafeGraphError naming every op outside the allowlist (plus ``allow_ops``).

    SaveV2/RestoreV2 pass only when their prefix input is the SaverDef's filename tensor."""
    allowed = SAFE_OPS | set(allow_ops)
    filename = ""
    if saver_def is not None and saver_def.filename_tensor_name:
        filename = saver_def.filename_tensor_name.removesuffix(":0")
    functions = {fn.signature.name for fn in graph_def.library.function}
    by_name = {node.name: node for node in graph_def.node}
    bad: dict[str, list[str]] = {}
    for where, node in _nodes(graph_def):
        op = node.op
        if op in allowed or op in functions:
            continue
        if op in SAVER_OPS and filename and not where and _paths_from(node, filename, by_name):
            continue
        bad.setdefault(op, []).append(where + node.name)
    if bad:
        listing = "; ".join(f"{op} ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})"
                            for op, names in sorted(bad.items()))
        raise UnsafeGraphError(f"refusing to load a graph with ops outside the allowlist: {listing}. "
                               "Pass allow_ops=[...] for ops you trust, or safe=False to skip the check.")
