#!/usr/bin/env python3
"""zxing-cpp as a peer for `cargo bench --bench scan` (PyPI package `zxing-cpp`).

The bench starts this once and sends it the same greyscale images lanedesk reads, so both
read identical pixels and file decoding is outside both timings. Protocol, one image at a
time on stdin: a line "WIDTH HEIGHT\n", then WIDTH*HEIGHT bytes (row-major, one byte a
pixel). The answer on stdout is one JSON line: {"ms": decode time, "codes": [hex payloads],
"texts": [zxing-cpp's text for each]}.
The time is the `read_barcodes` call alone (QR codes only, zxing-cpp's default options),
measured with `time.perf_counter` in this process; zxing-cpp decodes on the calling thread.

Prints {"error": ...} and exits when zxing-cpp is not installed, so the bench can say the
column is missing.
"""

import json
import sys
import time

try:
    import zxingcpp
except ImportError as e:  # the bench reports the column as missing
    print(json.dumps({"error": f"zxing-cpp is not installed ({e})"}), flush=True)
    sys.exit(0)


def main():
    version = getattr(zxingcpp, "__version__", None)
    if version is None:
        try:
            from importlib.metadata import version as v

            version = v("zxing-cpp")
        except Exception:
            version = "?"
    print(json.dumps({"ready": version}), flush=True)
    stdin = sys.stdin.buffer
    while True:
        header = stdin.readline()
        if not header:
            return
        w, h = (int(v) for v in header.split())
        data = stdin.read(w * h)
        if len(data) != w * h:
            return
        view = memoryview(data).cast("B", (h, w))
        start = time.perf_counter()
        found = zxingcpp.read_barcodes(view, formats=zxingcpp.BarcodeFormat.QRCode)
        ms = (time.perf_counter() - start) * 1000.0
        codes = [bytes(b.bytes).hex() for b in found if b.valid]
        texts = [b.text for b in found if b.valid]
        print(json.dumps({"ms": ms, "codes": codes, "texts": texts}), flush=True)


if __name__ == "__main__":
    main()
