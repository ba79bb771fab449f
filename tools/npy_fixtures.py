"""Writes the .npy fixtures of tests/fixtures/npy/ with NumPy, once (not at test time).

Each file holds the same 2 x 3 values, [[0, 1, 2], [3, 4, 5]] (bool: [[F, T, F], [T, F, T]]),
in one dtype, byte order, memory order and format version; manifest.json lists them with the
row-major values a reader must get.  Run with Debian's NumPy:

    /usr/bin/python3 tools/npy_fixtures.py

Kept small: a few dozen files of 130 to 200 bytes.
"""
import json
import pathlib

import numpy as np
from numpy.lib import format as npy_format

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "npy"
DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def values(dtype):
    base = np.arange(6).reshape(2, 3)
    return (base % 2 == 1) if dtype == "bool" else base.astype(dtype)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    files = []
    for dtype in DTYPES:
        for order in ["<", ">"] if np.dtype(dtype).itemsize > 1 else ["|"]:
            for memory in ["C", "F"]:
                array = values(dtype).astype(np.dtype(dtype).newbyteorder(order))
                array = np.asfortranarray(array) if memory == "F" else np.ascontiguousarray(array)
                name = f"{dtype}_{'be' if order == '>' else 'le'}_{memory}.npy"
                np.save(OUT / name, array)
                files.append({"file": name, "dtype": dtype, "order": memory, "version": "1.0",
                              "descr": npy_format.header_data_from_array_1_0(array)["descr"]})
    # Versions 2.0 and 3.0: NumPy writes them for headers too long (or not latin-1) for 1.0.
    for version in [(2, 0), (3, 0)]:
        array = values("float32")
        name = f"float32_v{version[0]}.npy"
        with open(OUT / name, "wb") as f:
            npy_format.write_array(f, array, version=version)
        files.append({"file": name, "dtype": "float32", "order": "C",
                      "version": f"{version[0]}.0", "descr": "<f4"})
    # A scalar and an empty array.
    np.save(OUT / "float64_scalar.npy", np.float64(2.5))
    np.save(OUT / "float32_empty.npy", np.zeros((0, 3), np.float32))
    # What is not read: complex, object, structured.
    np.save(OUT / "complex64.npy", np.zeros(2, np.complex64))
    np.save(OUT / "object.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
    np.save(OUT / "structured.npy", np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")]))
    manifest = {
        "values": [[0, 1, 2], [3, 4, 5]],
        "bool": [[False, True, False], [True, False, True]],
        "numpy": np.__version__,
        "files": files,
        "scalar": {"file": "float64_scalar.npy", "shape": [], "values": [2.5]},
        "empty": {"file": "float32_empty.npy", "shape": [0, 3]},
        "unsupported": {"complex64.npy": "complex", "object.npy": "object",
                        "structured.npy": "structured"},
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
