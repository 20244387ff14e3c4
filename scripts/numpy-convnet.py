"""The book's SimpleConvNet (Deep Learning from Scratch 7.5, ch07/train_convnet.py) in NumPy
with im2col, written as the baseline for nn-train's convnet: the same net and schedule.

conv 30 filters 5x5 stride 1 pad 0 -> Relu -> max-pool 2x2 stride 2 -> Affine 100 -> Relu ->
Affine 10 -> SoftmaxWithLoss; weights 0.01 * N(0, 1), biases zero; Adam lr 0.001; batch 100
drawn with replacement (np.random.choice), 600 steps an epoch; after every epoch, accuracy on
the first 1000 train and test images (evaluate_sample_num_per_epoch); at the end, accuracy on
the full test set. float32 throughout. Reads the four IDX .gz (or raw) files.

Usage: python3 scripts/numpy-convnet.py --data-dir DIR [--epochs N] [--iters N] [--seed N]
Prints one JSON line: seconds (training and evaluation, loading excluded), seconds per step,
peak RSS, accuracies, the last epoch's mean loss, the OpenBLAS core in use, and the fraction
of zeros in the pooled activations (what a sparse Affine could skip).

With --replay DIR (written by scripts/convnet-trace.ts): trains from nn-train's initial
weights on nn-train's batches, in float32 and in float64, and prints how far each is from
nn-train's losses, and at step --replay-at how far nn-train's gradients are from NumPy's
computed from nn-train's weights at that step.

With --check-pipe PATH (scripts/convnet-trace.ts --every K writes it): for each step nn-train
sends, computes its gradients from nn-train's weights in float32 and float64 and prints, at the
end, how often and how far the three parted.
"""
import argparse
import importlib.util
import json
import os
import resource
import time

import numpy as np

# The MNIST reader and OpenBLAS probe of the MLP baseline beside this file.
_spec = importlib.util.spec_from_file_location("numpy_reference", os.path.join(os.path.dirname(__file__), "numpy-reference.py"))
numpy_reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(numpy_reference)

DT = np.float32


def im2col(x, fh, fw, stride, pad):
    """common/util.py's im2col: col (N*OH*OW, C*FH*FW)."""
    n, c, h, w = x.shape
    oh = (h + 2 * pad - fh) // stride + 1
    ow = (w + 2 * pad - fw) // stride + 1
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((n, c, fh, fw, oh, ow), dtype=x.dtype)
    for y in range(fh):
        y_max = y + stride * oh
        for xx in range(fw):
            x_max = xx + stride * ow
            col[:, :, y, xx, :, :] = img[:, :, y:y_max:stride, xx:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1)


def col2im(col, shape, fh, fw, stride, pad):
    n, c, h, w = shape
    oh = (h + 2 * pad - fh) // stride + 1
    ow = (w + 2 * pad - fw) // stride + 1
    col = col.reshape(n, oh, ow, c, fh, fw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, h + 2 * pad + stride - 1, w + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(fh):
        y_max = y + stride * oh
        for xx in range(fw):
            x_max = xx + stride * ow
            img[:, :, y:y_max:stride, xx:x_max:stride] += col[:, :, y, xx, :, :]
    return img[:, :, pad:h + pad, pad:w + pad]


class SimpleConvNet:
    """ch07/simple_convnet.py with its layers (common/layers.py) inlined; labels are class indices."""

    def __init__(self, rng, fn=30, fs=5, hidden=100, classes=10, std=0.01):
        self.p = {
            "W1": (std * rng.standard_normal((fn, 1, fs, fs))).astype(DT),
            "b1": np.zeros(fn, dtype=DT),
            "W2": (std * rng.standard_normal((fn * 12 * 12, hidden))).astype(DT),
            "b2": np.zeros(hidden, dtype=DT),
            "W3": (std * rng.standard_normal((hidden, classes))).astype(DT),
            "b3": np.zeros(classes, dtype=DT),
        }
        self.fs = fs

    def forward(self, x):
        p, fs = self.p, self.fs
        n = x.shape[0]
        fn = p["W1"].shape[0]
        col = im2col(x, fs, fs, 1, 0)  # (N*24*24, 25)
        w1 = p["W1"].reshape(fn, -1).T  # (25, 30)
        a1 = (col @ w1 + p["b1"]).reshape(n, 24, 24, fn).transpose(0, 3, 1, 2)  # (N, 30, 24, 24)
        r1 = np.maximum(a1, 0)
        pcol = im2col(r1, 2, 2, 2, 0).reshape(-1, 4)  # (N*12*12*30, 4)
        arg = np.argmax(pcol, axis=1)
        pooled = np.max(pcol, axis=1).reshape(n, 12, 12, fn).transpose(0, 3, 1, 2)  # (N, 30, 12, 12)
        f = pooled.reshape(n, -1)  # (N, 4320)
        a2 = f @ p["W2"] + p["b2"]
        h = np.maximum(a2, 0)
        a3 = h @ p["W3"] + p["b3"]
        return a3, (x, col, a1, r1, arg, f, a2, h)

    def accuracy(self, x, t, batch=100):
        correct = 0
        for i in range(0, x.shape[0], batch):
            correct += int(np.sum(np.argmax(self.forward(x[i:i + batch])[0], axis=1) == t[i:i + batch]))
        return correct / x.shape[0]

    def gradients(self, x, t):
        p, fs = self.p, self.fs
        n = x.shape[0]
        fn = p["W1"].shape[0]
        a3, (x, col, a1, r1, arg, f, a2, h) = self.forward(x)
        a3 = a3 - a3.max(axis=1, keepdims=True)
        e = np.exp(a3)
        y = e / e.sum(axis=1, keepdims=True)
        loss = -np.sum(np.log(y[np.arange(n), t] + 1e-7)) / n
        dy = y.copy()
        dy[np.arange(n), t] -= 1
        dy /= n
        g = {"W3": h.T @ dy, "b3": dy.sum(axis=0)}
        dh = dy @ p["W3"].T
        dh[a2 <= 0] = 0
        g["W2"] = f.T @ dh
        g["b2"] = dh.sum(axis=0)
        df = (dh @ p["W2"].T).reshape(n, fn, 12, 12).transpose(0, 2, 3, 1)  # (N, 12, 12, 30)
        dmax = np.zeros((df.size, 4), dtype=DT)
        dmax[np.arange(arg.size), arg.flatten()] = df.flatten()
        dr1 = col2im(dmax.reshape(df.shape + (4,)).reshape(n * 12 * 12, -1), r1.shape, 2, 2, 2, 0)
        dr1[a1 <= 0] = 0
        dout = dr1.transpose(0, 2, 3, 1).reshape(-1, fn)  # (N*24*24, 30)
        g["b1"] = dout.sum(axis=0)
        g["W1"] = (col.T @ dout).transpose(1, 0).reshape(fn, 1, fs, fs)
        return float(loss), g, f


class Adam:
    """common/optimizer.py's Adam (the book's bias correction folded into the rate)."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2, self.iter, self.m, self.v = lr, beta1, beta2, 0, None, None

    def update(self, params, grads):
        if self.m is None:
            self.m = {k: np.zeros_like(v) for k, v in params.items()}
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.iter += 1
        lr_t = DT(self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter))
        for k in params:
            self.m[k] += DT(1 - self.beta1) * (grads[k] - self.m[k])
            self.v[k] += DT(1 - self.beta2) * (grads[k] ** 2 - self.v[k])
            params[k] -= lr_t * self.m[k] / (np.sqrt(self.v[k]) + DT(1e-7))


SHAPES = {"W1": (30, 1, 5, 5), "b1": (30,), "W2": (30 * 12 * 12, 100), "b2": (100,), "W3": (100, 10), "b3": (10,)}


def replay(x_train, t_train, folder, at):
    """Trains as nn-train did (see --replay) and prints the comparison."""
    global DT
    read = lambda name, dtype=np.float32: np.fromfile(os.path.join(folder, name), dtype=dtype)
    batches = read("batches.bin", np.int32).reshape(-1, 100)
    theirs = read("losses.bin", np.float64)
    tensors = lambda prefix: {k: read(f"{prefix}-{k}.bin").reshape(s) for k, s in SHAPES.items()}
    losses, grads = {}, {}
    for dt in (np.float32, np.float64):
        DT = dt
        net, opt = SimpleConvNet(np.random.default_rng(0)), Adam()
        net.p = {k: v.astype(dt) for k, v in tensors("init").items()}
        x = x_train.astype(dt)
        losses[dt] = np.array([train_step(net, opt, x[b], t_train[b]) for b in batches])
        net.p = {k: v.astype(dt) for k, v in tensors("at-params").items()}  # nn-train's weights at step `at`
        grads[dt] = net.gradients(x[batches[at - 1]], t_train[batches[at - 1]])[1]
    rel = lambda a, b: float(np.max(np.abs(a / b - 1)))
    print("loss at step   nn-train vs numpy32   nn-train vs numpy64   numpy32 vs numpy64")
    for i in sorted({1, 10, 50, 100, 150, 200, 250, 300, len(theirs)}):
        if i <= len(theirs):
            l32, l64 = losses[np.float32][i - 1], losses[np.float64][i - 1]
            print(f"{i:12d}   {rel(theirs[i - 1], l32):19.1e}   {rel(theirs[i - 1], l64):19.1e}   {rel(l32, l64):18.1e}")
    print(f"gradients at step {at} from nn-train's weights, max |difference| / max |numpy64|:")
    print("tensor   nn-train vs numpy64   numpy32 vs numpy64   zeros differ   signs differ")
    mine = tensors("at-grads")
    for k in SHAPES:
        g64, g32 = grads[np.float64][k], grads[np.float32][k]
        scale = float(np.max(np.abs(g64)))
        print(f"{k:6s}   {float(np.max(np.abs(mine[k] - g64))) / scale:19.1e}   {float(np.max(np.abs(g32 - g64))) / scale:18.1e}"
              f"   {int(np.sum((mine[k] == 0) != (g64 == 0))):12d}   {int(np.sum(np.sign(mine[k]) * np.sign(g64) < 0)):12d}")


def check_pipe(x_train, t_train, fifo, limit=1e-4):
    """Reads (step, batch, weights, gradients) records from nn-train until it closes the pipe.
    Differences are max |a - b| / max |float64| per tensor, the worst tensor a step's. Steps
    where two of the three part by more than `limit` are counted by which one stands apart:
    an input to a ReLU or a max-pool so near a tie that float32's rounding decides it."""
    global DT
    sizes = {k: int(np.prod(s)) for k, s in SHAPES.items()}
    total = sum(sizes.values())
    nets = {}
    for dt in (np.float32, np.float64):
        DT = dt
        nets[dt] = SimpleConvNet(np.random.default_rng(0))
    xs = {dt: x_train.astype(dt) for dt in nets}
    close, apart = [], {"nn-train alone": [], "numpy float32 alone": [], "float32 both": [], "all three": []}
    with open(fifo, "rb") as f:
        while head := f.read(4):
            step = int(np.frombuffer(head, np.int32)[0])
            batch = np.frombuffer(f.read(400), np.int32)
            weights, mine = np.frombuffer(f.read(4 * total), np.float32), np.frombuffer(f.read(4 * total), np.float32)
            at, grads = 0, {"nn-train": {}}
            for k, n in sizes.items():
                for dt, net in nets.items():
                    net.p[k] = weights[at:at + n].reshape(SHAPES[k]).astype(dt)
                grads["nn-train"][k] = mine[at:at + n].reshape(SHAPES[k])
                at += n
            for dt, net in nets.items():
                DT = dt
                grads[dt] = net.gradients(xs[dt][batch], t_train[batch])[1]
            g64 = grads[np.float64]
            apart_from = lambda a, b: max(float(np.max(np.abs(a[k] - b[k]))) / float(np.max(np.abs(g64[k])) or 1) for k in SHAPES)
            nn64, np64 = apart_from(grads["nn-train"], g64), apart_from(grads[np.float32], g64)
            nn32 = apart_from(grads["nn-train"], grads[np.float32])
            if max(nn32, nn64, np64) <= limit:
                close.append((nn64, np64))
            elif nn32 <= limit:
                apart["float32 both"].append(step)
            elif np64 <= limit:
                apart["nn-train alone"].append(step)
            elif nn64 <= limit:
                apart["numpy float32 alone"].append(step)
            else:
                apart["all three"].append(step)
    checked = len(close) + sum(len(v) for v in apart.values())
    nn64, np64 = np.array(close + [(np.nan, np.nan)] * (not close)).T
    print(f"{checked} steps checked, gradients from nn-train's weights (max |difference| / max |float64|, worst tensor):")
    print(f"  all three within {limit:g}: {len(close)} steps; from float64, nn-train median {np.median(nn64):.1e} worst {np.max(nn64):.1e},"
          f" numpy float32 median {np.median(np64):.1e} worst {np.max(np64):.1e}")
    for who, at_steps in apart.items():
        print(f"  parted, {who}: {len(at_steps)} steps" + (f" (e.g. {', '.join(map(str, at_steps[:5]))})" if at_steps else ""))


def train_step(net, opt, x, t):
    loss, grads, _ = net.gradients(x, t)
    opt.update(net.p, grads)
    return loss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--iters", type=int, default=0, help="steps in all (default: 600 an epoch)")
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--eval-samples", type=int, default=1000)
    ap.add_argument("--replay", help="a folder written by scripts/convnet-trace.ts")
    ap.add_argument("--replay-at", type=int, default=100)
    ap.add_argument("--check-pipe", help="a named pipe scripts/convnet-trace.ts --every writes")
    a = ap.parse_args()
    x_train, t_train, x_test, t_test = numpy_reference.load_mnist(a.data_dir, DT)
    x_train = x_train.reshape(-1, 1, 28, 28)
    x_test = x_test.reshape(-1, 1, 28, 28)
    if a.replay:
        return replay(x_train, t_train, a.replay, a.replay_at)
    if a.check_pipe:
        return check_pipe(x_train, t_train, a.check_pipe)
    rng = np.random.default_rng(a.seed)
    net = SimpleConvNet(rng)
    opt = Adam(a.lr)
    per_epoch = max(x_train.shape[0] // a.batch_size, 1)
    iters = a.iters or a.epochs * per_epoch
    s = a.eval_samples

    start = time.perf_counter()
    epoch_loss, epoch_steps, final_loss = 0.0, 0, float("nan")
    train_acc = test_acc = float("nan")
    zeros, zero_steps = 0.0, 0
    for i in range(1, iters + 1):
        batch = rng.choice(x_train.shape[0], a.batch_size)
        loss, grads, pooled = net.gradients(x_train[batch], t_train[batch])
        opt.update(net.p, grads)
        epoch_loss += loss
        epoch_steps += 1
        if i % 50 == 0:
            zeros += float(np.mean(pooled == 0))
            zero_steps += 1
        if i % per_epoch == 0 or i == iters:
            train_acc = net.accuracy(x_train[:s], t_train[:s])
            test_acc = net.accuracy(x_test[:s], t_test[:s])
            final_loss, epoch_loss, epoch_steps = epoch_loss / epoch_steps, 0.0, 0
    full_test = net.accuracy(x_test, t_test)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "type": "numpy-convnet", "iterations": iters, "seconds": seconds, "msPerStep": 1000 * seconds / iters,
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "finalLoss": final_loss, "trainAcc": train_acc, "testAcc": test_acc, "finalTestAcc": full_test,
        "pooledZeroFraction": zeros / max(zero_steps, 1),
        "numpy": np.__version__, "openblasCore": numpy_reference.openblas_core(),
    }))


if __name__ == "__main__":
    main()
