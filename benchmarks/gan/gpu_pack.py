"""Write the data that benchmarks/gan/gpu_full.py needs into an ignored folder that travels
with the working tree to the device machine (64 MiB per call, the tree included).

* ``mnist``: the four MNIST idx ``.gz`` files as they are (about 11 MiB).
* ``cifar10``: the test zip as it is (the ADGAN protocol draws its 5,000 test items from all
  10,000, so the same items are drawn as from the full data) and a training zip with only the
  JPEG members of the chosen classes, copied byte for byte (about 4.4 MiB per class).

The folder is laid out like GENAD_DATA, so ``GENAD_DATA=.gpu-data`` reads it with the usual
loaders. Carry ``.gpu-data/mnist`` (mnist, speed) or ``.gpu-data/cifar10`` (cifar10).

    GENAD_DATA=/work/shared/data python benchmarks/gan/gpu_pack.py --part mnist
    GENAD_DATA=/work/shared/data python benchmarks/gan/gpu_pack.py --part cifar10 --classes 0,1,2,3,4,5
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 64 * 2**20
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
MNIST = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz"]


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def tree_size() -> int:
    """Bytes of the files git would copy: tracked plus untracked files that are not ignored."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                         check=True).stdout
    return sum((ROOT / p).stat().st_size for p in out.decode().split("\0") if p and (ROOT / p).is_file())


def pack_mnist(src: Path, dest: Path) -> Path:
    out = dest / "mnist"
    out.mkdir(parents=True, exist_ok=True)
    for f in MNIST:
        shutil.copyfile(src / "mnist" / f, out / f)
    return out


def pack_cifar(src: Path, dest: Path, classes: list[int]) -> Path:
    out = dest / "cifar10"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src / "cifar10" / "test.zip", out / "test.zip")
    keep = {CIFAR_CLASSES[c] for c in classes}
    with zipfile.ZipFile(src / "cifar10" / "train.zip") as zin, zipfile.ZipFile(out / "train.zip", "w") as zout:
        for info in zin.infolist():
            parts = info.filename.split("/")
            if info.is_dir() or len(parts) < 2 or parts[-2] not in keep:
                continue
            zout.writestr(info, zin.read(info))  # same bytes, same compression (JPEGs are stored)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", default="mnist,cifar10", help="mnist, cifar10 or both")
    ap.add_argument("--classes", default="0,1,2,3,4,5", help="CIFAR-10 training classes to pack")
    ap.add_argument("--source", default=os.environ.get("GENAD_DATA"), help="data folder (default $GENAD_DATA)")
    ap.add_argument("--dest", default=str(ROOT / ".gpu-data"))
    args = ap.parse_args(argv)
    if not args.source:
        ap.error("give --source or set GENAD_DATA")
    src, dest = Path(args.source), Path(args.dest)
    tree = tree_size()
    print(f"working tree (tracked + untracked, not ignored): {tree / 2**20:.1f} MiB")
    for part in args.part.split(","):
        if part == "mnist":
            out = pack_mnist(src, dest)
        elif part == "cifar10":
            out = pack_cifar(src, dest, [int(c) for c in args.classes.split(",")])
        else:
            ap.error(f"unknown part {part!r}")
        total = tree + size(out)
        print(f"{out}: {size(out) / 2**20:.1f} MiB; with the tree {total / 2**20:.1f} MiB of {LIMIT / 2**20:.0f} MiB"
              + ("" if total <= LIMIT else "  TOO LARGE: pack fewer classes"))
        if total > LIMIT:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
