"""Reference timings for build.ps1 -Task Bench: scikit-learn and faiss on the same data and
the same initial centroids as PruneCmdlets. Benchmark-only; never a runtime dependency.

usage: reference.py lloyd X.npy INIT.npy ITERS | reference.py score X.npy CENTROIDS.npy | reference.py quality X.npy K [SEED]
Prints one JSON line per implementation.
"""
import json
import sys
import time

import numpy as np


def threads():
    try:
        from threadpoolctl import threadpool_info
        return [(i.get("internal_api"), i.get("num_threads"), i.get("architecture")) for i in threadpool_info()]
    except Exception as e:  # threadpoolctl is optional
        return str(e)


def lloyd(x_path, init_path, iters):
    x = np.load(x_path)
    c = np.load(init_path)
    n, d = x.shape
    k = c.shape[0]
    flops = 2.0 * n * k * d
    try:
        from sklearn.cluster import KMeans
        # Both of scikit-learn's exact algorithms: plain Lloyd, and Elkan's, which skips
        # distances with triangle-inequality bounds (as our default does).
        for algorithm, name in (("lloyd", "scikit-learn"), ("elkan", "scikit-learn-elkan")):
            km = KMeans(n_clusters=k, init=c, n_init=1, max_iter=iters, tol=0.0, algorithm=algorithm)
            t = time.perf_counter()
            km.fit(x)
            total = time.perf_counter() - t
            per = total / km.n_iter_
            print(json.dumps({"impl": name, "n": n, "d": d, "k": k, "iterations": int(km.n_iter_),
                              "seconds_per_iteration": per, "gflops": flops / per / 1e9, "inertia": float(km.inertia_),
                              "threads": threads()}), flush=True)
    except ImportError as e:
        print(json.dumps({"impl": "scikit-learn", "missing": str(e)}), flush=True)
    try:
        import faiss
        km = faiss.Kmeans(d, k, niter=iters, verbose=False, seed=1)
        km.cp.max_points_per_centroid = 1 << 30   # no subsampling: every point, as the others
        km.cp.min_points_per_centroid = 1
        t = time.perf_counter()
        km.train(x, init_centroids=c)
        total = time.perf_counter() - t
        per = total / iters
        print(json.dumps({"impl": "faiss", "n": n, "d": d, "k": k, "iterations": iters,
                          "seconds_per_iteration": per, "gflops": flops / per / 1e9,
                          "objective": float(km.obj[-1]) if len(km.obj) else None, "threads": faiss.omp_get_max_threads()}), flush=True)
    except ImportError as e:
        print(json.dumps({"impl": "faiss", "missing": str(e)}), flush=True)


def score(x_path, c_path):
    x = np.load(x_path)
    c = np.load(c_path)
    n, d = x.shape
    k = c.shape[0]
    try:
        import faiss
        index = faiss.IndexFlatL2(d)
        index.add(c)
        index.search(x[:20000], 1)  # warm-up
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            _, labels = index.search(x, 1)
            best = min(best, time.perf_counter() - t)
        print(json.dumps({"impl": "faiss", "n": n, "d": d, "k": k, "seconds": best, "gflops": 2.0 * n * k * d / best / 1e9,
                          "checksum": int(labels[:1000, 0].sum())}), flush=True)
    except ImportError as e:
        print(json.dumps({"impl": "faiss", "missing": str(e)}), flush=True)


def quality(x_path, k, seed=0):
    """scikit-learn's best of 10 k-means++ runs to convergence: the quality bar."""
    x = np.load(x_path).astype(np.float32)
    from sklearn.cluster import KMeans
    t = time.perf_counter()
    km = KMeans(n_clusters=k, init="k-means++", n_init=10, max_iter=300, tol=1e-4, random_state=seed, algorithm="lloyd").fit(x)
    # Recompute in float64 so both sides report the same quantity.
    d = ((x.astype(np.float64) - km.cluster_centers_.astype(np.float64)[km.labels_]) ** 2).sum()
    print(json.dumps({"impl": "scikit-learn", "n": x.shape[0], "d": x.shape[1], "k": k, "inertia": float(d), "seed": seed,
                      "seconds": time.perf_counter() - t}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "lloyd":
        lloyd(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "quality":
        quality(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    else:
        score(sys.argv[2], sys.argv[3])
