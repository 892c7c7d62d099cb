"""Every metric against keras.metrics (or sklearn) on the same predictions, streamed over several batches,
through the numpy path (update_state) and the graph path (graph_inputs fetched by our Session)."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from tfkg_graph import metrics as M
from tfkg_graph.graph import Graph
from tfkg_graph.graph.ops import constants
from tfkg_graph.runtime.session import Session

keras = pytest.importorskip("keras")

CLASSES, BATCH, BATCHES = 4, 16, 4
rng = np.random.default_rng(7)
logits = rng.normal(size=(BATCH * BATCHES, CLASSES)).astype(np.float32)
PROBS = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype(np.float32)
LABELS = rng.integers(0, CLASSES, BATCH * BATCHES)
ONE_HOT = np.eye(CLASSES, dtype=np.float32)[LABELS]
WEIGHTS = rng.uniform(0.2, 2.0, BATCH * BATCHES).astype(np.float32)
BINARY_TRUE = rng.integers(0, 2, (BATCH * BATCHES, 1)).astype(np.float32)
BINARY_PRED = np.clip(BINARY_TRUE * 0.3 + rng.random((BATCH * BATCHES, 1)) * 0.7, 0, 1).astype(np.float32)
REG_TRUE = rng.normal(size=(BATCH * BATCHES, 3)).astype(np.float32)
REG_PRED = (REG_TRUE + rng.normal(size=REG_TRUE.shape) * 0.5).astype(np.float32)


def batches(*arrays):
    for i in range(BATCHES):
        yield tuple(None if a is None else a[i * BATCH:(i + 1) * BATCH] for a in arrays)


def ours_numpy(metric, y_true, y_pred, weights):
    metric.reset_state()
    for yt, yp, sw in batches(y_true, y_pred, weights):
        metric.update_state(yt, yp, sw)
    return metric


def ours_graph(metric, y_true, y_pred, weights):
    metric.reset_state()
    g = Graph()
    with g.as_default():
        yt = constants.placeholder(y_true.dtype, (None,) + y_true.shape[1:], name="y_true")
        yp = constants.placeholder("float32", (None,) + y_pred.shape[1:], name="y_pred")
        sw = None if weights is None else constants.placeholder("float32", (None,), name="sample_weight")
        with g.name_scope("metrics"):
            fetches = metric.graph_inputs(yt, yp, sw)
    sess = Session(g)
    keys = list(fetches)
    feeds = [yt.name, yp.name] + ([] if sw is None else [sw.name])
    step = sess.make_callable(feeds, [fetches[k].name for k in keys])
    for batch in batches(y_true, y_pred, weights):
        values = step(*[b for b in batch if b is not None])
        metric.update_from_fetches(dict(zip(keys, values)))
    return metric


def keras_value(metric, y_true, y_pred, weights):
    for yt, yp, sw in batches(y_true, y_pred, weights):
        metric.update_state(yt, yp, sample_weight=sw)
    return np.asarray(metric.result())


# (our metric factory, keras metric factory, y_true, y_pred)
CASES = {
    "accuracy": (lambda: M.Accuracy(), lambda: keras.metrics.Accuracy(),
                 LABELS.astype(np.float32)[:, None], np.argmax(PROBS, 1).astype(np.float32)[:, None]),
    "binary_accuracy": (lambda: M.BinaryAccuracy(threshold=0.4), lambda: keras.metrics.BinaryAccuracy(threshold=0.4),
                        BINARY_TRUE, BINARY_PRED),
    "categorical_accuracy": (M.CategoricalAccuracy, keras.metrics.CategoricalAccuracy, ONE_HOT, PROBS),
    "sparse_categorical_accuracy": (M.SparseCategoricalAccuracy, keras.metrics.SparseCategoricalAccuracy,
                                    LABELS, PROBS),
    "sparse_categorical_accuracy_col": (M.SparseCategoricalAccuracy, keras.metrics.SparseCategoricalAccuracy,
                                        LABELS[:, None], PROBS),
    "top_k": (lambda: M.TopKCategoricalAccuracy(k=2), lambda: keras.metrics.TopKCategoricalAccuracy(k=2),
              ONE_HOT, PROBS),
    "sparse_top_k": (lambda: M.SparseTopKCategoricalAccuracy(k=3),
                     lambda: keras.metrics.SparseTopKCategoricalAccuracy(k=3), LABELS, PROBS),
    "mae": (M.MeanAbsoluteError, keras.metrics.MeanAbsoluteError, REG_TRUE, REG_PRED),
    "mse": (M.MeanSquaredError, keras.metrics.MeanSquaredError, REG_TRUE, REG_PRED),
    "rmse": (M.RootMeanSquaredError, keras.metrics.RootMeanSquaredError, REG_TRUE, REG_PRED),
    "precision": (M.Precision, keras.metrics.Precision, BINARY_TRUE, BINARY_PRED),
    "precision_thresholds": (lambda: M.Precision(thresholds=[0.3, 0.6]),
                             lambda: keras.metrics.Precision(thresholds=[0.3, 0.6]), BINARY_TRUE, BINARY_PRED),
    "recall": (M.Recall, keras.metrics.Recall, BINARY_TRUE, BINARY_PRED),
    "precision_top_k": (lambda: M.Precision(top_k=2), lambda: keras.metrics.Precision(top_k=2), ONE_HOT, PROBS),
    "recall_top_k": (lambda: M.Recall(top_k=2), lambda: keras.metrics.Recall(top_k=2), ONE_HOT, PROBS),
    "precision_top_k_class": (lambda: M.Precision(top_k=2, class_id=1),
                              lambda: keras.metrics.Precision(top_k=2, class_id=1), ONE_HOT, PROBS),
    "recall_top_k_class_threshold": (lambda: M.Recall(thresholds=0.2, top_k=2, class_id=3),
                                     lambda: keras.metrics.Recall(thresholds=0.2, top_k=2, class_id=3),
                                     ONE_HOT, PROBS),
    "precision_top_k_ties": (lambda: M.Precision(top_k=2), lambda: keras.metrics.Precision(top_k=2),
                             ONE_HOT, np.round(PROBS, 1)),  # equal scores: the lower index is kept
    "precision_class": (lambda: M.Precision(thresholds=0.3, class_id=2),
                        lambda: keras.metrics.Precision(thresholds=0.3, class_id=2), ONE_HOT, PROBS),
    "recall_class": (lambda: M.Recall(thresholds=0.3, class_id=1),
                     lambda: keras.metrics.Recall(thresholds=0.3, class_id=1), ONE_HOT, PROBS),
    "true_positives": (M.TruePositives, keras.metrics.TruePositives, BINARY_TRUE, BINARY_PRED),
    "false_negatives": (M.FalseNegatives, keras.metrics.FalseNegatives, BINARY_TRUE, BINARY_PRED),
    "auc_roc": (M.AUC, keras.metrics.AUC, BINARY_TRUE, BINARY_PRED),
    "auc_pr": (lambda: M.AUC(curve="PR"), lambda: keras.metrics.AUC(curve="PR"), BINARY_TRUE, BINARY_PRED),
    "auc_pr_majoring": (lambda: M.AUC(curve="PR", summation_method="majoring"),
                        lambda: keras.metrics.AUC(curve="PR", summation_method="majoring"), BINARY_TRUE, BINARY_PRED),
    "auc_multi_label": (lambda: M.AUC(multi_label=True, num_thresholds=50),
                        lambda: keras.metrics.AUC(multi_label=True, num_thresholds=50), ONE_HOT, PROBS),
    "auc_flat_multiclass": (M.AUC, keras.metrics.AUC, ONE_HOT, PROBS),
    "sensitivity_at_specificity": (lambda: M.SensitivityAtSpecificity(0.7, class_id=1),
                                   lambda: keras.metrics.SensitivityAtSpecificity(0.7, class_id=1), ONE_HOT, PROBS),
    "specificity_at_sensitivity": (lambda: M.SpecificityAtSensitivity(0.6),
                                   lambda: keras.metrics.SpecificityAtSensitivity(0.6), BINARY_TRUE, BINARY_PRED),
    "precision_at_recall": (lambda: M.PrecisionAtRecall(0.5, class_id=3),
                            lambda: keras.metrics.PrecisionAtRecall(0.5, class_id=3), ONE_HOT, PROBS),
    "recall_at_precision": (lambda: M.RecallAtPrecision(0.6),
                            lambda: keras.metrics.RecallAtPrecision(0.6), BINARY_TRUE, BINARY_PRED),
    "auc_from_logits": (lambda: M.AUC(from_logits=True), lambda: keras.metrics.AUC(from_logits=True),
                        BINARY_TRUE, (BINARY_PRED - 0.5) * 8),
    "auc_label_weights": (lambda: M.AUC(multi_label=True, num_labels=4, label_weights=[1, 2, 0.5, 3]),
                          lambda: keras.metrics.AUC(multi_label=True, num_labels=4, label_weights=[1, 2, 0.5, 3]),
                          ONE_HOT, PROBS),
    "iou": (lambda: M.IoU(CLASSES, [0, 2]), lambda: keras.metrics.IoU(CLASSES, [0, 2]),
            LABELS, np.argmax(PROBS, 1)),
    "iou_dense": (lambda: M.IoU(CLASSES, [1, 3], sparse_y_true=False, sparse_y_pred=False, ignore_class=2),
                  lambda: keras.metrics.IoU(CLASSES, [1, 3], sparse_y_true=False, sparse_y_pred=False,
                                            ignore_class=2), ONE_HOT, PROBS),
    "binary_iou": (M.BinaryIoU, keras.metrics.BinaryIoU, BINARY_TRUE, BINARY_PRED),
    "binary_iou_one_class": (lambda: M.BinaryIoU([1], threshold=0.3),
                             lambda: keras.metrics.BinaryIoU([1], threshold=0.3), BINARY_TRUE, BINARY_PRED),
    "mean_iou": (lambda: M.MeanIoU(CLASSES), lambda: keras.metrics.MeanIoU(CLASSES), LABELS, np.argmax(PROBS, 1)),
    "one_hot_iou": (lambda: M.OneHotIoU(CLASSES, [0, 1]), lambda: keras.metrics.OneHotIoU(CLASSES, [0, 1]),
                    ONE_HOT, PROBS),
    "one_hot_mean_iou": (lambda: M.OneHotMeanIoU(CLASSES), lambda: keras.metrics.OneHotMeanIoU(CLASSES),
                         ONE_HOT, PROBS),
    "f1": (M.F1Score, keras.metrics.F1Score, ONE_HOT, PROBS),
    "f1_macro_threshold": (lambda: M.F1Score(average="macro", threshold=0.3),
                           lambda: keras.metrics.F1Score(average="macro", threshold=0.3), ONE_HOT, PROBS),
    "f1_micro": (lambda: M.F1Score(average="micro"), lambda: keras.metrics.F1Score(average="micro"), ONE_HOT, PROBS),
    "fbeta_weighted": (lambda: M.FBetaScore(average="weighted", beta=2.0),
                       lambda: keras.metrics.FBetaScore(average="weighted", beta=2.0), ONE_HOT, PROBS),
    "r2": (M.R2Score, keras.metrics.R2Score, REG_TRUE, REG_PRED),
    "r2_variance_weighted_adjusted": (lambda: M.R2Score("variance_weighted_average", num_regressors=3),
                                      lambda: keras.metrics.R2Score("variance_weighted_average", num_regressors=3),
                                      REG_TRUE, REG_PRED),
    "r2_raw": (lambda: M.R2Score(None), lambda: keras.metrics.R2Score(None), REG_TRUE, REG_PRED),
    "r2_single_column": (M.R2Score, keras.metrics.R2Score, REG_TRUE[:, 0], REG_PRED[:, :1]),
    # the losses' formulas as metrics
    "binary_crossentropy": (M.BinaryCrossentropy, keras.metrics.BinaryCrossentropy, BINARY_TRUE, BINARY_PRED),
    "binary_crossentropy_logits": (lambda: M.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
                                   lambda: keras.metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
                                   ONE_HOT, logits),
    "categorical_crossentropy": (M.CategoricalCrossentropy, keras.metrics.CategoricalCrossentropy, ONE_HOT, PROBS),
    "categorical_crossentropy_logits": (lambda: M.CategoricalCrossentropy(from_logits=True),
                                        lambda: keras.metrics.CategoricalCrossentropy(from_logits=True),
                                        ONE_HOT, logits),
    "sparse_categorical_crossentropy": (M.SparseCategoricalCrossentropy, keras.metrics.SparseCategoricalCrossentropy,
                                        LABELS, PROBS),
    "hinge": (M.Hinge, keras.metrics.Hinge, BINARY_TRUE, BINARY_PRED),
    "squared_hinge": (M.SquaredHinge, keras.metrics.SquaredHinge, ONE_HOT * 2 - 1, logits),
    "categorical_hinge": (M.CategoricalHinge, keras.metrics.CategoricalHinge, ONE_HOT, logits),
    "kl_divergence": (M.KLDivergence, keras.metrics.KLDivergence, ONE_HOT * 0.8 + 0.05, PROBS),
    "poisson": (M.Poisson, keras.metrics.Poisson, np.abs(REG_TRUE), np.abs(REG_PRED)),
    "logcosh": (M.LogCoshError, keras.metrics.LogCoshError, REG_TRUE, REG_PRED),
    "mape": (M.MeanAbsolutePercentageError, keras.metrics.MeanAbsolutePercentageError, REG_TRUE, REG_PRED),
    "msle": (M.MeanSquaredLogarithmicError, keras.metrics.MeanSquaredLogarithmicError, np.abs(REG_TRUE), REG_PRED),
    "cosine_similarity": (M.CosineSimilarity, keras.metrics.CosineSimilarity, REG_TRUE, REG_PRED),
    "pearson_correlation": (M.PearsonCorrelation, keras.metrics.PearsonCorrelation, REG_TRUE, REG_PRED),
    "concordance_correlation": (M.ConcordanceCorrelation, keras.metrics.ConcordanceCorrelation, REG_TRUE, REG_PRED),
    "huber_by_name": (lambda: M.get("huber"), lambda: keras.metrics.MeanMetricWrapper(keras.metrics.huber),
                      REG_TRUE, REG_PRED),
    "focal_by_name": (lambda: M.get("binary_focal_crossentropy"),
                      lambda: keras.metrics.MeanMetricWrapper(keras.metrics.binary_focal_crossentropy),
                      BINARY_TRUE, BINARY_PRED),
}


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("path", [ours_numpy, ours_graph], ids=["numpy", "graph"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_equals_keras(case, path, weighted):
    make_ours, make_keras, y_true, y_pred = CASES[case]
    weights = WEIGHTS if weighted else None
    want = keras_value(make_keras(), y_true, y_pred, weights)
    got = path(make_ours(), y_true, y_pred, weights).result()
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("path", [ours_numpy, ours_graph], ids=["numpy", "graph"])
def test_class_id_accepts_sparse_labels(path):
    """One-vs-rest on class indices gives the same counts as on one-hot labels."""
    for cls_id in range(CLASSES):
        sparse = path(M.AUC(class_id=cls_id), LABELS, PROBS, WEIGHTS).result()
        dense = keras_value(keras.metrics.AUC(), ONE_HOT[:, cls_id], PROBS[:, cls_id], WEIGHTS)
        np.testing.assert_allclose(sparse, dense, rtol=2e-5)


@pytest.mark.parametrize("path", [ours_numpy, ours_graph], ids=["numpy", "graph"])
@pytest.mark.parametrize("name,sk_fn", [("precision", skm.precision_score), ("recall", skm.recall_score)])
def test_macro_average_matches_sklearn(path, name, sk_fn):
    metric = path(M.get(name).__class__(average="macro"), LABELS, PROBS, WEIGHTS)
    want = sk_fn(ONE_HOT, (PROBS > 0.5).astype(int), average="macro", sample_weight=WEIGHTS, zero_division=0)
    np.testing.assert_allclose(metric.result(), want, rtol=1e-5)


@pytest.mark.parametrize("path", [ours_numpy, ours_graph], ids=["numpy", "graph"])
@pytest.mark.parametrize("labels", [LABELS, ONE_HOT], ids=["sparse", "one_hot"])
def test_confusion_matrix_matches_sklearn(path, labels):
    got = path(M.ConfusionMatrix(CLASSES), labels, PROBS, WEIGHTS).result()
    want = skm.confusion_matrix(LABELS, PROBS.argmax(1), sample_weight=WEIGHTS, labels=range(CLASSES))
    np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.parametrize("path", [ours_numpy, ours_graph], ids=["numpy", "graph"])
def test_fpr_at_tpr_and_tpr_at_fpr(path):
    """FprAtTpr = 1 - keras SpecificityAtSensitivity; TprAtFpr = keras SensitivityAtSpecificity(1 - fpr);
    the extra logs are the rates really achieved at the reported threshold, recomputed from the data."""
    y_true, scores, w = ONE_HOT[:, 2], PROBS[:, 2], WEIGHTS

    def rates_at(threshold):
        predicted = scores > np.float32(threshold)
        tpr = np.sum(w * (predicted & (y_true == 1))) / np.sum(w * (y_true == 1))
        fpr = np.sum(w * (predicted & (y_true == 0))) / np.sum(w * (y_true == 0))
        return tpr, fpr

    fpr_metric = path(M.FprAtTpr(0.75, class_id=2), LABELS, PROBS, w)
    logs = fpr_metric.logs()
    spec = keras_value(keras.metrics.SpecificityAtSensitivity(0.75), y_true, scores, w)
    np.testing.assert_allclose(logs["fpr_at_tpr"], 1 - spec, atol=1e-5)
    tpr, fpr = rates_at(logs["fpr_at_tpr_threshold"])
    assert tpr >= 0.75 and logs["fpr_at_tpr_tpr"] == pytest.approx(tpr, rel=1e-5)
    assert logs["fpr_at_tpr"] == pytest.approx(fpr, rel=1e-5)

    tpr_metric = path(M.TprAtFpr(0.25, class_id=2), LABELS, PROBS, w)
    logs = tpr_metric.logs()
    sens = keras_value(keras.metrics.SensitivityAtSpecificity(0.75), y_true, scores, w)
    np.testing.assert_allclose(logs["tpr_at_fpr"], sens, atol=1e-5)
    tpr, fpr = rates_at(logs["tpr_at_fpr_threshold"])
    assert fpr <= 0.25 and logs["tpr_at_fpr_fpr"] == pytest.approx(fpr, rel=1e-5)
    assert logs["tpr_at_fpr"] == pytest.approx(tpr, rel=1e-5)


@pytest.mark.parametrize("path", [ours_numpy, ours_graph], ids=["numpy", "graph"])
def test_sparse_accuracy_confidence_mode(path):
    confident = path(M.SparseCategoricalAccuracy(confidence=0.4), LABELS, PROBS, None).result()
    want = np.mean((PROBS.argmax(1) == LABELS) & (PROBS.max(1) >= 0.4))
    assert confident == pytest.approx(want)
    binary = path(M.SparseCategoricalAccuracy(confidence=0.7), BINARY_TRUE, BINARY_PRED, WEIGHTS).result()
    assert binary == pytest.approx(keras_value(keras.metrics.BinaryAccuracy(threshold=0.7), BINARY_TRUE,
                                               BINARY_PRED, WEIGHTS), rel=1e-6)


def test_mean_tracks_weighted_loss():
    ours, theirs = M.Mean(name="loss"), keras.metrics.Mean()
    for values, weight in [(0.5, 32), (0.25, 32), (1.0, 8)]:
        ours.update_state(values, sample_weight=weight)
        theirs.update_state(values, sample_weight=weight)
    assert ours.result() == pytest.approx(float(theirs.result()))


def test_numpy_function_metric_fetches_the_raw_batch():
    def max_error(y_true, y_pred):
        return np.max(np.abs(y_true - y_pred), axis=-1)
    got = ours_graph(M.get(max_error), REG_TRUE, REG_PRED, WEIGHTS).result()
    want = np.sum(max_error(REG_TRUE, REG_PRED) * WEIGHTS) / WEIGHTS.sum()
    assert got == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize("loss,output,target,want", [
    ("sparse_categorical_crossentropy", (None, 4), None, M.SparseCategoricalAccuracy),
    ("categorical_crossentropy", (None, 4), None, M.CategoricalAccuracy),
    ("binary_crossentropy", (None, 1), None, M.BinaryAccuracy),
    ("mse", (None, 1), (None, 1), M.BinaryAccuracy),
    (None, (None, 4), (None,), M.SparseCategoricalAccuracy),
    (None, (None, 4), (None, 4), M.CategoricalAccuracy),
])
def test_resolve_accuracy(loss, output, target, want):
    for name in ("accuracy", "acc"):
        metric = M.resolve(name, loss, output, target)
        assert type(metric) is want and metric.name == name


def test_get_names_configs_and_errors():
    assert isinstance(M.get("mae"), M.MeanAbsoluteError) and M.get("mae").name == "mae"
    auc = M.AUC(curve="PR", num_thresholds=50, name="pr")
    clone = M.get(M.serialize(auc))
    assert clone.get_config() == auc.get_config()
    assert M.get("TopKCategoricalAccuracy").get_config()["k"] == 5
    with pytest.raises(ValueError, match="unknown metric 'nope'"):
        M.get("nope")
    with pytest.raises(ValueError, match="class_id 7 out of range"):
        M.Precision(class_id=7).update_state(ONE_HOT, PROBS)
    with pytest.raises(ValueError, match="curve"):
        M.AUC(curve="XY")


def test_reset_state_starts_a_new_epoch():
    metric = M.AUC()
    metric.update_state(BINARY_TRUE, BINARY_PRED)
    first = metric.result()
    metric.update_state(1 - BINARY_TRUE, BINARY_PRED)
    assert metric.result() != first
    metric.reset_state()
    metric.update_state(BINARY_TRUE, BINARY_PRED)
    assert metric.result() == first


def test_top_k_config_round_trips_and_rejects_bad_values():
    metric = M.Recall.from_config(M.Recall(top_k=2, class_id=1).get_config())
    assert (metric.top_k, metric.class_id) == (2, 1)
    np.testing.assert_allclose(ours_numpy(metric, ONE_HOT, PROBS, None).result(),
                               keras_value(keras.metrics.Recall(top_k=2, class_id=1), ONE_HOT, PROBS, None))
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="top_k"):
            M.Precision(top_k=bad)
