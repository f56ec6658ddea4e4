"""Data for, and scikit-learn's side of, the Find-DataIssue scale bench (examples/bench/data-issues-scale.ps1).

  gen     --out DIR [--n 1000000 --d 512 --classes 10 --reference 10000 --seed 1]
          A seeded 10-class Gaussian mixture written as DIR/x.npy (N x D float32), DIR/labels.txt
          (the labels the checks see, 5% flipped to another class), DIR/ref.npy (the reference
          set, drawn from the same mixture) and DIR/truth.npz (what was planted): each class is
          10 components (centres N(0, 1), spread 0.5); 1% of the rows are replaced by near-copies
          of other rows (duplicates), 0.1% by points far from every component (outliers) and
          0.1% by near-copies of reference rows (leaks).
  knn     --dir DIR [--queries 10000 --seed 1]
          NearestNeighbors(algorithm='brute') fitted on all N unit rows; kneighbors(11) of a
          seeded sample of --queries rows, the row itself left out: the 10 neighbours that give
          the outlier score, the neighbour classifier's votes and, among them, the near-copies.
          The time for all N rows is the sample's scaled by N / queries (extrapolated: the
          brute-force cost is linear in the queries).
  leak    --dir DIR   NearestNeighbors(1, brute) fitted on the reference, kneighbors of all N rows.
  probe   --dir DIR [--sample 50000 --seed 1]
          cross_val_predict (5 stratified folds) of LogisticRegression on standardised features on
          a seeded sample of rows; the time for all N is scaled by N / sample (extrapolated).

  score   --dir DIR --flags PREFIX
          Precision and recall of Find-DataIssue's flags (PREFIX.<Issue>.txt, one row number a line)
          against what gen planted; a planted duplicate pair counts as found when either row is flagged.

Each command prints one JSON line. Euclidean brute force on unit rows ranks as cosine does and
is scikit-learn's fastest exact path (a GEMM per chunk).
"""
import json
import sys
import time

import numpy as np


def args():
    return dict(zip(sys.argv[2::2], sys.argv[3::2]))


def unit(x):
    x = np.asarray(x, dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def gen(a):
    out, n, d = a["--out"], int(a.get("--n", 1000000)), int(a.get("--d", 512))
    classes, nref, seed = int(a.get("--classes", 10)), int(a.get("--reference", 10000)), int(a.get("--seed", 1))
    rng = np.random.default_rng(seed)
    per = 10
    centres = rng.standard_normal((classes * per, d), dtype=np.float32)
    comp = rng.integers(0, classes * per, n)
    label = comp % classes
    x = np.lib.format.open_memmap(f"{out}/x.npy", mode="w+", dtype=np.float32, shape=(n, d))
    chunk = 50000
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        x[s:e] = centres[comp[s:e]] + np.float32(0.5) * rng.standard_normal((e - s, d), dtype=np.float32)
    rcomp = rng.integers(0, classes * per, nref)
    ref = centres[rcomp] + np.float32(0.5) * rng.standard_normal((nref, d), dtype=np.float32)
    np.save(f"{out}/ref.npy", ref)
    rows = rng.permutation(n)
    dup, far, leak = rows[: n // 100], rows[n // 100: n // 100 + n // 1000], rows[n // 100 + n // 1000: n // 100 + 2 * (n // 1000)]
    source = rng.choice(rows[n // 100 + 2 * (n // 1000):], len(dup), replace=False)
    x[dup] = x[source] + np.float32(0.01) * rng.standard_normal((len(dup), d), dtype=np.float32)
    label[dup] = label[source]
    x[far] = np.float32(3.0) * rng.standard_normal((len(far), d), dtype=np.float32)
    leak_of = rng.integers(0, nref, len(leak))
    x[leak] = ref[leak_of] + np.float32(0.01) * rng.standard_normal((len(leak), d), dtype=np.float32)
    label[leak] = rcomp[leak_of] % classes
    x.flush()
    noisy = label.copy()
    flip = rng.random(n) < 0.05
    noisy[flip] = (label[flip] + rng.integers(1, classes, int(flip.sum()))) % classes
    with open(f"{out}/labels.txt", "w") as f:
        f.write("\n".join(f"class{c}" for c in noisy) + "\n")
    np.savez(f"{out}/truth.npz", flipped=flip, duplicate=dup, source=source, outlier=far, leak=leak, leak_of=leak_of)
    print(json.dumps({"Step": "gen", "N": n, "D": d, "Classes": classes, "Reference": nref, "Flipped": int(flip.sum()),
                      "Duplicates": len(dup), "Outliers": len(far), "Leaks": len(leak)}))


def knn(a):
    from sklearn.neighbors import NearestNeighbors
    x = unit(np.load(f"{a['--dir']}/x.npy"))
    n, q = len(x), int(a.get("--queries", 10000))
    sample = np.sort(np.random.default_rng(int(a.get("--seed", 1))).choice(n, q, replace=False))
    start, cpu = time.perf_counter(), time.process_time()
    nn = NearestNeighbors(n_neighbors=11, algorithm="brute").fit(x)
    dist, idx = nn.kneighbors(x[sample])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    keep = idx != sample[:, None]
    sim = 1 - dist ** 2 / 2
    score = np.array([(1 - sim[i][keep[i]][:10]).mean() for i in range(q)])
    near = np.array([(sim[i][keep[i]][:10] >= 0.99).any() for i in range(q)])
    print(json.dumps({"Step": "knn", "N": n, "Queries": q, "SecondsOnQueries": seconds, "SecondsAllRows": seconds * n / q,
                      "CpuSecondsOnQueries": cpu, "CpuSecondsAllRows": cpu * n / q,
                      "Extrapolated": q < n, "MeanOutlierScore": float(score.mean()), "WithNearCopy": int(near.sum())}))


def leak(a):
    from sklearn.neighbors import NearestNeighbors
    x = unit(np.load(f"{a['--dir']}/x.npy"))
    ref = unit(np.load(f"{a['--dir']}/ref.npy"))
    start, cpu = time.perf_counter(), time.process_time()
    dist, _ = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(ref).kneighbors(x)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    flagged = int((1 - dist[:, 0] ** 2 / 2 >= 0.93).sum())
    print(json.dumps({"Step": "leak", "N": len(x), "Reference": len(ref), "Seconds": seconds, "CpuSeconds": cpu, "Flagged": flagged}))


def probe(a):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    x = np.load(f"{a['--dir']}/x.npy", mmap_mode="r")
    y = np.array(open(f"{a['--dir']}/labels.txt").read().split())
    n, s, seed = len(x), int(a.get("--sample", 50000)), int(a.get("--seed", 1))
    rows = np.sort(np.random.default_rng(seed).choice(n, s, replace=False))
    xs, ys = np.asarray(x[rows]), y[rows]
    start, cpu = time.perf_counter(), time.process_time()
    p = cross_val_predict(make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=100)), xs, ys,
                          cv=StratifiedKFold(5, shuffle=True, random_state=seed), method="predict_proba")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"Step": "probe", "N": n, "Sample": s, "SecondsOnSample": seconds, "SecondsAllRows": seconds * n / s,
                      "CpuSecondsOnSample": cpu, "CpuSecondsAllRows": cpu * n / s,
                      "Extrapolated": s < n, "Accuracy": float((np.unique(ys)[p.argmax(1)] == ys).mean())}))


def score(a):
    import os
    t = np.load(f"{a['--dir']}/truth.npz")
    truth = {"LabelError": np.flatnonzero(t["flipped"]), "Outlier": t["outlier"], "Leak": t["leak"],
             "Duplicate": np.concatenate([t["duplicate"], t["source"]])}
    result = {}
    for issue, planted in truth.items():
        path = f"{a['--flags']}.{issue}.txt"
        flagged = np.loadtxt(path, dtype=np.int64, ndmin=1) if os.path.exists(path) and os.path.getsize(path) else np.array([], np.int64)
        hit = np.isin(flagged, planted)
        if issue == "Duplicate":
            found = int((np.isin(t["duplicate"], flagged) | np.isin(t["source"], flagged)).sum())
            recall = found / len(t["duplicate"])
        else:
            recall = float(np.isin(planted, flagged).mean())
        result[issue] = {"Planted": int(len(t["duplicate"]) if issue == "Duplicate" else len(planted)), "Flagged": int(len(flagged)),
                         "Precision": round(float(hit.mean()) if len(flagged) else 0.0, 3), "Recall": round(recall, 3)}
    print(json.dumps(result))


if __name__ == "__main__":
    {"gen": gen, "knn": knn, "leak": leak, "probe": probe, "score": score}[sys.argv[1]](args())
