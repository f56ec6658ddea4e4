"""Reference for build.ps1 -Task Bench -Only DataIssues: confident learning with scikit-learn's
classifiers on the same embeddings and the same noisy labels, so the tool's LabelError precision
and recall stand beside a peer's from the same run. Prints one JSON line per classifier.

The out-of-sample probabilities come from cross_val_predict (5 stratified, shuffled folds):
LogisticRegression on standardised features (C = 1, lbfgs, as the module's probe) and
KNeighborsClassifier(10, cosine). Confident learning is written out here (per-class thresholds =
mean self-confidence; a record counts under the most probable class that clears its threshold;
an issue when that is not its label), as cleanlab's find_label_issues(filter_by='confident_learning')
does, so no cleanlab is needed.
"""
import json
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def confident_learning(p, y):
    k = p.shape[1]
    t = np.array([p[y == c, c].mean() for c in range(k)])
    above = p >= t
    masked = np.where(above, p, -1.0)
    counted = above.any(axis=1)
    confident = masked.argmax(axis=1)
    return counted & (confident != y)


def main():
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    x = np.load(args["--train"]).astype(np.float32)
    noisy = np.array(open(args["--noisy"], encoding="utf-8").read().splitlines())
    clean = np.array(open(args["--clean"], encoding="utf-8").read().splitlines())
    seed = int(args.get("--seed", "1"))
    classes, y = np.unique(noisy, return_inverse=True)
    flipped = noisy != clean
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    for name, model in [
        ("LogisticRegression", make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))),
        ("KNeighbors", KNeighborsClassifier(n_neighbors=10, metric="cosine", algorithm="brute")),
    ]:
        start = time.perf_counter()
        p = cross_val_predict(model, x, y, cv=folds, method="predict_proba")
        seconds = time.perf_counter() - start
        issue = confident_learning(p, y)
        tp = int((issue & flipped).sum())
        print(json.dumps({
            "Reference": "scikit-learn " + name, "Flagged": int(issue.sum()), "TruePositives": tp,
            "Precision": tp / max(1, int(issue.sum())), "Recall": tp / int(flipped.sum()),
            "CrossValidatedAccuracy": float((p.argmax(axis=1) == y).mean()), "Seconds": seconds,
        }))


if __name__ == "__main__":
    main()
