"""prune-weights end to end: pruned SavedModels exported, loaded by TensorFlow and compared with
the original on reference inputs (accuracy change reported), the checkpoint's new values, the
size effect of the dense-with-zeros storage, structured (block) pruning and sparse constants."""
import gzip
import os

import numpy as np
import pytest

from smopt.compiler import examples
from smopt.compiler.exporter import export_saved_model
from smopt.compiler.importer import import_saved_model
from smopt.compiler.pass_manager import PassManager
from smopt.passes.prune_weights import prune_array, sparse_bytes
from smopt.passes.framework.registry import parse_pipeline


def _prune(path, pipeline="prune-weights"):
    m = import_saved_model(path)
    pm = PassManager(parse_pipeline(pipeline))
    pm.run(m)
    return m, pm.passes[0]


def _serve(path, **inputs):
    import tensorflow as tf
    loaded = tf.saved_model.load(path)
    out = loaded.signatures["serving_default"](**inputs)
    return {k: v.numpy() for k, v in out.items()}


def _checkpoint(path):
    import tensorflow as tf
    r = tf.train.load_checkpoint(os.path.join(path, "variables", "variables"))
    return {k: r.get_tensor(k) for k in r.get_variable_to_shape_map()}


def build_classifier(path, sizes=(64, 128, 128, 10), seed=0):
    """A dense softmax classifier (random weights) with a serving signature."""
    import tensorflow as tf

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(seed)
            self.ws = [tf.Variable((rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32), name=f"w{i}")
                       for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]
            self.bs = [tf.Variable((rng.standard_normal((b,)) * 0.1).astype(np.float32), name=f"b{i}")
                       for i, b in enumerate(sizes[1:])]

        @tf.function(input_signature=[tf.TensorSpec([None, sizes[0]], tf.float32)])
        def serve(self, x):
            h = x
            for i, (w, b) in enumerate(zip(self.ws, self.bs)):
                h = tf.matmul(h, w) + b
                if i < len(self.ws) - 1:
                    h = tf.nn.relu(h)
            return {"probs": tf.nn.softmax(h)}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


def build_frozen_model(path, seed=0):
    """A function with a large float constant (a frozen weight) next to a variable."""
    import tensorflow as tf
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((64, 48)).astype(np.float32)

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.scale = tf.Variable(np.float32(2.0), name="scale")

        @tf.function(input_signature=[tf.TensorSpec([None, 64], tf.float32)])
        def serve(self, x):
            return {"y": tf.matmul(x, tf.constant(w)) * self.scale}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path, w


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("pruning") / "clf")
    build_classifier(path)
    x = np.random.default_rng(7).standard_normal((256, 64)).astype(np.float32)
    return path, x, _serve(path, x=x)["probs"]


def test_prune_array_exact_counts():
    a = np.random.default_rng(0).standard_normal((33, 17)).astype(np.float32)
    for s in (0.0, 0.1, 0.5, 0.9):
        p = prune_array(a, s)
        assert p.dtype == a.dtype and p.shape == a.shape
        assert np.count_nonzero(p == 0) == round(s * a.size)
        kept = np.abs(a[p != 0])
        if s > 0:  # every kept magnitude is at least every pruned one
            assert kept.min() >= np.abs(a[p == 0]).max()
        np.testing.assert_array_equal(p[p != 0], a[p != 0])
    nan = a.copy()
    nan[0, 0] = np.nan
    assert np.isnan(prune_array(nan, 0.9)[0, 0])  # NaN ranks as large: kept


def test_magnitude_pruning_accuracy(classifier, tmp_path):
    """50% magnitude pruning of every weight matrix: outputs through TF, accuracy change
    reported; magnitude pruning must beat pruning the same number of random entries."""
    path, x, ref = classifier
    m, p = _prune(path, "prune-weights{sparsity=0.5 min-elements=1024}")
    assert p.stats["num-variables-pruned"] == 3       # the three kernels; biases are rank 1
    assert p.stats["sparsity-permille"] == 500
    out = str(tmp_path / "pruned")
    export_saved_model(m, out)
    got = _serve(out, x=x)["probs"]
    # The checkpoint holds the pruned values (and the biases unchanged).
    before, after = _checkpoint(path), _checkpoint(out)
    for key, v in after.items():
        if key.startswith("ws/"):
            assert abs((v == 0).mean() - 0.5) < 1e-3
            np.testing.assert_array_equal(v[v != 0], before[key][v != 0])
        elif key.startswith("bs/"):
            np.testing.assert_array_equal(v, before[key])

    # Baseline: the same number of zeros at random positions, through the same export.
    rng = np.random.default_rng(1)
    mr = import_saved_model(path)
    for var in mr.variables:
        if var.path.startswith("ws/"):
            a = np.asarray(mr.read_variable(var)).copy()
            a.reshape(-1)[rng.choice(a.size, a.size // 2, replace=False)] = 0
            mr.set_variable(var, a)
    rnd = str(tmp_path / "random")
    export_saved_model(mr, rnd)
    got_rnd = _serve(rnd, x=x)["probs"]

    def change(p):
        return float(np.mean(p.argmax(1) == ref.argmax(1))), float(np.abs(p - ref).max())

    agree, diff = change(got)
    agree_rnd, diff_rnd = change(got_rnd)
    print(f"\n50% magnitude pruning: top-1 agreement {agree:.1%} on {len(x)} reference inputs, "
          f"max |dprob| {diff:.3f}; random pruning: {agree_rnd:.1%}, {diff_rnd:.3f}")
    assert agree > agree_rnd and agree >= 0.6
    assert np.linalg.norm(got - ref) < np.linalg.norm(got_rnd - ref)


def test_zero_sparsity_is_identity(classifier, tmp_path):
    path, x, ref = classifier
    m, p = _prune(path, "prune-weights{sparsity=0}")
    out = str(tmp_path / "same")
    export_saved_model(m, out)
    np.testing.assert_array_equal(_serve(out, x=x)["probs"], ref)


def test_keras_cnn_reference_inputs(example_model, tmp_path):
    """The example Keras CNN with its reference inputs: only conv2's kernel is large enough;
    batch-norm statistics (not trainable) are never touched."""
    path = example_model("keras_cnn")
    inputs = examples.example_inputs("keras_cnn", batch=16)
    ref = _serve(path, **inputs)
    m, p = _prune(path, "prune-weights{sparsity=0.5}")
    pruned = {name for kind, name, *_ in p.report}
    by_path = {v.path: v for v in m.variables}
    assert {by_path[n].name for n in pruned} == {"conv2/kernel"}
    out = str(tmp_path / "cnn")
    export_saved_model(m, out)
    got = _serve(out, **inputs)
    (key,) = ref
    agree = float(np.mean(got[key].argmax(1) == ref[key].argmax(1)))
    print(f"\nkeras_cnn, conv2/kernel 50% pruned: top-1 agreement {agree:.1%} on 16 reference inputs, "
          f"max |dprob| {np.abs(got[key] - ref[key]).max():.4f}")
    assert not np.array_equal(got[key], ref[key])            # the pruning is live
    np.testing.assert_allclose(got[key].sum(1), 1.0, rtol=1e-5)
    for key_ in _checkpoint(path):
        if "moving" in key_:
            np.testing.assert_array_equal(_checkpoint(out)[key_], _checkpoint(path)[key_])


def test_storage_size(classifier, tmp_path):
    """Dense with zeros: the variables file shrinks under gzip; a COO form would be larger."""
    path, _, _ = classifier
    m, _ = _prune(path, "prune-weights{sparsity=0.5}")
    out = str(tmp_path / "pruned")
    export_saved_model(m, out)

    def gz(p):
        data = b"".join(open(os.path.join(p, "variables", f), "rb").read()
                        for f in sorted(os.listdir(os.path.join(p, "variables"))) if "data" in f)
        return len(data), len(gzip.compress(data, 9))

    raw0, gz0 = gz(path)
    raw1, gz1 = gz(out)
    kernels = [np.asarray(m.read_variable(v)) for v in m.variables if v.path.startswith("ws/")]
    coo = sum(sparse_bytes(k) for k in kernels)
    dense = sum(k.nbytes for k in kernels)
    print(f"\nvariables data: {raw0} -> {raw1} bytes raw, gzip {gz0} -> {gz1} ({gz1 / gz0:.0%}); "
          f"pruned kernels dense {dense} bytes vs COO {coo} bytes")
    assert raw1 == raw0                   # same shapes, same dtypes
    assert gz1 < 0.75 * gz0
    assert coo > dense                    # at 50% a sparse form does not pay


def test_block_pruning(classifier, tmp_path):
    path, x, ref = classifier
    m, p = _prune(path, "prune-weights{sparsity=0.5 block=4}")
    for v in m.variables:
        if v.path.startswith("ws/"):
            a = np.asarray(m.read_variable(v))
            # Blocks of 4 along the last axis (w2 is 128x10: a ragged block of 2 per row) are
            # all zero or all kept; half of them go.
            zero = []
            for c in range(0, a.shape[1], 4):
                nz = (a[:, c:c + 4] != 0).sum(1)
                assert set(np.unique(nz)) <= {0, a[:, c:c + 4].shape[1]}
                zero.extend(nz == 0)
            assert abs(np.mean(zero) - 0.5) < 1e-2
    out = str(tmp_path / "block")
    export_saved_model(m, out)
    got = _serve(out, x=x)["probs"]
    print(f"\n50% block-4 pruning: top-1 agreement {np.mean(got.argmax(1) == ref.argmax(1)):.1%}")


@pytest.mark.parametrize("storage,sparsity,op", [("auto", 0.5, "Const"), ("auto", 0.9, "SparseToDense"),
                                                 ("sparse", 0.5, "SparseToDense"), ("dense", 0.9, "Const")])
def test_constants(tmp_path, storage, sparsity, op):
    """Frozen weights: pruned in place, or as SparseToDense where that is smaller; TF computes
    x @ pruned(w) either way."""
    path, w = build_frozen_model(str(tmp_path / "frozen"))
    m, p = _prune(path, f"prune-weights{{sparsity={sparsity} storage={storage}}}")
    assert p.stats["num-constants-pruned"] == 1 and p.stats["num-variables-pruned"] == 0
    fn = next(f for f in m.functions.values() if any(o.type == "MatMul" for o in f.ops))
    mm = next(o for o in fn.ops if o.type == "MatMul")
    assert mm.operands[1].op.type == op
    out = str(tmp_path / "out")
    export_saved_model(m, out)
    x = np.random.default_rng(3).standard_normal((5, 64)).astype(np.float32)
    expected = x @ prune_array(w, sparsity) * 2.0
    np.testing.assert_allclose(_serve(out, x=x)["y"], expected, rtol=1e-5, atol=1e-5)
