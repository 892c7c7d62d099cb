"""Our proto subset must be wire-compatible with TensorFlow's: same field numbers, types, labels."""
import pytest

from tfkg_graph.runtime import protos

tf = pytest.importorskip("tensorflow")

from google.protobuf import descriptor_pool as _pool_mod  # noqa: E402


def _tf_descriptor(full_name):
    # importing TF registers its protos in the default pool
    import tensorflow.core.framework.graph_pb2  # noqa: F401
    import tensorflow.core.framework.summary_pb2  # noqa: F401
    import tensorflow.core.protobuf.config_pb2  # noqa: F401
    import tensorflow.core.protobuf.meta_graph_pb2  # noqa: F401
    import tensorflow.core.protobuf.saved_model_pb2  # noqa: F401
    import tensorflow.core.protobuf.saver_pb2  # noqa: F401
    import tensorflow.core.protobuf.tensor_bundle_pb2  # noqa: F401
    import tensorflow.core.protobuf.trackable_object_graph_pb2  # noqa: F401
    import tensorflow.core.protobuf.tensorflow_server_pb2  # noqa: F401
    import tensorflow.core.util.event_pb2  # noqa: F401
    import tensorflow.python.training.checkpoint_state_pb2  # noqa: F401
    return _pool_mod.Default().FindMessageTypeByName(full_name)


def _all_messages(descriptor):
    yield descriptor
    for nested in descriptor.nested_types:
        yield from _all_messages(nested)


OURS = [m for top in protos.POOL.FindFileByName("tfkg_graph/tensorflow_subset.proto").message_types_by_name.values()
        for m in _all_messages(top)]


@pytest.mark.parametrize("ours", OURS, ids=lambda d: d.full_name)
def test_fields_match_tensorflow(ours):
    theirs = _tf_descriptor(ours.full_name)
    assert theirs is not None, f"TF has no message {ours.full_name}"
    for field in ours.fields:
        other = theirs.fields_by_name.get(field.name)
        assert other is not None, f"{ours.full_name}.{field.name} does not exist in TF"
        assert (field.number, field.type) == (other.number, other.type), f"{ours.full_name}.{field.name}"
        assert field.is_repeated == other.is_repeated, f"{ours.full_name}.{field.name} repeatedness"
        if field.message_type is not None:
            assert field.message_type.full_name == other.message_type.full_name
        if field.enum_type is not None:
            assert field.enum_type.full_name == other.enum_type.full_name
        if field.containing_oneof is not None:
            assert other.containing_oneof is not None
            assert field.containing_oneof.name == other.containing_oneof.name


def test_enum_values_match_tensorflow():
    theirs = _tf_descriptor("tensorflow.GraphDef").file.pool.FindEnumTypeByName("tensorflow.DataType")
    for value in protos.DataType.values:
        assert theirs.values_by_name[value.name].number == value.number, value.name


def test_graph_def_bytes_parse_in_tensorflow():
    from tfkg_graph.graph import Graph, math, placeholder
    g = Graph()
    with g.as_default():
        math.square(placeholder("float32", [None, 2], name="x"), name="y")
    parsed = tf.compat.v1.GraphDef.FromString(g.to_bytes())
    assert [n.name for n in parsed.node] == ["x", "y"]
    assert parsed.node[0].attr["shape"].shape.dim[1].size == 2
    assert parsed.versions.producer > 0
