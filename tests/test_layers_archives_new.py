"""The layers added for issue 19 through whole-model ``.keras`` files, both ways, with Keras as the oracle
(the procedure of tests/test_keras_archive_layers.py: Keras trains and saves, we load, predict and train,
we save, Keras loads, predicts and trains). Noise rates are 0: the two sides draw different noise."""
import numpy as np
import pytest

import tfkg_graph
from _keras_names import fresh_names  # noqa: F401  (autouse)
from _parity import assert_arrays_match, assert_weights_match
from test_keras_archive_layers import _data, _floats, build, fit

CASES = {
    "Dot": ([(3, 4), (2, 4)], lambda L, x: L.Dot(axes=2, normalize=True)([L.Dense(4)(x[0]), x[1]])),
    "ActivityRegularization": ([(4,)], lambda L, x: L.ActivityRegularization(l1=0.01)(L.Dense(3)(x[0]))),
    "GaussianNoise": ([(4,)], lambda L, x: L.GaussianNoise(0.0)(L.Dense(3)(x[0]))),
    "GaussianDropout": ([(4,)], lambda L, x: L.GaussianDropout(0.0)(L.Dense(3)(x[0]))),
    "AlphaDropout": ([(4,)], lambda L, x: L.AlphaDropout(0.0)(L.Dense(3)(x[0]))),
    "SpatialDropout3D": ([(2, 2, 2, 3)], lambda L, x: L.SpatialDropout3D(0.0)(x[0])),
    "UnitNormalization": ([(4,)], lambda L, x: L.UnitNormalization()(L.Dense(3)(x[0]))),
    "GroupNormalization": ([(3, 4)], lambda L, x: L.GroupNormalization(groups=2)(x[0])),
    "RMSNormalization": ([(4,)], lambda L, x: L.RMSNormalization()(L.Dense(3)(x[0]))),
    "ZeroPadding3D": ([(2, 2, 2, 1)], lambda L, x: L.ZeroPadding3D(1)(x[0])),
    "Cropping3D": ([(3, 3, 3, 2)], lambda L, x: L.Cropping3D(1)(x[0])),
    "UpSampling3D": ([(2, 1, 2, 2)], lambda L, x: L.UpSampling3D(2)(x[0])),
    "Attention": ([(3, 4), (2, 4)], lambda L, x: L.Attention(use_scale=True, score_mode="concat")(
        [L.Dense(4)(x[0]), x[1]])),
    "AdditiveAttention": ([(3, 4), (2, 4)], lambda L, x: L.AdditiveAttention()([L.Dense(4)(x[0]), x[1]])),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_new_layer_moves_through_keras_archives(case, keras, tmp_path):
    inputs, body = CASES[case]
    x = _data(inputs)
    x = x if len(x) > 1 else x[0]
    y = _floats(2)
    theirs = build(keras, inputs, body)
    theirs.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5), loss="mse", run_eagerly=True)
    fit(theirs, x, y)
    theirs.save(tmp_path / "theirs.keras")

    ours = tfkg_graph.models.load_model(str(tmp_path / "theirs.keras"))
    assert [type(l).__name__ for l in ours.layers] == [type(l).__name__ for l in theirs.layers]
    assert_arrays_match(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), "loaded predictions")
    fit(ours, x, y)
    fit(theirs, x, y)
    assert_weights_match(ours, theirs)

    ours.save(str(tmp_path / "ours.keras"))
    back = keras.models.load_model(tmp_path / "ours.keras")
    back.run_eagerly = True
    assert_arrays_match(back.predict(x, verbose=0), ours.predict(x, verbose=0), "predictions in Keras")
    fit(back, x, y)
    fit(ours, x, y)
    assert_weights_match(ours, back)
    assert np.isfinite(ours.predict(x, verbose=0)).all()
