"""The book's experiment (train_neuralnet.py, Deep Learning from Scratch 5.7.4) in NumPy,
written for nn-train's benchmark: the same algorithm and schedule as `nn-train --iters 10000`.

784-50-10 TwoLayerNet (Affine -> Relu -> Affine -> SoftmaxWithLoss), weights
weight_init_std * N(0, 1), biases zero; mini-batch SGD, batch 100, lr 0.1, 10,000 steps,
batches drawn with replacement (np.random.choice); accuracy on the full train and test sets
after every 600 steps and after the last one. Reads the same four IDX .gz (or raw) files.

Usage: python3 scripts/numpy-reference.py DATA_DIR [--dtype float32|float64] [--iters N] [--seed N]
Prints one JSON line: seconds (training and evaluation, loading excluded), accuracies, loss,
and the OpenBLAS core in use.
"""
import argparse
import ctypes
import glob
import gzip
import json
import os
import sys
import time

import numpy as np


def read_idx(data_dir, name):
    for candidate in (name + ".gz", name):
        path = os.path.join(data_dir, candidate)
        if os.path.exists(path):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(path, "rb") as f:
                raw = f.read()
            break
    else:
        sys.exit(f"numpy-reference: {name}(.gz) not found in {data_dir}")
    magic = int.from_bytes(raw[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(data_dir, dtype):
    def images(name):
        x = read_idx(data_dir, name)
        return (x.reshape(x.shape[0], -1).astype(dtype) / dtype(255.0)).astype(dtype)  # normalize=True

    return (
        images("train-images-idx3-ubyte"),
        read_idx(data_dir, "train-labels-idx1-ubyte").astype(np.int64),
        images("t10k-images-idx3-ubyte"),
        read_idx(data_dir, "t10k-labels-idx1-ubyte").astype(np.int64),
    )


class TwoLayerNet:
    """two_layer_net.py with its layers inlined; labels are class indices (one_hot_label=False)."""

    def __init__(self, rng, dtype, input_size=784, hidden_size=50, output_size=10, weight_init_std=0.01):
        self.W1 = (weight_init_std * rng.standard_normal((input_size, hidden_size))).astype(dtype)
        self.b1 = np.zeros(hidden_size, dtype=dtype)
        self.W2 = (weight_init_std * rng.standard_normal((hidden_size, output_size))).astype(dtype)
        self.b2 = np.zeros(output_size, dtype=dtype)

    def predict(self, x):
        h = np.maximum(x @ self.W1 + self.b1, 0)
        return h @ self.W2 + self.b2

    def accuracy(self, x, t):
        return float(np.sum(np.argmax(self.predict(x), axis=1) == t)) / x.shape[0]

    def step(self, x, t, lr):
        # forward
        a1 = x @ self.W1 + self.b1
        h = np.maximum(a1, 0)
        a2 = h @ self.W2 + self.b2
        a2 = a2 - a2.max(axis=1, keepdims=True)
        e = np.exp(a2)
        y = e / e.sum(axis=1, keepdims=True)
        n = x.shape[0]
        loss = -np.sum(np.log(y[np.arange(n), t] + 1e-7)) / n
        # backward: (y - t) / N, then the layers in reverse
        dy = y.copy()
        dy[np.arange(n), t] -= 1
        dy /= n
        dW2 = h.T @ dy
        db2 = dy.sum(axis=0)
        dh = dy @ self.W2.T
        dh[a1 <= 0] = 0
        dW1 = x.T @ dh
        db1 = dh.sum(axis=0)
        # SGD
        self.W1 -= lr * dW1
        self.b1 -= lr * db1
        self.W2 -= lr * dW2
        self.b2 -= lr * db2
        return float(loss)


def openblas_core():
    for lib in glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*.so*")):
        dll = ctypes.CDLL(lib)
        for name in ("scipy_openblas_get_corename64_", "openblas_get_corename64_", "openblas_get_corename"):
            f = getattr(dll, name, None)
            if f is not None:
                f.restype = ctypes.c_char_p
                return f().decode()
    return "unknown"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("data_dir")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--iters", type=int, default=10000)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    dtype = np.float32 if a.dtype == "float32" else np.float64
    x_train, t_train, x_test, t_test = load_mnist(a.data_dir, dtype)
    rng = np.random.default_rng(a.seed)
    net = TwoLayerNet(rng, dtype)
    lr = dtype(a.lr)
    iter_per_epoch = max(x_train.shape[0] // a.batch_size, 1)

    start = time.perf_counter()
    train_acc = test_acc = float("nan")
    epoch_loss, epoch_steps, final_loss = 0.0, 0, float("nan")
    for i in range(1, a.iters + 1):
        batch = rng.choice(x_train.shape[0], a.batch_size)
        epoch_loss += net.step(x_train[batch], t_train[batch], lr)
        epoch_steps += 1
        if i % iter_per_epoch == 0 or i == a.iters:
            train_acc = net.accuracy(x_train, t_train)
            test_acc = net.accuracy(x_test, t_test)
            final_loss, epoch_loss, epoch_steps = epoch_loss / epoch_steps, 0.0, 0  # mean over the epoch, as nn-train
    seconds = time.perf_counter() - start
    print(json.dumps({
        "type": "numpy", "dtype": a.dtype, "iterations": a.iters, "seconds": seconds,
        "finalTrainAcc": train_acc, "finalTestAcc": test_acc, "finalLoss": final_loss,
        "numpy": np.__version__, "openblasCore": openblas_core(),
    }))


if __name__ == "__main__":
    main()
