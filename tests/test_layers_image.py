"""The image preprocessing layers and the numeric lookup layers against Keras 3.

Deterministic layers (and every layer at inference) give Keras' numbers and dtypes. Random layers when
training are checked two ways: with factor ranges that collapse to one value (so Keras' result is exact),
and by invariants of the draws (flips are exact flips, brightness shifts stay in range, crops are windows
of the input, seeded graphs repeat). Configs match Keras' and round-trip."""
from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from tfkg_graph import layers  # noqa: E402
from tfkg_graph.graph import Graph, placeholder  # noqa: E402
from tfkg_graph.runtime import Session  # noqa: E402

RNG = np.random.default_rng(23)
IMG = RNG.uniform(0, 255, (3, 8, 6, 3)).astype("float32")
IMG_CF = np.transpose(IMG, (0, 3, 1, 2)).copy()
SMALL = RNG.uniform(0, 1, (2, 4, 5, 3)).astype("float32")


def run(layer, x, training=False, runs=1, unknown_batch=False):
    g = Graph(seed=3)
    with g.as_default():
        ph = placeholder(str(x.dtype), (None, *x.shape[1:]) if unknown_batch else x.shape)
        out = layer(ph, training=training)
    with Session(g) as sess:
        values = [sess.run(out.name, {ph.name: x}) for _ in range(runs)]
    assert out.shape is not None and len(out.shape) == values[0].ndim, "static rank"
    assert all(s is None or s == d for s, d in zip(out.shape, values[0].shape)), "static shape"
    return values if runs > 1 else values[0]


def keras_run(factory, x, training):
    return keras.ops.convert_to_numpy(factory(keras.layers)(x, training=training))


def assert_same(ours, theirs, tol=2e-4):
    assert ours.dtype == theirs.dtype, f"dtype {ours.dtype} vs Keras {theirs.dtype}"
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours.astype("float64"), theirs.astype("float64"), rtol=tol, atol=tol)


EXACT = [  # (id, factory over a layers module, input): Keras' result is deterministic when training
    ("resizing", lambda L: L.Resizing(5, 9), IMG),
    ("resizing_nearest_cf", lambda L: L.Resizing(3, 4, "nearest", data_format="channels_first"), IMG_CF),
    ("resizing_crop", lambda L: L.Resizing(4, 4, crop_to_aspect_ratio=True), IMG),
    ("resizing_pad", lambda L: L.Resizing(4, 8, pad_to_aspect_ratio=True, fill_value=1.0), IMG),
    ("resizing_antialias_single", lambda L: L.Resizing(3, 2, antialias=True), IMG[0]),
    ("resizing_uint8", lambda L: L.Resizing(5, 4, "bicubic"), IMG.astype("uint8")),
    ("center_crop", lambda L: L.CenterCrop(5, 3), IMG),
    ("center_crop_cf_single", lambda L: L.CenterCrop(4, 4, data_format="channels_first"), IMG_CF[0]),
    ("center_crop_upsizes", lambda L: L.CenterCrop(10, 4), IMG),
    ("auto_contrast", lambda L: L.AutoContrast(), IMG),
    ("auto_contrast_unit_range", lambda L: L.AutoContrast((0, 1)), SMALL),
    ("brightness_point", lambda L: L.RandomBrightness((0.1, 0.1)), IMG),
    ("brightness_point_unit", lambda L: L.RandomBrightness((-0.2, -0.2), value_range=(0, 1)), SMALL),
    ("contrast_identity", lambda L: L.RandomContrast((0.0, 0.0)), IMG),
    ("solarization_invert_all", lambda L: L.Solarization(0.0, (0.0, 0.0)), IMG),
    ("solarization_unit_range", lambda L: L.Solarization(0.0, (0.0, 0.0), value_range=(0, 1)), SMALL),
    ("grayscale_always", lambda L: L.RandomGrayscale(1.0), IMG),
    ("grayscale_never", lambda L: L.RandomGrayscale(0.0), IMG),
    ("grayscale_always_cf", lambda L: L.RandomGrayscale(1.0, data_format="channels_first"), IMG_CF),
    ("invert_always", lambda L: L.RandomInvert((1.0, 1.0)), IMG),
    ("invert_never", lambda L: L.RandomInvert((0.0, 0.0), value_range=(0, 1)), SMALL),
    ("posterization_fixed", lambda L: L.RandomPosterization((3, 3)), IMG),
    ("posterization_unit", lambda L: L.RandomPosterization((5, 5), value_range=(0, 1)), SMALL),
    ("translation_point", lambda L: L.RandomTranslation((0.25, 0.25), (-0.5, -0.5), fill_mode="constant",
                                                        interpolation="nearest"), IMG),
    ("translation_point_reflect", lambda L: L.RandomTranslation((-0.3, -0.3), (0.2, 0.2)), IMG),
    ("translation_point_cf", lambda L: L.RandomTranslation((0.1, 0.1), (0.3, 0.3), fill_mode="wrap",
                                                           data_format="channels_first"), IMG_CF),
    ("rotation_quarter", lambda L: L.RandomRotation((0.25, 0.25), fill_mode="constant"), IMG[:, :6]),
    ("rotation_point", lambda L: L.RandomRotation((0.1, 0.1), fill_mode="nearest", fill_value=3.0), IMG),
    ("rotation_point_single", lambda L: L.RandomRotation((-0.05, -0.05), interpolation="nearest"), IMG[0]),
    ("zoom_point", lambda L: L.RandomZoom((0.3, 0.3)), IMG),
    ("zoom_point_wh", lambda L: L.RandomZoom((-0.2, -0.2), (0.4, 0.4), fill_mode="constant"), IMG),
    ("zoom_point_cf", lambda L: L.RandomZoom((0.5, 0.5), fill_mode="wrap", data_format="channels_first"), IMG_CF),
    ("random_crop_small_input", lambda L: L.RandomCrop(8, 3), IMG),
    ("degeneration_point", lambda L: L.RandomColorDegeneration((0.4, 0.4)), IMG),
    ("degeneration_point_cf", lambda L: L.RandomColorDegeneration((0.7, 0.7), data_format="channels_first"), IMG_CF),
    ("saturation_point", lambda L: L.RandomSaturation((0.3, 0.3)), IMG),
    ("saturation_point_unit_cf", lambda L: L.RandomSaturation((0.8, 0.8), value_range=(0, 1),
                                                              data_format="channels_first"), np.transpose(SMALL, (0, 3, 1, 2)).copy()),
    ("hue_identity", lambda L: L.RandomHue((0.0, 0.0)), IMG),
    ("sharpness_point", lambda L: L.RandomSharpness((0.8, 0.8)), IMG),
    ("sharpness_point_cf", lambda L: L.RandomSharpness((0.3, 0.3), data_format="channels_first"), IMG_CF),
    ("shear_identity", lambda L: L.RandomShear(0.0, 0.0), IMG),
    ("gaussian_blur_point", lambda L: L.RandomGaussianBlur((1.0, 1.0), 3, (0.6, 0.6)), IMG),
    ("gaussian_blur_uneven_cf", lambda L: L.RandomGaussianBlur((1.0, 1.0), (3, 5), (0.9, 0.9),
                                                               data_format="channels_first"), IMG_CF),
    ("gaussian_blur_never", lambda L: L.RandomGaussianBlur((0.0, 0.0)), IMG),
    ("perspective_still", lambda L: L.RandomPerspective(1.0, 0.0), IMG),
    ("erasing_never", lambda L: L.RandomErasing((0.0, 0.0), fill_value=3.0), IMG),
    ("elastic_no_scale", lambda L: L.RandomElasticTransform(1.0, 0.0), IMG),
    ("clahe", lambda L: L.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2)), IMG),
    ("clahe_padded_no_clip", lambda L: L.ContrastLimitedAdaptiveHistogramEqualization(clip_limit=0.0,
                                                                                        tile_grid_size=(3, 4)), IMG),
    ("clahe_unit_cf", lambda L: L.ContrastLimitedAdaptiveHistogramEqualization(
        (0, 1), 2.0, (3, 2), data_format="channels_first"), np.transpose(SMALL, (0, 3, 1, 2)).copy()),
    ("clahe_uint8_single", lambda L: L.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 3)),
     IMG[0].astype("uint8")),
    ("elastic_never_cf", lambda L: L.RandomElasticTransform((0.0, 0.0), data_format="channels_first"), IMG_CF),
    ("equalization", lambda L: L.Equalization(), np.round(IMG * 0.5 + 40)),
    ("equalization_bins_cf", lambda L: L.Equalization(bins=64, data_format="channels_first"), np.round(IMG_CF)),
    ("equalization_unit_range", lambda L: L.Equalization((0, 1)), SMALL),
    ("equalization_flat", lambda L: L.Equalization(), np.full((2, 4, 4, 3), 9.0, "float32")),
    ("perspective_never_cf", lambda L: L.RandomPerspective((0.0, 0.0), data_format="channels_first"), IMG_CF),
    ("jitter_point", lambda L: L.RandomColorJitter(brightness_factor=(0.1, 0.1), contrast_factor=(0.0, 0.0),
                                                   saturation_factor=(0.6, 0.6), hue_factor=(0.0, 0.0)), IMG),
]
RANDOM = [  # layers whose training output is random: inference is compared with Keras
    ("flip", lambda L: L.RandomFlip(seed=1), IMG),
    ("flip_cf", lambda L: L.RandomFlip("horizontal", data_format="channels_first"), IMG_CF),
    ("brightness", lambda L: L.RandomBrightness(0.3), IMG),
    ("contrast", lambda L: L.RandomContrast(0.5), IMG),
    ("solarization", lambda L: L.Solarization(0.2, 0.5), IMG),
    ("grayscale", lambda L: L.RandomGrayscale(0.5), IMG),
    ("invert", lambda L: L.RandomInvert(0.5), IMG),
    ("posterization", lambda L: L.RandomPosterization(4), IMG),
    ("translation", lambda L: L.RandomTranslation(0.2, 0.3), IMG),
    ("rotation", lambda L: L.RandomRotation(0.2), IMG),
    ("zoom", lambda L: L.RandomZoom(0.2), IMG_CF[0]),
    ("degeneration", lambda L: L.RandomColorDegeneration(0.5), IMG),
    ("saturation", lambda L: L.RandomSaturation(0.5), IMG),
    ("hue", lambda L: L.RandomHue(0.5, value_range=(255, 0)), IMG),
    ("sharpness", lambda L: L.RandomSharpness(0.5), IMG),
    ("shear", lambda L: L.RandomShear(0.3, (0.1, 0.2), fill_mode="constant"), IMG),
    ("gaussian_blur", lambda L: L.RandomGaussianBlur(0.5, 5, 0.8), IMG),
    ("perspective", lambda L: L.RandomPerspective(0.7, 0.4, "nearest", 5.0), IMG),
    ("erasing", lambda L: L.RandomErasing(0.5, (0.1, 0.2), fill_value=(1, 2, 3), seed=2), IMG),
    ("erasing_noise", lambda L: L.RandomErasing(), IMG),
    ("elastic", lambda L: L.RandomElasticTransform(0.8, 0.5, "nearest", "constant", 2.0, seed=4), IMG),
    ("jitter", lambda L: L.RandomColorJitter(brightness_factor=0.2, hue_factor=0.3, seed=3), IMG),
]


@pytest.mark.parametrize("name,factory,x", EXACT, ids=[c[0] for c in EXACT])
def test_layer_matches_keras_when_training(name, factory, x):
    tol = 1 if x.dtype == np.uint8 else 2e-3 if "rotation" in name or "zoom" in name else 2e-4
    assert_same(run(factory(layers), x, training=True), keras_run(factory, x, True), tol)


INFERENCE = [c for c in EXACT + RANDOM if not c[0].startswith("random_crop")]  # RandomCrop: see its own test


@pytest.mark.parametrize("name,factory,x", INFERENCE, ids=[c[0] for c in INFERENCE])
def test_layer_matches_keras_at_inference(name, factory, x):
    tol = 1 if x.dtype == np.uint8 else 2e-4
    assert_same(run(factory(layers), x, training=False), keras_run(factory, x, False), tol)


def _plain(config):
    return {k: json.loads(json.dumps(v)) for k, v in config.items() if k not in ("name", "trainable", "dtype")}


def test_random_crop_at_inference_takes_the_centre_window_keras_documents():
    """docs/differences.md: Keras documents the largest centred window of the target aspect ratio, resized,
    at inference (smart_resize); Keras 3's code passes the images through unchanged."""
    ours = run(layers.RandomCrop(4, 5, seed=2), IMG, training=False)
    documented = keras.ops.convert_to_numpy(keras.ops.image.resize(IMG, (4, 5), crop_to_aspect_ratio=True))
    assert_same(ours, documented.astype("float32"), 2e-4)
    theirs = keras_run(lambda L: L.RandomCrop(4, 5, seed=2), IMG, False)
    assert theirs.shape == IMG.shape, "Keras now crops at inference: drop the entry in docs/differences.md"


@pytest.mark.parametrize("name,factory,x", EXACT + RANDOM + [("crop", lambda L: L.RandomCrop(4, 3, seed=2), IMG)],
                         ids=[c[0] for c in EXACT + RANDOM] + ["crop"])
def test_config_matches_keras_and_round_trips(name, factory, x):
    ours, theirs = factory(layers), factory(keras.layers)
    mine, keras_config = _plain(ours.get_config()), _plain(theirs.get_config())
    if name.startswith(("crop", "random_crop")):   # Keras draws a seed when none is given
        mine.pop("seed"), keras_config.pop("seed")
    assert mine == keras_config
    again = type(ours).from_config(ours.get_config())
    assert _plain(again.get_config()) == _plain(ours.get_config())


# ---- random layers when training: invariants of the draws ---------------------------------------
def test_flips_are_exact_flips_and_both_outcomes_occur():
    outs = run(layers.RandomFlip("horizontal", seed=5), IMG, training=True, runs=8)
    seen = set()
    for out in outs:
        for image, original in zip(out, IMG):
            flipped = np.array_equal(image, original[:, ::-1])
            assert flipped or np.array_equal(image, original)
            seen.add(flipped)
    assert seen == {True, False}


def test_flip_both_ways_uses_one_coin_per_image():
    for out in run(layers.RandomFlip(seed=4), IMG, training=True, runs=6):
        for image, original in zip(out, IMG):
            assert np.array_equal(image, original) or np.array_equal(image, original[::-1, ::-1])


def test_seeded_graphs_repeat_and_runs_differ():
    first = run(layers.RandomRotation(0.3, seed=11), IMG, training=True, runs=2)
    second = run(layers.RandomRotation(0.3, seed=11), IMG, training=True, runs=2)
    np.testing.assert_array_equal(first[0], second[0])
    assert not np.array_equal(first[0], first[1])


def test_brightness_shift_is_one_value_per_image_within_the_range():
    x = RNG.uniform(100, 150, (6, 4, 4, 3)).astype("float32")
    for out in run(layers.RandomBrightness((-0.1, 0.2)), x, training=True, runs=3):
        delta = out - x
        per_image = delta.reshape(6, -1)
        np.testing.assert_allclose(per_image, per_image[:, :1].repeat(per_image.shape[1], 1), atol=1e-3)
        assert (per_image >= -0.1 * 255 - 1e-3).all() and (per_image <= 0.2 * 255 + 1e-3).all()


def test_contrast_scales_each_image_about_its_channel_means():
    x = RNG.uniform(100, 150, (5, 4, 4, 3)).astype("float32")
    out = run(layers.RandomContrast((0.2, 0.4)), x, training=True)
    mean = x.mean(axis=(1, 2), keepdims=True)
    factor = (out - mean)[:, 0, 0, 0] / (x - mean)[:, 0, 0, 0]
    assert ((factor >= 0.8 - 1e-3) & (factor <= 1.4 + 1e-3)).all()
    np.testing.assert_allclose(out, (x - mean) * factor[:, None, None, None] + mean, rtol=1e-4, atol=1e-2)


def test_random_crop_is_a_window_of_the_input():
    layer = layers.RandomCrop(5, 4, seed=9)
    for out in run(layer, IMG, training=True, runs=4):
        assert out.shape == (3, 5, 4, 3)
        matches = [(i, j) for i in range(4) for j in range(3) if np.array_equal(out, IMG[:, i:i + 5, j:j + 4])]
        assert len(matches) == 1


def test_grayscale_and_invert_pick_whole_images():
    gray = keras.ops.convert_to_numpy(keras.ops.image.rgb_to_grayscale(IMG))
    for out in run(layers.RandomGrayscale(0.5, seed=1), IMG, training=True, runs=4):
        for image, original, g in zip(out, IMG, gray):
            assert np.allclose(image, original) or np.allclose(image, np.repeat(g, 3, -1), atol=1e-3)
    for out in run(layers.RandomInvert(0.5, seed=1), IMG, training=True, runs=4):
        for image, original in zip(out, IMG):
            assert np.allclose(image, original) or np.allclose(image, 255 - original)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_hue_shift_is_keras_transform_with_one_of_the_two_signs(data_format):
    """The sign of the hue shift is a coin per image: each image is Keras' transform with +f/2 or -f/2."""
    x = IMG if data_format == "channels_last" else IMG_CF
    out = run(layers.RandomHue((0.4, 0.4), data_format=data_format, seed=3), x, training=True)
    theirs = keras.layers.RandomHue((0.4, 0.4), data_format=data_format)
    for i, image in enumerate(out):
        shifted = {s: keras.ops.convert_to_numpy(theirs.transform_images(
            x[i:i + 1], {"factor": np.float32([s * 0.2])}, training=True))[0] for s in (1, -1)}
        assert any(np.allclose(image, want, atol=2e-2) for want in shifted.values()), f"image {i}"


def test_shear_is_keras_transform_with_one_of_the_two_signs():
    out = run(layers.RandomShear((0.3, 0.3), (0.1, 0.1), seed=4), IMG, training=True)
    theirs = keras.layers.RandomShear((0.3, 0.3), (0.1, 0.1))
    for i, image in enumerate(out):
        sheared = [keras.ops.convert_to_numpy(theirs.transform_images(
            IMG[i:i + 1], {"shear_factor": np.float32([[s * 0.3, s * 0.1]])}, training=True))[0] for s in (1, -1)]
        assert any(np.allclose(image, want, atol=1e-2) for want in sheared), f"image {i}"


def test_perspective_moves_corners_within_the_scale():
    """What any draw within the scale guarantees (scale 0.2: each corner moves by at most 10% of its
    coordinates): the image centre still samples the image, and some border gets the fill value."""
    x = np.ones((4, 20, 20, 1), "float32")
    out = run(layers.RandomPerspective((1.0, 1.0), 0.2, fill_value=0.0, seed=5), x, training=True)
    assert out.shape == x.shape and np.isfinite(out).all()
    np.testing.assert_allclose(out[:, 5:15, 5:15], 1.0, atol=1e-5)   # the centre never leaves the image
    assert (out < 0.5).any()                                          # some border is filled


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_erasing_fills_one_rectangle_of_the_drawn_size(data_format):
    x = RNG.uniform(100, 200, (5, 12, 10, 3)).astype("float32")
    x_in = x if data_format == "channels_last" else np.transpose(x, (0, 3, 1, 2)).copy()
    out = run(layers.RandomErasing((1.0, 1.0), (0.25, 0.25), fill_value=7.0, data_format=data_format, seed=6),
              x_in, training=True)
    out = out if data_format == "channels_last" else np.transpose(out, (0, 2, 3, 1))
    for image, original in zip(out, x):
        filled = np.all(image == 7.0, axis=-1)
        np.testing.assert_array_equal(image[~filled], original[~filled])
        rows, cols = np.nonzero(filled.any(axis=1))[0], np.nonzero(filled.any(axis=0))[0]
        assert filled[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()   # one rectangle
        assert len(rows) in (6, 7) and len(cols) in (5, 6)   # sides sqrt(0.25) of 12 and 10, on the pixel grid


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_elastic_transform_layer_warps_smoothly_within_range(data_format):
    """A smooth warp of a linear ramp stays close to the ramp: displacements are bounded by the drawn alpha."""
    ramp = np.broadcast_to(np.arange(24, dtype="float32")[None, :, None, None] * 10, (3, 24, 24, 2)).copy()
    x = ramp if data_format == "channels_last" else np.transpose(ramp, (0, 3, 1, 2)).copy()
    out = run(layers.RandomElasticTransform((1.0, 1.0), (0.5, 0.5), data_format=data_format, seed=8), x,
              training=True)
    assert out.shape == x.shape and (out >= 0).all() and (out <= 255).all()
    assert not np.allclose(out, x)                                   # it moved pixels
    assert np.abs(out - x).max() <= 10 * (0.1 * 0.5 * 24 * 4)       # rows move by a few alphas at most


def test_posterization_keeps_top_bits_in_the_drawn_range():
    x = RNG.integers(0, 256, (6, 4, 4, 3)).astype("float32")
    for out in run(layers.RandomPosterization((2, 5), seed=2), x, training=True, runs=3):
        for image, original in zip(out, x):
            kept = [bits for bits in (2, 3, 4) if np.array_equal(image, (original.astype("uint8") >> (8 - bits))
                                                                 << (8 - bits))]
            assert kept


@pytest.mark.parametrize("factory", [lambda L: L.RandomTranslation(0.2, 0.2, fill_mode="constant"),
                                     lambda L: L.RandomZoom((-0.3, 0.3)), lambda L: L.RandomRotation(0.1)])
def test_geometric_layers_keep_shapes_with_unknown_batch(factory):
    out = run(factory(layers), IMG, training=True, unknown_batch=True)
    assert out.shape == IMG.shape and np.isfinite(out).all()


def test_preprocessing_model_predicts_like_keras():
    def build(root):
        L = root.layers
        inputs = L.Input((8, 6, 3))
        x = L.Resizing(4, 4)(inputs)
        x = L.RandomFlip(seed=1)(x)
        x = L.RandomRotation(0.2, seed=1)(x)
        x = L.RandomContrast(0.3)(x)
        x = L.Rescaling(1 / 255)(L.CenterCrop(3, 3)(x))
        return root.models.Model(inputs, L.Dense(2)(L.Flatten()(x)))
    ours, theirs = build(tfkg_graph), build(keras)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(IMG, verbose=0), theirs.predict(IMG, verbose=0), rtol=1e-4, atol=1e-4)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="factor"):
        layers.RandomBrightness(1.5)
    with pytest.raises(NotImplementedError, match="fill_mode"):
        layers.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="mode"):
        layers.RandomFlip("diagonal")
    g = Graph()
    with g.as_default(), pytest.raises(ValueError, match="rank"):
        layers.RandomFlip()(placeholder("float32", (4, 4)), training=True)


def test_model_with_augmentation_saves_and_loads(tmp_path):
    L = layers
    inputs = L.Input((8, 6, 3))
    x = L.RandomZoom(0.2, seed=1)(L.RandomTranslation(0.1, 0.1)(L.RandomFlip()(inputs)))
    x = L.RandomRotation(0.1)(L.Resizing(4, 4, "bicubic")(x))
    x = L.Solarization(0.1, 0.5)(L.RandomPosterization(4)(L.AutoContrast()(x)))
    model = tfkg_graph.models.Model(inputs, L.Dense(2)(L.Flatten()(L.Rescaling(1 / 255)(x))))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(IMG, np.zeros((3, 2), "float32"), epochs=1, verbose=0)
    model.save(str(tmp_path / "saved"))
    loaded = tfkg_graph.models.load_model(str(tmp_path / "saved"))
    np.testing.assert_allclose(loaded.predict(IMG, verbose=0), model.predict(IMG, verbose=0), rtol=1e-6)


def test_keras_archives_load_both_ways(tmp_path):
    """A Keras .keras file with these layers loads here and predicts like Keras' model at inference; ours
    saved as .keras loads in Keras with the same predictions."""
    def build(root):
        L = root.layers
        inputs = L.Input((8, 6, 3))
        x = L.RandomFlip(seed=1)(L.Resizing(5, 4, "bicubic")(inputs))
        x = L.RandomZoom(0.2)(L.RandomTranslation(0.1, 0.2)(L.RandomRotation(0.1)(x)))
        x = L.Solarization(0.1, 0.5)(L.RandomBrightness(0.2)(L.RandomContrast(0.3)(x)))
        x = L.RandomGrayscale(0.3)(L.RandomInvert(0.4)(L.RandomPosterization(5)(x)))
        x = L.AutoContrast()(L.CenterCrop(4, 3)(L.RandomCrop(5, 4)(x)))
        return root.models.Model(inputs, L.Dense(2)(L.Flatten()(x)))
    theirs = build(keras)
    theirs.save(str(tmp_path / "theirs.keras"))
    ours = tfkg_graph.models.load_model(str(tmp_path / "theirs.keras"))
    expected = keras.ops.convert_to_numpy(theirs(IMG, training=False))
    np.testing.assert_allclose(ours.predict(IMG, verbose=0), expected, rtol=1e-4, atol=1e-3)
    ours.save(str(tmp_path / "ours.keras"))
    again = keras.models.load_model(str(tmp_path / "ours.keras"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again(IMG, training=False)), expected, rtol=1e-4, atol=1e-3)
