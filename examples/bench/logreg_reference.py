"""scikit-learn reference for build.ps1 -Task Bench -Only Lbfgs: LogisticRegression(solver="lbfgs")
on the very rows PruneCmdlets.Bench lbfgs-gen wrote (already in their final feature space, so
neither side standardises). Benchmark-only; never a runtime dependency.

usage: logreg_reference.py TRAIN_X.npy TRAIN_Y.npy TEST_X.npy TEST_Y.npy C GTOL_PER_SAMPLE MAX_ITER COEF_OUT.txt
GTOL_PER_SAMPLE is the gradient tolerance on the objective divided by N (ours); scikit-learn 1.2's
lbfgs minimises the undivided sum, so it gets tol = GTOL_PER_SAMPLE * N (same stopping point).
Writes K rows of D weights then the intercept (repr precision) and prints one JSON line.
"""
import json
import sys
import time
import warnings

import numpy as np


def objective(x, y, w, b, c):
    """scikit-learn's multinomial objective: sum of cross-entropies + 0.5 * ||W||^2 / C."""
    z = x @ w.T + b
    m = z.max(axis=1, keepdims=True)
    lse = (m[:, 0] + np.log(np.exp(z - m).sum(axis=1)))
    return float((lse - z[np.arange(len(y)), y]).sum() + 0.5 * (w * w).sum() / c)


def main(a):
    from sklearn import __version__ as skv
    from sklearn.linear_model import LogisticRegression
    x = np.load(a[0]).astype(np.float64)
    y = np.load(a[1])[:, 0].astype(np.int64)
    tx = np.load(a[2]).astype(np.float64)
    ty = np.load(a[3])[:, 0].astype(np.int64)
    c, gtol, max_iter = float(a[4]), float(a[5]), int(a[6])
    n = x.shape[0]
    model = LogisticRegression(C=c, solver="lbfgs", multi_class="multinomial", tol=gtol * n, max_iter=max_iter)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = time.perf_counter()
        model.fit(x, y)
        seconds = time.perf_counter() - t
    w, b = model.coef_, model.intercept_
    with open(a[7], "w") as f:
        for k in range(w.shape[0]):
            f.write(" ".join(repr(float(v)) for v in w[k]) + " " + repr(float(b[k])) + "\n")
    print(json.dumps({"impl": "scikit-learn", "version": skv, "n": n, "d": x.shape[1], "k": w.shape[0],
                      "iterations": int(model.n_iter_[0]), "seconds": seconds,
                      "objective": objective(x, y, w, b, c),
                      "test_accuracy": float((model.predict(tx) == ty).mean()),
                      "converged": not any("converge" in str(m.message).lower() for m in caught)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
