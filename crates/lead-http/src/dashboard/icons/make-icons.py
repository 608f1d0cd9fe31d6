# Makes the dashboard's icons (checked in next to this script): python3 make-icons.py
# The dashboard's icon: a white bell on the accent blue, anti-aliased by supersampling.
import zlib, struct, math, sys
def png(size, path, maskable):
    S = 4
    bg = (0x0b, 0x4f, 0x8a)
    px = []
    def inside_bell(x, y):
        # coordinates in 0..1
        cx = 0.5
        # dome: ellipse top part
        top, bottom = 0.26, 0.66
        if top <= y <= bottom:
            t = (y - top) / (bottom - top)
            half = 0.13 + 0.15 * (t ** 1.6)
            if abs(x - cx) <= half:
                return True
        # dome cap
        if (x - cx) ** 2 + ((y - 0.29) / 0.9) ** 2 <= 0.13 ** 2 and y < 0.3:
            return True
        # rim
        if 0.64 <= y <= 0.70 and abs(x - cx) <= 0.31:
            return True
        # clapper
        if (x - cx) ** 2 + (y - 0.745) ** 2 <= 0.065 ** 2:
            return True
        # knob
        if (x - cx) ** 2 + (y - 0.2) ** 2 <= 0.04 ** 2:
            return True
        return False
    def rounded(x, y):
        if maskable:
            return True
        r = 0.18
        dx = max(r - x, 0, x - (1 - r))
        dy = max(r - y, 0, y - (1 - r))
        return dx * dx + dy * dy <= r * r
    rows = []
    scale = 0.8 if maskable else 1.0
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            a = 0; w = 0
            for sj in range(S):
                for si in range(S):
                    x = (i + (si + 0.5) / S) / size
                    y = (j + (sj + 0.5) / S) / size
                    if rounded(x, y):
                        a += 1
                        bx = (x - 0.5) / scale + 0.5
                        by = (y - 0.5) / scale + 0.5
                        if inside_bell(bx, by):
                            w += 1
            n = S * S
            if a == 0:
                row += bytes([0, 0, 0, 0])
            else:
                f = w / a
                col = [round(bg[k] * (1 - f) + 255 * f) for k in range(3)]
                row += bytes(col + [round(255 * a / n)])
        rows.append(bytes(row))
    raw = b"".join(rows)
    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    open(path, "wb").write(data)
png(192, "icon-192.png", False)
png(512, "icon-512.png", False)
png(512, "icon-maskable-512.png", True)
png(32, "favicon-32.png", False)
