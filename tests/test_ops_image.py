"""``tfkg_graph.ops.image`` against ``keras.ops.image`` on the same arrays (values and dtypes; channels last
and first; batched and single images; static and unknown placeholder dims), and gradients of the
differentiable ones against tf.GradientTape."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tfkg_graph import ops  # noqa: E402
from tfkg_graph.autodiff import gradients  # noqa: E402
from tfkg_graph.graph import Graph, placeholder  # noqa: E402
from tfkg_graph.graph.ops import math  # noqa: E402
from tfkg_graph.runtime import Session  # noqa: E402

RNG = np.random.default_rng(19)


def f32(*shape, lo=0.0, hi=1.0):
    return RNG.uniform(lo, hi, shape).astype("float32")


IMG, IMG1 = f32(2, 6, 5, 3), f32(7, 4, 3)                       # batch / single image, channels last
IMG_CF, IMG1_CF = np.transpose(IMG, (0, 3, 1, 2)).copy(), np.transpose(IMG1, (2, 0, 1)).copy()
U8 = RNG.integers(0, 256, (2, 5, 4, 3)).astype("uint8")
SHIFT = np.array([1, 0, -1.5, 0, 1, 2, 0, 0], "float32")
ROTATE = np.array([[0.9, -0.3, 1.0, 0.3, 0.9, -0.5, 0.0, 0.0], [1.1, 0.1, -0.5, -0.2, 0.8, 0.7, 0.001, -0.002]],
                  "float32")
CORNERS = np.array([[0, 0], [4, 0], [0, 5], [4, 5]], "float32")
MOVED = np.array([[0.5, 0.2], [3.6, -0.3], [0.1, 5.2], [4.3, 4.4]], "float32")

COORDS = RNG.uniform(-3, 9, (2, 3, 4)).astype("float32")

CASES = [  # (id, fn over an image module, inputs)
    ("gray", lambda o, x: o.rgb_to_grayscale(x), [IMG]),
    ("gray_cf_single", lambda o, x: o.rgb_to_grayscale(x, "channels_first"), [IMG1_CF]),
    ("gray_uint8", lambda o, x: o.rgb_to_grayscale(x), [U8]),
    ("gray_one_channel", lambda o, x: o.rgb_to_grayscale(x), [IMG[..., :1].copy()]),
    ("hsv", lambda o, x: o.rgb_to_hsv(x), [np.concatenate([IMG, np.zeros((2, 6, 5, 3), "float32"),
                                                          np.full((2, 6, 5, 3), 0.5, "float32")], 1)]),
    ("hsv_plain", lambda o, x: o.rgb_to_hsv(x), [IMG]),
    ("hsv_cf_single", lambda o, x: o.rgb_to_hsv(x, "channels_first"), [IMG1_CF]),
    ("rgb", lambda o, x: o.hsv_to_rgb(x), [IMG]),
    ("rgb_round_trip_cf", lambda o, x: o.hsv_to_rgb(o.rgb_to_hsv(x, "channels_first"), "channels_first"), [IMG_CF]),
    ("resize_bilinear", lambda o, x: o.resize(x, (9, 4)), [IMG]),
    ("resize_nearest_cf", lambda o, x: o.resize(x, (3, 8), "nearest", data_format="channels_first"), [IMG_CF]),
    ("resize_nearest_uint8", lambda o, x: o.resize(x, (7, 9), "nearest"), [U8]),
    ("resize_bicubic_single", lambda o, x: o.resize(x, (5, 5), "bicubic"), [IMG1]),
    ("resize_area", lambda o, x: o.resize(x, (3, 2), "area"), [IMG]),
    ("resize_lanczos3", lambda o, x: o.resize(x, (4, 7), "lanczos3"), [IMG]),
    ("resize_lanczos5_cf", lambda o, x: o.resize(x, (8, 3), "lanczos5", data_format="channels_first"), [IMG1_CF]),
    ("resize_antialias", lambda o, x: o.resize(x, (3, 2), antialias=True), [IMG]),
    ("resize_bicubic_antialias", lambda o, x: o.resize(x, (2, 4), "bicubic", antialias=True), [IMG]),
    ("resize_uint8", lambda o, x: o.resize(x, (3, 6)), [U8]),
    ("resize_crop_aspect", lambda o, x: o.resize(x, (4, 4), crop_to_aspect_ratio=True), [IMG]),
    ("resize_crop_aspect_wide", lambda o, x: o.resize(x, (2, 6), crop_to_aspect_ratio=True), [IMG1]),
    ("resize_pad_aspect", lambda o, x: o.resize(x, (4, 8), pad_to_aspect_ratio=True, fill_value=0.5), [IMG]),
    ("resize_pad_aspect_cf", lambda o, x: o.resize(x, (9, 3), pad_to_aspect_ratio=True,
                                                   data_format="channels_first"), [IMG1_CF]),
    ("affine_shift_nearest", lambda o, x: o.affine_transform(x, SHIFT, "nearest"), [IMG]),
    ("affine_rotate_bilinear_wrap", lambda o, x: o.affine_transform(x, ROTATE, fill_mode="wrap"), [IMG]),
    ("affine_reflect_cf", lambda o, x: o.affine_transform(x, ROTATE, fill_mode="reflect",
                                                          data_format="channels_first"), [IMG_CF]),
    ("affine_single_fill", lambda o, x: o.affine_transform(x, SHIFT, fill_value=0.7), [IMG1]),
    ("perspective", lambda o, x: o.perspective_transform(x, CORNERS, MOVED), [IMG]),
    ("perspective_cf_nearest", lambda o, x: o.perspective_transform(x, CORNERS, MOVED, "nearest",
                                                                    data_format="channels_first"), [IMG1_CF]),
    ("patches", lambda o, x: o.extract_patches(x, 2), [IMG]),
    ("patches_strided_same", lambda o, x: o.extract_patches(x, (3, 2), (2, 1), padding="same"), [IMG1]),
    ("patches_dilated", lambda o, x: o.extract_patches(x, 2, 1, dilation_rate=2), [IMG]),
    ("patches_3d", lambda o, x: o.extract_patches(x, (2, 2, 2)), [f32(1, 4, 4, 5, 2)]),
    ("patches_3d_fn", lambda o, x: o.extract_patches_3d(x, 2, 1), [f32(4, 3, 5, 2)]),
    ("pad", lambda o, x: o.pad_images(x, 1, 2, target_height=9, target_width=8), [IMG]),
    ("pad_cf_single", lambda o, x: o.pad_images(x, bottom_padding=2, right_padding=1, target_height=10,
                                                target_width=6, data_format="channels_first"), [IMG1_CF]),
    ("crop", lambda o, x: o.crop_images(x, 1, 2, target_height=3, target_width=2), [IMG]),
    ("crop_margins_cf", lambda o, x: o.crop_images(x, 1, 0, 2, 1, data_format="channels_first"), [IMG_CF]),
    ("crop_single", lambda o, x: o.crop_images(x, bottom_cropping=2, right_cropping=1, target_height=3,
                                               target_width=2), [IMG1]),
    ("blur", lambda o, x: o.gaussian_blur(x), [IMG]),
    ("blur_uneven_single", lambda o, x: o.gaussian_blur(x, (5, 3), (1.5, 0.7)), [IMG1]),
    ("blur_cf", lambda o, x: o.gaussian_blur(x, (3, 3), (0.8, 0.8), data_format="channels_first"), [IMG_CF]),
    ("sobel", lambda o, x: o.sobel_edges(x), [IMG]),
    ("sobel_cf", lambda o, x: o.sobel_edges(x, "channels_first"), [IMG_CF]),
    ("ssim", lambda o, a, b: o.ssim(a, b, filter_size=3), [IMG, f32(2, 6, 5, 3)]),
    ("map_linear_constant", lambda o, x, c: o.map_coordinates(x, c, 1, fill_value=0.5), [f32(5, 6), COORDS]),
    ("map_linear_reflect_inside", lambda o, x, c: o.map_coordinates(x, c, 1, "reflect"),
     [f32(3, 4, 5), RNG.uniform(0, 7, (3, 6)).astype("float32")]),
    ("map_nearest_wrap", lambda o, x, c: o.map_coordinates(x, c, 0, "wrap"), [f32(5, 6), COORDS]),
    ("map_nearest_clip_uint8", lambda o, x, c: o.map_coordinates(x, c, 0, "nearest"), [U8[0, :, :, 0].copy(), COORDS]),
    ("map_linear_uint8", lambda o, x, c: o.map_coordinates(x, c, 1), [U8[0, :, :, 0].copy(), COORDS]),
    ("st_linear", lambda o, x: o.scale_and_translate(x, (2, 8, 4, 3), [1.6, 0.7], [0.5, -0.3], (1, 2), "linear"),
     [IMG]),
    ("st_cubic_no_antialias", lambda o, x: o.scale_and_translate(x, (2, 3, 9, 3), np.float32([0.5, 1.8]),
                                                                np.float32([0.0, 1.0]), (1, 2), "bicubic", False),
     [IMG]),
    ("st_lanczos5_one_dim", lambda o, x: o.scale_and_translate(x, (7, 9, 3), [2.2], [-1.0], (1,), "lanczos5"),
     [IMG1]),
    ("ssim_single_cf", lambda o, a, b: o.ssim(a, b, 2.0, 3, 1.0, data_format="channels_first"),
     [IMG1_CF, f32(3, 7, 4)]),
]


def _run_ours(fn, inputs, unknown_dims=False):
    g = Graph()
    with g.as_default():
        phs = [placeholder(str(a.dtype), (None, *a.shape[1:]) if unknown_dims else a.shape) for a in inputs]
        out = fn(ops.image, *phs)
    with Session(g) as sess:
        return out, sess.run(out.name, {p.name: a for p, a in zip(phs, inputs)})


@pytest.mark.parametrize("name,fn,inputs", CASES, ids=[c[0] for c in CASES])
def test_image_op_matches_keras(name, fn, inputs):
    theirs = keras.ops.convert_to_numpy(fn(keras.ops.image, *[keras.ops.convert_to_tensor(a) for a in inputs]))
    tensor, ours = _run_ours(fn, inputs)
    assert ours.dtype == theirs.dtype, f"dtype {ours.dtype} vs Keras {theirs.dtype}"
    assert tensor.shape == ours.shape, "static shape"
    tol = 1 if ours.dtype == np.uint8 else 2e-5
    np.testing.assert_allclose(ours.astype("float64"), theirs.astype("float64"), rtol=tol, atol=tol)


UNKNOWN_BATCH = ["gray", "hsv", "resize_bilinear", "resize_lanczos3", "affine_rotate_bilinear_wrap", "perspective",
                 "patches", "pad", "crop", "blur", "sobel", "ssim"]


@pytest.mark.parametrize("name", UNKNOWN_BATCH)
def test_image_op_with_unknown_first_dim_matches_keras(name):
    fn, inputs = next((c[1], c[2]) for c in CASES if c[0] == name)
    theirs = keras.ops.convert_to_numpy(fn(keras.ops.image, *[keras.ops.convert_to_tensor(a) for a in inputs]))
    _, ours = _run_ours(fn, inputs, unknown_dims=True)
    np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=2e-5)


GRAD_CASES = ["hsv_plain", "gray", "resize_bilinear", "resize_nearest_cf", "resize_bicubic_single", "resize_lanczos3",
              "resize_antialias", "resize_pad_aspect", "affine_shift_nearest", "affine_rotate_bilinear_wrap",
              "perspective", "patches_dilated", "patches_3d", "pad", "crop", "blur", "sobel", "ssim",
              "map_linear_constant", "map_linear_reflect_inside", "st_linear", "st_lanczos5_one_dim"]


@pytest.mark.parametrize("name", GRAD_CASES)
def test_image_gradients_match_gradient_tape(tf, name):
    fn, inputs = next((c[1], c[2]) for c in CASES if c[0] == name)
    g = Graph()
    with g.as_default():
        phs = [placeholder(str(a.dtype), a.shape) for a in inputs]
        out = fn(ops.image, *phs)
        grads = gradients(math.reduce_sum(out * out), phs)
    with Session(g) as sess:
        ours = sess.run([t.name for t in grads], {p.name: a for p, a in zip(phs, inputs)})
    leaves = [tf.constant(a) for a in inputs]
    with tf.GradientTape() as tape:
        for leaf in leaves:
            tape.watch(leaf)
        out = fn(keras.ops.image, *leaves)
        loss = tf.reduce_sum(out * out)
    theirs = tape.gradient(loss, leaves)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t.numpy(), rtol=1e-4, atol=1e-4)


def _run_image_op(fn, *arrays):
    return _run_ours(lambda o, *xs: fn(*xs), list(arrays))[1]


def test_channels_first_patches_are_the_channels_last_ones_transposed():
    """Keras' TF backend cannot run a channels-first convolution on CPU; the oracle is its channels-last
    result on the transposed images."""
    theirs = keras.ops.convert_to_numpy(keras.ops.image.extract_patches(IMG, 2, 1, dilation_rate=2))
    ours = _run_image_op(lambda x: ops.image.extract_patches(x, 2, 1, dilation_rate=2, data_format="channels_first"),
                         IMG_CF)
    np.testing.assert_allclose(ours, np.transpose(theirs, (0, 3, 1, 2)), rtol=1e-6, atol=1e-6)


def test_scale_and_translate_of_integer_images_rounds_and_clips():
    """Keras' TF backend fails on integer images (it clips a float by uint8 bounds); the oracle is its float
    result rounded and clipped to the image's range, which is what its code means to do."""
    args = ((2, 4, 4, 3), [0.8, 0.8], [0.0, 0.0], (1, 2), "lanczos3")
    floats = keras.ops.convert_to_numpy(keras.ops.image.scale_and_translate(U8.astype("float32"), *args))
    ours = _run_image_op(lambda x: ops.image.scale_and_translate(x, *args), U8)
    assert ours.dtype == np.uint8
    np.testing.assert_array_equal(ours, np.clip(np.round(floats), U8.min(), U8.max()).astype("uint8"))


def _map_reference(x, coords, order, fill_mode, fill_value=0.0):
    """map_coordinates by Keras' documented fill rules, in numpy."""
    n_dims = x.ndim

    def fix(i, size):
        if fill_mode == "nearest":
            return np.clip(i, 0, size - 1), True
        if fill_mode == "wrap":
            return i % size, True
        if fill_mode == "mirror":  # (c d c b | a b c d | c b a b)
            period = 2 * (size - 1)
            i = i % period
            return np.where(i >= size, period - i, i), True
        if fill_mode == "reflect":  # (d c b a | a b c d | d c b a)
            i = i % (2 * size)
            return np.where(i >= size, 2 * size - 1 - i, i), True
        return np.clip(i, 0, size - 1), (i >= 0) & (i < size)
    out = np.zeros(coords.shape[1:])
    axes_nodes = []
    for d in range(n_dims):
        c = coords[d].astype("float64")
        if order == 0:
            axes_nodes.append([(np.round(c).astype(int), np.ones_like(c))])
        else:
            lo = np.floor(c)
            axes_nodes.append([(lo.astype(int), 1 - (c - lo)), (lo.astype(int) + 1, c - lo)])
    import itertools
    for combo in itertools.product(*axes_nodes):
        fixed = [fix(i, x.shape[d]) for d, (i, _) in enumerate(combo)]
        valid = np.logical_and.reduce([np.broadcast_to(v, coords.shape[1:]) for _, v in fixed])
        values = np.where(valid, x[tuple(i for i, _ in fixed)], fill_value)
        out += values * np.prod([w for _, w in combo], axis=0)
    return out


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("fill_mode", ["mirror", "reflect", "wrap", "nearest", "constant"])
def test_map_coordinates_follows_the_documented_fill_rules(order, fill_mode):
    x, coords = f32(5, 6), RNG.uniform(-13, 19, (2, 4, 7)).astype("float32")
    ours = _run_image_op(lambda a, c: ops.image.map_coordinates(a, c, order, fill_mode, 0.25), x, coords)
    np.testing.assert_allclose(ours, _map_reference(x, coords, order, fill_mode, 0.25), rtol=1e-5, atol=1e-5)


def test_keras_reflect_and_mirror_differ_from_their_documentation():
    """docs/differences.md: Keras' TF backend takes |index| before folding, so reflect maps -1 to b instead of
    a (and mirror gathers out of range); ours follows the documented patterns (and JAX)."""
    x = np.array([[10.0, 20.0, 30.0, 40.0]], "float32")
    coords = np.array([[0.0, 0.0], [-1.0, -2.0]], "float32")
    ours = _run_image_op(lambda a, c: ops.image.map_coordinates(a, c, 0, "reflect"), x, coords)
    np.testing.assert_array_equal(ours, [10.0, 20.0])  # (d c b a | a b c d): -1 -> a, -2 -> b
    theirs = keras.ops.convert_to_numpy(keras.ops.image.map_coordinates(x, coords, 0, "reflect"))
    assert not np.array_equal(theirs, ours), "Keras now follows its docs: drop the entry in docs/differences.md"


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_elastic_transform_without_displacement_is_keras_identity(data_format):
    x = IMG if data_format == "channels_last" else IMG_CF
    theirs = keras.ops.convert_to_numpy(keras.ops.image.elastic_transform(x, alpha=0.0, sigma=2.0,
                                                                          data_format=data_format))
    ours = _run_image_op(lambda t: ops.image.elastic_transform(t, alpha=0.0, sigma=2.0, data_format=data_format), x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-5)


def _ramps(size=32):
    """Two channels holding each pixel's column and row: a warp's displacement is the output minus them."""
    rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    return np.stack([cols, rows], -1)[None].astype("float32")


def test_elastic_transform_draws_independent_x_and_y_fields_unlike_keras():
    """docs/differences.md: Keras' TF backend draws the x and y displacement fields with the same seed, so
    every pixel moves along the diagonal; ours draws two fields (random displacement fields, as documented)."""
    x = _ramps()
    interior = (slice(None), slice(8, 24), slice(8, 24))

    def displacements(out):
        return out[..., 0][interior] - x[..., 0][interior], out[..., 1][interior] - x[..., 1][interior]
    ours_dx, ours_dy = displacements(_run_image_op(lambda t: ops.image.elastic_transform(t, 1.0, 2.0, seed=3), x))
    assert np.abs(ours_dx).max() > 1e-3 and np.abs(ours_dy).max() > 1e-3   # both fields move pixels
    assert np.abs(ours_dx - ours_dy).max() > 1e-3                          # independently
    theirs_dx, theirs_dy = displacements(keras.ops.convert_to_numpy(
        keras.ops.image.elastic_transform(x, 1.0, 2.0, seed=3)))
    assert np.abs(theirs_dx).max() > 1e-3
    assert np.allclose(theirs_dx, theirs_dy, atol=1e-4), "Keras now draws two fields: drop the differences entry"


def test_hsv_to_rgb_gradient_matches_finite_differences():
    """TF registers HSVToRGB as not differentiable, so the tape has no answer; ours is checked numerically."""
    hsv = RNG.uniform(0.05, 0.95, (1, 3, 4, 3))
    g = Graph()
    with g.as_default():
        x = placeholder("float64", hsv.shape)
        y = ops.image.hsv_to_rgb(x)
        up = RNG.standard_normal(hsv.shape)
        loss = math.reduce_sum(y * up)
        (grad,) = gradients(loss, [x])
    with Session(g) as sess:
        ours = sess.run(grad.name, {x.name: hsv})
        numeric = np.zeros_like(hsv)
        for idx in np.ndindex(hsv.shape):
            step = np.zeros_like(hsv)
            step[idx] = 1e-6
            plus, minus = (sess.run(loss.name, {x.name: hsv + s}) for s in (step, -step))
            numeric[idx] = (plus - minus) / 2e-6
    np.testing.assert_allclose(ours, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("call,message", [
    (lambda o, x: o.resize(x, (3, 3), "cubic"), "interpolation"),
    (lambda o, x: o.resize(x, (3,)), "two elements"),
    (lambda o, x: o.resize(x, (3, 3), crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), "Only one"),
    (lambda o, x: o.affine_transform(x, SHIFT, fill_mode="mirror"), "fill_mode"),
    (lambda o, x: o.pad_images(x, 1, 1), "exactly two"),
    (lambda o, x: o.crop_images(x, 5, 0, 3, 0), ">= 0"),
    (lambda o, x: o.rgb_to_grayscale(x[..., :2]), "channel"),
    (lambda o, x: o.rgb_to_hsv(x[0, 0, 0]), "rank"),
])
def test_bad_arguments_raise_clear_errors(call, message):
    g = Graph()
    with g.as_default(), pytest.raises(ValueError, match=message):
        call(ops.image, placeholder("float32", IMG.shape))


def test_hsv_of_integer_images_is_refused_like_keras():
    g = Graph()
    with g.as_default(), pytest.raises(ValueError, match="float"):
        ops.image.rgb_to_hsv(placeholder("uint8", U8.shape))
    with pytest.raises(ValueError, match="float"):
        keras.ops.image.rgb_to_hsv(U8)
